//! Deferral is not failure: a billing run larger than the tenant's send rate waits on the
//! dispatch queue (delayed messages, which use up no receives) and drains fully, nothing
//! dead-lettered, nothing sent twice — whether the tenant's own rate holds it back or the
//! deployment's shared one.

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;
use avisa_local::LocalStack;

use crate::support::{sample_body, stack};

const INVOICES: usize = 12;

fn invoice(n: usize) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/invoice-issued.json")).unwrap();
    event["event_id"] = format!("evt-pace-{n}").into();
    event["data"]["number"] = format!("F-2026-PACE-{n:03}").into();
    event.to_string()
}

/// One customer of a tenant allowed `per_second` emails and SMS parts a second; then twelve
/// invoices at once (24 deliveries). Every one must be sent once, some after waiting on the
/// queue, none failed or dead-lettered.
async fn twelve_invoices_at_once(stack: &LocalStack, per_second: u32) {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let mut settings = avisa_domain::fakes::default_settings();
    settings.rate_limits.email_per_second = per_second;
    settings.rate_limits.sms_parts_per_second = per_second;
    store.put_settings(&TenantId::parse("aigues-reus").unwrap(), &settings).await.unwrap();
    let esm = stack.event_source_mapping().unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/customer-upserted.json")).await.unwrap();
    esm.drain().await.unwrap();
    for n in 0..INVOICES {
        stack.send("BillingEventsQueue", &invoice(n)).await.unwrap();
    }
    let report = esm.drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (INVOICES, INVOICES), "{sent:#?}");
    let dispatcher = report.of("notice-dispatcher");
    assert!(dispatcher.records > 2 * INVOICES, "some deliveries waited and came back: {dispatcher:?}");
    assert_eq!(dispatcher.failed, 0, "waiting is not failing: {dispatcher:?}");
    assert_eq!(stack.depth("DispatchDlq").await.unwrap(), 0);
}

#[tokio::test]
async fn a_run_larger_than_the_send_rate_waits_and_drains_with_nothing_dead_lettered() {
    // GIVEN a tenant allowed two emails and two SMS parts a second, and one customer
    let stack = stack().await;
    // WHEN twelve invoices arrive at once: 24 deliveries, six times what a second allows
    // THEN every one was sent once, some after waiting on the queue, and none failed or was dead-lettered
    twelve_invoices_at_once(&stack, 2).await;
    assert!(crate::pipeline::rejections(&stack).await.is_empty());
}

#[tokio::test]
async fn the_deployments_shared_quota_paces_a_tenant_whose_own_rate_is_ample() {
    // GIVEN a tenant allowed 1,000 emails and SMS parts a second, in a deployment whose SES and
    // SNS accounts send two a second (SharedSendRates)
    let mut stack = stack().await;
    stack.set_env("SHARED_SEND_RATES", "email=2,sms=2");
    // WHEN twelve invoices arrive at once
    // THEN the shared quota held them back (some waited on the queue), and every one was sent once
    twelve_invoices_at_once(&stack, 1_000).await;
    // and the budget they took from is the deployment's
    let shared = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .query()
        .table_name("avisa-Table")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S("DEPLOYMENT#RATE#email".into()))
        .send()
        .await
        .unwrap();
    assert!(shared.count() > 0, "no second of the deployment's email budget was taken");
}
