//! Tenants kept apart: an upstream acts only for the tenants it is bound to, and a tenant's notices
//! carry only documents from its own place.

use avisa_aws::DynamoStore;
use avisa_domain::ids::{CustomerId, TenantId};
use avisa_domain::ports::AccountStore;
use avisa_local::LocalStack;

use crate::support::{ingest, sample_body, stack};

fn store(stack: &LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"])
}

/// The sample event, for `tenant`, with `change` applied.
fn event(name: &str, tenant: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&sample_body(&format!("events/billing-ingest/{name}.json"))).unwrap();
    event["tenant_id"] = tenant.into();
    change(&mut event);
    event.to_string()
}

#[tokio::test]
async fn an_upstream_cannot_change_a_citizen_of_a_tenant_it_is_not_bound_to() {
    // GIVEN a citizen of aigues-tarragona, sent by its own upstream (bound for the occasion)
    let stack = stack().await;
    let queue = stack.template.resolver("").attribute("BillingEventsQueue", "Arn").unwrap();
    let tarragona = TenantId::parse("aigues-tarragona").unwrap();
    store(&stack).bind_upstream(&queue, &tarragona).await.unwrap();
    ingest(&stack, &[event("customer-upserted", "aigues-tarragona", |_| {})]).await;
    store(&stack).unbind_upstream(&queue, &tarragona).await.unwrap();
    // WHEN aigues-reus's upstream sends a customer.upserted naming that tenant, with its own address
    let attack = event("customer-upserted", "aigues-tarragona", |e| {
        e["event_id"] = "evt-attack-1".into();
        e["occurred_at"] = "2026-11-30T00:00:00Z".into();
        e["data"]["email"] = "attacker@example.net".into();
    });
    ingest(&stack, &[attack]).await;
    // THEN the citizen's address is theirs still, and the event is refused as foreign
    let customer = CustomerId::parse("CU-0001").unwrap();
    let profile = store(&stack).customer(&tarragona, &customer).await.unwrap().expect("the citizen is known");
    assert_ne!(profile.email.as_ref().map(avisa_domain::contact::Email::as_str), Some("attacker@example.net"));
    let refused = avisa_local::demo::rejections(&stack, Some("aigues-tarragona")).await.unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].starts_with("foreign_tenant: the upstream sending on arn:aws:sqs:"), "{refused:?}");
}

#[tokio::test]
async fn an_invoice_naming_another_tenants_document_is_refused_and_nothing_is_sent() {
    // GIVEN a customer of aigues-reus, and a PDF of another tenant in the documents bucket
    let stack = stack().await;
    let foreign = "s3://avisa-invoice-documents/aigues-tarragona/2026/11/F-T-1.pdf";
    let invoice = event("invoice-issued", "aigues-reus", |e| e["data"]["pdf"]["uri"] = foreign.into());
    stack.put_invoice_pdfs([invoice.as_str()]).await.unwrap();
    ingest(&stack, &[event("customer-upserted", "aigues-reus", |_| {})]).await;
    // WHEN aigues-reus's invoice names it
    ingest(&stack, &[invoice]).await;
    // THEN it is refused with where documents must be, and no email leaves
    let refused = avisa_local::demo::rejections(&stack, Some("aigues-reus")).await.unwrap();
    assert_eq!(
        refused,
        ["foreign_document: documents of tenant aigues-reus must be under s3://avisa-invoice-documents/aigues-reus/"]
    );
    let sent = stack.moto().sent().unwrap();
    assert!(sent.emails.is_empty() && sent.sms.is_empty(), "{sent:#?}");
}
