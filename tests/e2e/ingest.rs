//! Billing-event ingestion against moto: every event type, poison records, redelivery and
//! concurrency, out-of-order events, and the list of rejections.

use avisa_aws::DynamoStore;
use avisa_domain::account::{AccountSummary, ContractAccount};
use avisa_domain::ids::{ContractId, TenantId};
use avisa_domain::ports::AccountStore;
use avisa_local::LocalStack;
use avisa_local::ops::rejected_report;
use aws_lambda_events::event::sqs::SqsEvent;

use crate::support::{ingest, sample_body, stack};

use avisa_domain::fakes::FACT_SAMPLES as FACTS;

fn store(stack: &LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"])
}

async fn account(stack: &LocalStack, contract: &str) -> ContractAccount {
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let account = store(stack).account(&tenant, &ContractId::parse(contract).unwrap()).await.unwrap();
    account.expect("the contract is known")
}

async fn summary(stack: &LocalStack, contract: &str) -> AccountSummary {
    account(stack, contract).await.summary()
}

fn sample(name: &str) -> String {
    sample_body(&format!("events/billing-ingest/{name}.json"))
}

/// The sample, about another contract.
fn sample_for(name: &str, contract: &str) -> String {
    let mut event: serde_json::Value = serde_json::from_str(&sample(name)).unwrap();
    event["contract_id"] = contract.into();
    event["event_id"] = format!("{}-{contract}", event["event_id"].as_str().unwrap()).into();
    event.to_string()
}

#[tokio::test]
async fn every_event_type_updates_the_contracts_account() {
    let stack = stack().await;
    ingest(&stack, &[sample("customer-upserted")]).await;
    ingest(&stack, &FACTS.map(sample)).await;
    let summary = summary(&stack, "CT-0001").await;
    // issued, paid, then returned by the bank: unpaid again, with the return's reason and fee
    assert_eq!(summary.unpaid_count, 1);
    assert_eq!(summary.unpaid_totals[0].amount.to_string(), "48.20");
    assert_eq!(summary.returned_debits.len(), 1);
    assert_eq!(summary.returned_debits[0].reason, "Compte sense fons (AM04)");
    assert_eq!(summary.active_plans[0].next_milestone.as_ref().unwrap().due_date.to_string(), "2027-01-20");
    assert_eq!(
        summary.telemetry.unwrap().portal_url,
        serde_json::from_str("\"https://oficinavirtual.example.cat/consum\"").unwrap()
    );
    assert_eq!(summary.tariff.unwrap().tariff_code.as_str(), "DOM-2026");
    assert_eq!(account(&stack, "CT-0001").await.last_issued().unwrap().tariff_lines.len(), 3);
    assert!(crate::pipeline::rejections(&stack).await.is_empty());
}

#[tokio::test]
async fn events_in_reverse_order_leave_the_same_account_as_in_order() {
    let stack = stack().await;
    let in_order: Vec<String> =
        std::iter::once("customer-upserted").chain(FACTS).map(|n| sample_for(n, "CT-A")).collect();
    let reversed: Vec<String> =
        FACTS.iter().rev().chain(["customer-upserted"].iter()).map(|n| sample_for(n, "CT-B")).collect();
    ingest(&stack, &in_order).await;
    ingest(&stack, &reversed).await; // the facts wait (retried) until their customer.upserted is in
    let (a, b) = (summary(&stack, "CT-A").await, summary(&stack, "CT-B").await);
    assert_eq!(a, b);
    assert_eq!(a.unpaid_count, 1);
}

#[tokio::test]
async fn a_poison_record_is_rejected_listed_and_its_neighbours_applied() {
    let stack = stack().await;
    ingest(&stack, &[sample("customer-upserted")]).await;
    for body in [
        sample("invoice-issued"),
        "{\"schema_version\": 1, \"event_id\": \"evt-broken\"".to_owned(),
        sample("tariff-changed"),
    ] {
        stack.send("BillingEventsQueue", &body).await.unwrap();
    }
    stack.send("BillingEventsQueue", &sample("invalid-phone")).await.unwrap();
    let report = stack.event_source_mapping().unwrap().drain().await.unwrap();
    assert_eq!(report.of("billing-ingest").failed, 0, "nothing permanent is retried");
    assert_eq!(stack.depth("BillingEventsDlq").await.unwrap(), 0);
    let summary = summary(&stack, "CT-0001").await;
    assert_eq!((summary.unpaid_count, summary.tariff.is_some()), (1, true));
    // a person lists them with their reasons
    let listed = rejected_report(&store(&stack), Some(&TenantId::parse("aigues-reus").unwrap()), 10).await.unwrap();
    assert!(
        listed.contains("evt-reus-0003") && listed.contains("invalid_field: data.mobile of customer.upserted"),
        "{listed}"
    );
    let unreadable = rejected_report(&store(&stack), None, 10).await.unwrap();
    assert!(unreadable.contains("invalid_json: body is not JSON"), "{unreadable}");
    assert!(unreadable.contains("1 rejected"), "{unreadable}");
}

fn sqs_event(body: &str, receive_count: u32) -> SqsEvent {
    let mut event = avisa_runtime::sqs::sqs_event([body]);
    event.records[0].attributes.insert("ApproximateReceiveCount".into(), receive_count.to_string());
    event
}

#[tokio::test]
async fn the_same_event_five_times_two_at_once_is_applied_once() {
    let stack = stack().await;
    ingest(&stack, &[sample("customer-upserted")]).await;
    let spec = stack.function("billing-ingest").unwrap();
    let ingest_fn = avisa_local::functions::handler(spec, &stack.sdk_for(&spec.binary)).unwrap().unwrap();
    let invoice = sample("invoice-issued");
    // two invocations at the same time (as two Lambda instances would)…
    let (first, second) =
        tokio::join!(ingest_fn.handle_batch(sqs_event(&invoice, 1)), ingest_fn.handle_batch(sqs_event(&invoice, 1)));
    // …then three more deliveries, one after the other
    let mut retried = first.batch_item_failures.len() + second.batch_item_failures.len();
    for attempt in 2..=4 {
        retried += ingest_fn.handle_batch(sqs_event(&invoice, attempt)).await.batch_item_failures.len();
    }
    assert!(retried <= 1, "at most the concurrent copy is retried, and only while the other holds the claim");
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 1, "one compose job, so one notice");
}

#[tokio::test]
async fn an_event_for_an_unknown_contract_is_retried_then_rejected_never_dead_lettered() {
    let stack = stack().await;
    stack.send("BillingEventsQueue", &sample_for("invoice-issued", "CT-NOBODY")).await.unwrap();
    let report = stack.event_source_mapping().unwrap().drain().await.unwrap();
    assert_eq!(report.of("billing-ingest").failed, 3, "three deliveries wait for the customer, the fourth rejects");
    assert_eq!(stack.depth("BillingEventsDlq").await.unwrap(), 0);
    let rejected = crate::pipeline::rejections(&stack).await;
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].starts_with("unknown_contract: contract CT-NOBODY has no customer.upserted yet"),
        "{rejected:?}"
    );
}
