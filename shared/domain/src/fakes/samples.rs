//! The samples under `events/billing-ingest/`, and what they make.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// The samples of every event type that states a fact about a contract (all but
/// `customer.upserted`), in the order they happen to one invoice.
pub const FACT_SAMPLES: [&str; 7] = [
    "invoice-scheduled",
    "invoice-issued",
    "invoice-paid",
    "direct-debit-returned",
    "payment-plan-updated",
    "meter-telemetry-enabled",
    "tariff-changed",
];

/// The billing event in the sample `events/billing-ingest/<name>.json`.
pub fn sample(name: &str) -> BillingEvent {
    BillingEvent::parse(&sample_body(name)).unwrap()
}

/// The message body of the sample `events/billing-ingest/<name>.json`.
pub fn sample_body(name: &str) -> String {
    let path = format!("{}/../../events/billing-ingest/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let sqs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path);
    sqs["Records"][0]["body"].as_str().expect("the sample has a body").to_owned()
}

/// A sample with another event id and time (to make it a different event).
pub fn sample_as(name: &str, event_id: &str, occurred_at: &str) -> BillingEvent {
    BillingEvent {
        event_id: EventId::parse(event_id).unwrap(),
        occurred_at: occurred_at.parse().unwrap(),
        ..sample(name)
    }
}

pub fn tenant() -> TenantId {
    TenantId::parse("aigues-reus").unwrap()
}

pub fn contract() -> ContractId {
    ContractId::parse("CT-0001").unwrap()
}

pub fn invoice_number() -> InvoiceNumber {
    InvoiceNumber::parse("F-2026-110001").unwrap()
}

/// The profile the `customer-upserted` sample creates.
pub fn customer_profile() -> CustomerProfile {
    let event = sample("customer-upserted");
    let BillingPayload::CustomerUpserted(data) = &event.payload else {
        unreachable!("the sample is a customer.upserted")
    };
    CustomerProfile::from_event(&event.tenant_id, data, event.occurred_at)
}

/// The holder the `customer-upserted` sample creates.
pub fn contract_holder() -> ContractHolder {
    let event = sample("customer-upserted");
    let BillingPayload::CustomerUpserted(data) = &event.payload else {
        unreachable!("the sample is a customer.upserted")
    };
    ContractHolder {
        tenant_id: event.tenant_id.clone(),
        contract_id: event.contract_id.clone(),
        customer_id: data.customer_id.clone(),
        supply_point: data.supply_point.clone(),
        as_of: event.occurred_at,
        staff_priority: None,
    }
}

pub fn name(text: &str) -> Text<200> {
    Text::parse(text).unwrap()
}

/// The compose job ingesting the `invoice-issued` sample enqueues.
pub fn compose_job() -> ComposeJob {
    ComposeJob::new(
        tenant(),
        contract(),
        NoticeSubject::InvoiceAvailable { invoice_number: invoice_number() },
        sample("invoice-issued").event_id,
    )
}

pub fn delivery_job(channel: Channel) -> DeliveryJob {
    DeliveryJob::new(tenant(), compose_job().notice_id, channel, false)
}
