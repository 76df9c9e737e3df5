//! Composition against moto: the notice history of a contract and suppressed addresses.

use avisa_aws::DynamoStore;
use avisa_domain::channel::Channel;
use avisa_domain::contact::Email;
use avisa_domain::ids::{ContractId, TenantId};
use avisa_domain::notice::Destination;
use avisa_domain::ports::{NoticeStore, Suppressions};
use avisa_local::LocalStack;

use crate::support::{sample_body, stack};

fn store(stack: &LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"])
}

fn invoice(event_id: &str, number: &str, occurred_at: &str) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/invoice-issued.json")).unwrap();
    event["event_id"] = event_id.into();
    event["occurred_at"] = occurred_at.into();
    event["data"]["number"] = number.into();
    event.to_string()
}

async fn ingest(stack: &LocalStack, bodies: &[String]) {
    let esm = stack.event_source_mapping().unwrap();
    for body in bodies {
        stack.send("BillingEventsQueue", body).await.unwrap();
        esm.drain().await.unwrap();
    }
}

#[tokio::test]
async fn a_contracts_notice_history_lists_the_newest_first() {
    let stack = stack().await;
    ingest(
        &stack,
        &[
            sample_body("events/billing-ingest/customer-upserted.json"),
            invoice("evt-h1", "F-2026-090001", "2026-09-20T07:30:00Z"),
            invoice("evt-h2", "F-2026-110001", "2026-11-20T07:30:00Z"),
        ],
    )
    .await;
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let history = store(&stack).history(&tenant, &ContractId::parse("CT-0001").unwrap(), 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0].created_at >= history[1].created_at);
    assert_eq!(history[0].cause.as_str(), "evt-h2", "newest first");
    let email = history[0].message_for(Channel::Email).unwrap();
    assert_eq!(email.template.as_ref().unwrap().id, "invoice_available/email.ca.j2");
    assert_eq!(history[0].content_hash.len(), 64);
}

#[tokio::test]
async fn a_suppressed_email_is_not_used_and_the_invoice_goes_on_paper() {
    let stack = stack().await;
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let email = Destination::Email(Email::parse("maria.puig@example.cat").unwrap());
    store(&stack).suppress(&tenant, &email, "bounce", "2026-11-01T00:00:00Z".parse().unwrap()).await.unwrap();
    ingest(
        &stack,
        &[
            sample_body("events/billing-ingest/customer-upserted.json"),
            sample_body("events/billing-ingest/invoice-issued.json"),
        ],
    )
    .await;
    let sent = stack.moto().sent().unwrap();
    assert!(sent.emails.is_empty(), "{sent:#?}");
    assert_eq!(sent.sms.len(), 1);
    let history = store(&stack).history(&tenant, &ContractId::parse("CT-0001").unwrap(), 1).await.unwrap();
    let channels: Vec<Channel> = history[0].messages.iter().map(|m| m.destination.channel()).collect();
    assert_eq!(channels, [Channel::Sms, Channel::Paper]);
    assert!(history[0].channel_reason.contains("email (suppressed)"), "{}", history[0].channel_reason);
}
