//! Delivery feedback against moto: an SES bounce published to the configuration set's topic
//! reaches delivery-feedback through SNS and SQS, marks the delivery and suppresses the address.

use avisa_aws::DynamoStore;
use avisa_domain::channel::Channel;
use avisa_domain::ids::{ContractId, TenantId};
use avisa_domain::ports::NoticeStore;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::{sample_body, stack};

fn invoice(event_id: &str, number: &str) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/invoice-issued.json")).unwrap();
    event["event_id"] = event_id.into();
    event["data"]["number"] = number.into();
    event.to_string()
}

#[tokio::test]
async fn a_bounce_marks_the_delivery_suppresses_the_address_and_the_next_notice_goes_by_sms() {
    // GIVEN Maria's invoice sent by email and SMS
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    for body in [sample_body("events/billing-ingest/customer-upserted.json"), invoice("evt-f1", "F-2026-110001")] {
        stack.send("BillingEventsQueue", &body).await.unwrap();
        esm.drain().await.unwrap();
    }
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let contract = ContractId::parse("CT-0001").unwrap();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let notice = store.history(&tenant, &contract, 1).await.unwrap().remove(0);
    // WHEN SES reports a permanent bounce through the configuration set's topic
    let mut bounce: serde_json::Value =
        serde_json::from_str(&sample_body("events/delivery-feedback/ses-bounce.json")).unwrap();
    bounce["bounce"]["bouncedRecipients"][0]["emailAddress"] = "maria.puig@example.cat".into();
    bounce["mail"]["tags"]["notice_id"] = serde_json::json!([notice.notice_id.as_str()]);
    aws_sdk_sns::Client::new(&stack.sdk)
        .publish()
        .topic_arn(&stack.provisioned.topics["SesEventsTopic"])
        .message(bounce.to_string())
        .send()
        .await
        .unwrap();
    let report = esm.drain().await.unwrap();
    assert_eq!(report.of("delivery-feedback").records, 1, "SNS delivered it to the feedback queue");
    // THEN the email delivery is marked bounced, with the reason…
    let item = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .get_item()
        .table_name("avisa-Table")
        .key("pk", AttributeValue::S(format!("T#aigues-reus#NOTICE#{}", notice.notice_id)))
        .key("sk", AttributeValue::S("DELIVERY#email".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["delivery_status"].as_s().unwrap(), "bounced");
    assert_eq!(item["status"].as_s().unwrap(), "SENT");
    assert!(item["status_detail"].as_s().unwrap().contains("5.1.1"));
    // …and the next invoice reaches her by SMS, with the invoice itself on paper
    stack.send("BillingEventsQueue", &invoice("evt-f2", "F-2027-010001")).await.unwrap();
    esm.drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (1, 2), "{sent:#?}");
    let latest = store.history(&tenant, &contract, 1).await.unwrap().remove(0);
    let channels: Vec<Channel> = latest.messages.iter().map(|m| m.destination.channel()).collect();
    assert_eq!(channels, [Channel::Sms, Channel::Paper]);
    assert!(latest.channel_reason.contains("email (suppressed)"), "{}", latest.channel_reason);
}

#[tokio::test]
async fn an_opted_out_number_is_not_texted_and_the_notice_falls_back_to_email() {
    // GIVEN a citizen who prefers SMS, whose number opted out (moto: numbers ending in 99)
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    let mut customer: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/customer-upserted.json")).unwrap();
    customer["data"]["mobile"] = "+34600111099".into();
    customer["data"]["channels"] = serde_json::json!(["sms", "email"]);
    // WHEN the bank returns a direct debit
    for body in [
        customer.to_string(),
        sample_body("events/billing-ingest/invoice-paid.json"),
        sample_body("events/billing-ingest/direct-debit-returned.json"),
    ] {
        stack.send("BillingEventsQueue", &body).await.unwrap();
        esm.drain().await.unwrap();
    }
    // THEN no SMS goes out, the number is suppressed, and the notice arrives by email instead
    let sent = stack.moto().sent().unwrap();
    assert!(sent.sms.is_empty(), "{sent:#?}");
    assert_eq!(sent.emails.len(), 1, "{sent:#?}");
    assert_eq!(sent.emails[0].subject, "Rebut retornat: factura F-2026-110001");
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let number =
        avisa_domain::notice::Destination::Sms(avisa_domain::contact::PhoneE164::parse("+34600111099").unwrap());
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    assert!(avisa_domain::ports::Suppressions::is_suppressed(&store, &tenant, &number).await.unwrap());
    let history = store.history(&tenant, &ContractId::parse("CT-0001").unwrap(), 5).await.unwrap();
    assert_eq!(history.len(), 2, "the notice and its fallback");
    assert!(history[0].channel_reason.starts_with("fallback after sms failed"), "{}", history[0].channel_reason);
}
