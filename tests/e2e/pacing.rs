//! Deferral is not failure: a billing run larger than the tenant's send rate waits on the
//! dispatch queue (delayed messages, which use up no receives) and drains fully, nothing
//! dead-lettered, nothing sent twice.

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;

use crate::support::{sample_body, stack};

const INVOICES: usize = 12;

fn invoice(n: usize) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/invoice-issued.json")).unwrap();
    event["event_id"] = format!("evt-pace-{n}").into();
    event["data"]["number"] = format!("F-2026-PACE-{n:03}").into();
    event.to_string()
}

#[tokio::test]
async fn a_run_larger_than_the_send_rate_waits_and_drains_with_nothing_dead_lettered() {
    // GIVEN a tenant allowed two emails and two SMS parts a second, and one customer
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let mut settings = avisa_domain::fakes::default_settings();
    settings.rate_limits.email_per_second = 2;
    settings.rate_limits.sms_parts_per_second = 2;
    store.put_settings(&TenantId::parse("aigues-reus").unwrap(), &settings).await.unwrap();
    let esm = stack.event_source_mapping().unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/customer-upserted.json")).await.unwrap();
    esm.drain().await.unwrap();
    // WHEN twelve invoices arrive at once: 24 deliveries, six times what a second allows
    for n in 0..INVOICES {
        stack.send("BillingEventsQueue", &invoice(n)).await.unwrap();
    }
    let report = esm.drain().await.unwrap();
    // THEN every one was sent once, some after waiting on the queue, and none failed or was dead-lettered
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (INVOICES, INVOICES), "{sent:#?}");
    let dispatcher = report.of("notice-dispatcher");
    assert!(dispatcher.records > 2 * INVOICES, "some deliveries waited and came back: {dispatcher:?}");
    assert_eq!(dispatcher.failed, 0, "waiting is not failing: {dispatcher:?}");
    assert_eq!(stack.depth("DispatchDlq").await.unwrap(), 0);
    assert!(crate::pipeline::rejections(&stack).await.is_empty());
}
