use super::*;
use crate::account::ContractAccount;
use crate::error::Rejection;
use crate::fakes::{self, FACT_SAMPLES, Fakes};
use crate::ids::EventId;
use crate::notice::{NoticeKind, NoticeSubject};
use crate::ports::{ClaimOutcome, Scheduled, ScheduledJob, TenantDirectory};
use crate::queues::{ComposeJob, ComposeMessage};
use crate::tenant::TenantSettings;

fn ingest(f: &Fakes) -> Ingest<'_> {
    f.ingest()
}

async fn account(f: &Fakes) -> ContractAccount {
    f.accounts.account(&fakes::tenant(), &fakes::contract()).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_invoice_for_a_known_contract_is_stored_and_asks_for_one_notice() {
    // GIVEN a known customer
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    // WHEN their invoice arrives
    let outcome = ingest(&f).handle(&fakes::sample("invoice-issued"), fakes::UPSTREAM, 1).await.unwrap();
    // THEN it is stored and one compose job is queued
    assert_eq!(outcome, Ingested::Applied { compose_jobs: 1 });
    assert_eq!(f.compose.jobs(), [fakes::compose_job()]);
    assert!(account(&f).await.invoice(&fakes::invoice_number()).unwrap().issued.is_some());
}

#[tokio::test]
async fn every_sample_event_type_is_applied_to_the_account() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    for name in FACT_SAMPLES {
        let outcome = ingest(&f).handle(&fakes::sample(name), fakes::UPSTREAM, 1).await.unwrap();
        assert!(matches!(outcome, Ingested::Applied { .. }), "{name}: {outcome:?}");
    }
    assert_eq!(f.accounts.fact_count(), FACT_SAMPLES.len());
    // the invoice notice and the returned-debit notice at once; the pre-notice and the plan's
    // reminder scheduled
    let kinds: Vec<_> = f.compose.jobs().iter().map(|j| j.subject.kind()).collect();
    assert_eq!(kinds, [NoticeKind::InvoiceAvailable, NoticeKind::DirectDebitReturned]);
    assert_eq!(f.scheduler.scheduled().len(), 2);
    let summary = account(&f).await.summary();
    // the bank returned the debit after it was paid: unpaid again, with the return's reason and fee
    assert_eq!(summary.unpaid_count, 1);
    assert_eq!(summary.returned_debits.len(), 1);
    assert_eq!(summary.returned_debits[0].fee.as_ref().unwrap().amount.minor(), 350);
    assert_eq!(summary.active_plans[0].next_milestone.as_ref().unwrap().due_date, jiff::civil::date(2027, 1, 20));
    assert!(summary.telemetry.is_some() && summary.tariff.is_some());
}

#[tokio::test]
async fn events_about_one_invoice_in_any_order_leave_the_same_state() {
    let orders: [[&str; 3]; 3] = [
        ["invoice-issued", "invoice-paid", "direct-debit-returned"],
        ["direct-debit-returned", "invoice-paid", "invoice-issued"],
        ["invoice-paid", "direct-debit-returned", "invoice-issued"],
    ];
    let mut states = Vec::new();
    for order in orders {
        let f = Fakes::default();
        ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
        for name in order {
            ingest(&f).handle(&fakes::sample(name), fakes::UPSTREAM, 1).await.unwrap();
        }
        states.push(account(&f).await);
    }
    assert_eq!(states[0], states[1]);
    assert_eq!(states[0], states[2]);
    assert!(states[0].invoice(&fakes::invoice_number()).unwrap().is_unpaid(), "returned after it was paid");
}

#[tokio::test]
async fn an_older_event_never_overwrites_a_newer_one_in_the_same_slot() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    let newer = fakes::sample_as("tariff-changed", "evt-t2", "2026-11-01T00:00:00Z");
    let older = fakes::sample_as("tariff-changed", "evt-t1", "2026-09-01T00:00:00Z");
    let mut older = older;
    if let BillingPayload::TariffChanged(data) = &mut older.payload {
        data.name = crate::text::Text::parse("Domèstica 2025").unwrap();
    }
    ingest(&f).handle(&newer, fakes::UPSTREAM, 1).await.unwrap();
    ingest(&f).handle(&older, fakes::UPSTREAM, 1).await.unwrap();
    assert_eq!(account(&f).await.tariff.unwrap().value.name.as_str(), "Domèstica 2026");
}

#[tokio::test]
async fn a_redelivered_event_is_acknowledged_without_applying_it_again() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    ingest(&f).handle(&fakes::sample("invoice-issued"), fakes::UPSTREAM, 1).await.unwrap();
    let again = ingest(&f).handle(&fakes::sample("invoice-issued"), fakes::UPSTREAM, 2).await.unwrap();
    assert_eq!(again, Ingested::Duplicate);
    assert_eq!(f.compose.jobs().len(), 1);
}

#[tokio::test]
async fn an_event_for_an_unknown_contract_waits_a_few_attempts_then_is_rejected_and_remembered() {
    let f = Fakes::default();
    let event = fakes::sample("invoice-issued");
    for attempt in 1..UNKNOWN_CONTRACT_ATTEMPTS {
        let err = ingest(&f).handle(&event, fakes::UPSTREAM, attempt).await.unwrap_err();
        assert!(matches!(err, Error::Deferred { .. }), "attempt {attempt}: {err}");
    }
    let err = ingest(&f).handle(&event, fakes::UPSTREAM, UNKNOWN_CONTRACT_ATTEMPTS).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("unknown_contract"), "{err}");
    assert!(matches!(f.claims.outcome_of(event.event_id.as_str()), Some(ClaimOutcome::Rejected(_))));
    assert!(f.compose.jobs().is_empty());
}

#[tokio::test]
async fn a_rejected_event_sent_again_once_its_customer_arrived_is_applied_not_called_a_duplicate() {
    // GIVEN an invoice rejected because its customer had not arrived
    let f = Fakes::default();
    let invoice = fakes::sample("invoice-issued");
    ingest(&f).handle(&invoice, fakes::UPSTREAM, UNKNOWN_CONTRACT_ATTEMPTS).await.unwrap_err();
    // WHEN the customer arrives and upstream sends the same event again
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    let again = ingest(&f).handle(&invoice, fakes::UPSTREAM, 1).await.unwrap();
    // THEN it is applied, once
    assert_eq!(again, Ingested::Applied { compose_jobs: 1 });
    assert_eq!(ingest(&f).handle(&invoice, fakes::UPSTREAM, 1).await.unwrap(), Ingested::Duplicate);
    assert_eq!(f.compose.jobs().len(), 1);
}

#[tokio::test]
async fn a_customer_that_arrives_late_lets_the_deferred_event_through() {
    let f = Fakes::default();
    let invoice = fakes::sample("invoice-issued");
    assert!(ingest(&f).handle(&invoice, fakes::UPSTREAM, 1).await.unwrap_err().is_retryable());
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    assert_eq!(ingest(&f).handle(&invoice, fakes::UPSTREAM, 2).await.unwrap(), Ingested::Applied { compose_jobs: 1 });
}

#[tokio::test]
async fn a_failing_queue_releases_the_claim_so_the_retry_applies_the_event() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    f.compose.fail_next_transiently();
    let err = ingest(&f).handle(&fakes::sample("invoice-issued"), fakes::UPSTREAM, 1).await.unwrap_err();
    assert!(err.is_retryable());
    let retry = ingest(&f).handle(&fakes::sample("invoice-issued"), fakes::UPSTREAM, 2).await.unwrap();
    assert_eq!(retry, Ingested::Applied { compose_jobs: 1 });
}

#[tokio::test]
async fn an_event_claimed_by_another_invocation_is_retried_later() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    let event = fakes::sample("invoice-issued");
    let key =
        ClaimKey::Event { tenant_id: fakes::tenant(), event_id: EventId::parse(event.event_id.as_str()).unwrap() };
    f.claims.acquire(&key, f.clock.now(), EVENT_LEASE, false).await.unwrap();
    let err = ingest(&f).handle(&event, fakes::UPSTREAM, 1).await.unwrap_err();
    assert!(matches!(err, Error::InProgress { .. }));
    assert!(f.compose.jobs().is_empty());
    assert!(!matches!(f.claims.outcome_of(event.event_id.as_str()), Some(ClaimOutcome::Applied)));
}

#[tokio::test]
async fn an_invoice_scheduled_event_schedules_its_pre_notice_days_ahead_in_the_tenants_zone() {
    // GIVEN a known customer, and the clock at 2026-11-20 09:00 UTC
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    // WHEN the invoice to be charged on 2026-12-01 is scheduled
    ingest(&f).handle(&fakes::sample("invoice-scheduled"), fakes::UPSTREAM, 1).await.unwrap();
    // THEN its pre-notice goes 8 days before, at 10:00 Madrid time, and nothing is composed yet
    let scheduled = f.scheduler.scheduled();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(
        (scheduled[0].at.to_string().as_str(), scheduled[0].time_zone.as_str()),
        ("2026-11-23T10:00:00", "Europe/Madrid")
    );
    let expected = NoticeSubject::InvoiceUpcoming {
        invoice_number: fakes::invoice_number(),
        charge_date: jiff::civil::date(2026, 12, 1),
    };
    assert_eq!(
        scheduled[0].job,
        Scheduled::Compose(ComposeMessage::Notice(ComposeJob { subject: expected, ..scheduled_job(&scheduled[0]) }))
    );
    assert!(f.compose.jobs().is_empty());
}

#[tokio::test]
async fn a_rescheduled_invoice_moves_its_pre_notice_instead_of_adding_one() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    ingest(&f).handle(&fakes::sample("invoice-scheduled"), fakes::UPSTREAM, 1).await.unwrap();
    let mut moved = fakes::sample_as("invoice-scheduled", "evt-moved", "2026-11-12T06:00:00Z");
    if let BillingPayload::InvoiceScheduled(data) = &mut moved.payload {
        data.bank_charge_date = Some(jiff::civil::date(2026, 12, 5));
    }
    ingest(&f).handle(&moved, fakes::UPSTREAM, 1).await.unwrap();
    let scheduled = f.scheduler.scheduled();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].at.to_string(), "2026-11-27T10:00:00");
}

#[tokio::test]
async fn a_tenant_can_choose_ten_days_ahead() {
    let f = Fakes::default();
    let settings = TenantSettings { invoice_notice_days: 10, ..fakes::default_settings() };
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    ingest(&f).handle(&fakes::sample("invoice-scheduled"), fakes::UPSTREAM, 1).await.unwrap();
    assert_eq!(f.scheduler.scheduled()[0].at.to_string(), "2026-11-21T10:00:00");
}

#[tokio::test]
async fn a_late_invoice_scheduled_event_sends_the_pre_notice_at_once_while_the_charge_is_ahead() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    f.clock.advance(SignedDuration::from_hours(24 * 5)); // 2026-11-25: past the send time
    ingest(&f).handle(&fakes::sample("invoice-scheduled"), fakes::UPSTREAM, 1).await.unwrap();
    assert!(f.scheduler.scheduled().is_empty());
    assert_eq!(f.compose.jobs().len(), 1);
    f.clock.advance(SignedDuration::from_hours(24 * 10)); // past the charge date itself
    ingest(&f)
        .handle(&fakes::sample_as("invoice-scheduled", "evt-later", "2026-11-10T06:00:00Z"), fakes::UPSTREAM, 1)
        .await
        .unwrap();
    assert_eq!(f.compose.jobs().len(), 1, "nothing to announce any more");
}

#[tokio::test]
async fn a_payment_plan_schedules_a_reminder_before_its_next_unpaid_instalment() {
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    ingest(&f).handle(&fakes::sample("payment-plan-updated"), fakes::UPSTREAM, 1).await.unwrap();
    let scheduled = f.scheduler.scheduled();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].at.to_string(), "2027-01-17T10:00:00");
}

fn scheduled_job(scheduled: &ScheduledJob) -> ComposeJob {
    match &scheduled.job {
        Scheduled::Compose(ComposeMessage::Notice(job)) => job.clone(),
        other => panic!("not a compose job: {other:?}"),
    }
}

#[tokio::test]
async fn an_upstream_acting_for_a_tenant_it_is_not_bound_to_is_refused_and_nothing_applied() {
    // GIVEN the sample upstream, bound to aigues-reus only
    let f = Fakes::default();
    let foreign = TenantId::parse("aigues-tarragona").unwrap();
    let mut event = fakes::sample("customer-upserted");
    event.tenant_id = foreign.clone();
    // WHEN it sends a customer of another tenant
    let err = ingest(&f).handle(&event, fakes::UPSTREAM, 1).await.unwrap_err();
    // THEN it is refused for that reason, and no state of either tenant changed
    let Error::Rejected(rejection) = err else { panic!("rejected: {err:?}") };
    assert_eq!(rejection.code, RejectionCode::ForeignTenant);
    assert!(rejection.detail.contains("avisa upstreams bind"), "{rejection}");
    assert!(f.accounts.holder(&foreign, &event.contract_id).await.unwrap().is_none());
    assert!(f.claims.is_empty(), "not even claimed");
    // AND an upstream on another queue cannot act for the sample tenant either
    let err = ingest(&f).handle(&fakes::sample("customer-upserted"), "arn:aws:sqs:eu-west-1:1:other", 1).await;
    assert!(matches!(err, Err(Error::Rejected(Rejection { code: RejectionCode::ForeignTenant, .. }))), "{err:?}");
}

#[tokio::test]
async fn an_invoice_naming_a_document_outside_the_tenants_place_is_refused() {
    // GIVEN a known customer
    let f = Fakes::default();
    ingest(&f).handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1).await.unwrap();
    for uri in [
        "s3://avisa-invoice-documents/aigues-tarragona/2026/11/F-1.pdf",
        "s3://another-bucket/aigues-reus/F-1.pdf",
        "s3://avisa-invoice-documents/aigues-reus/../aigues-tarragona/F-1.pdf",
        "s3://avisa-invoice-documents/aigues-reus/",
        "https://example.org/aigues-reus/F-1.pdf",
    ] {
        // WHEN its invoice names a PDF elsewhere
        let mut event = fakes::sample_as("invoice-issued", &format!("evt-{}", uri.len()), "2026-11-20T07:30:00Z");
        let BillingPayload::InvoiceIssued(data) = &mut event.payload else { unreachable!() };
        data.pdf.as_mut().unwrap().uri = crate::text::Text::parse(uri).unwrap();
        let err = ingest(&f).handle(&event, fakes::UPSTREAM, 1).await.unwrap_err();
        // THEN it is refused with where documents must be, and no notice is asked for
        let Error::Rejected(rejection) = err else { panic!("{uri}: rejected: {err:?}") };
        assert_eq!(rejection.code, RejectionCode::ForeignDocument, "{uri}");
        assert!(rejection.detail.contains("s3://avisa-invoice-documents/aigues-reus/"), "{rejection}");
    }
    assert!(f.compose.jobs().is_empty());
    // AND a tenant's own place, set in its settings, is where its documents come from
    let mut settings = fakes::default_settings();
    settings.documents =
        Some(crate::tenant::DocumentPlace { bucket: "reus-docs".into(), prefix: Some("invoices/".into()) });
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    let mut event = fakes::sample("invoice-issued");
    let BillingPayload::InvoiceIssued(data) = &mut event.payload else { unreachable!() };
    data.pdf.as_mut().unwrap().uri = crate::text::Text::parse("s3://reus-docs/invoices/F-1.pdf").unwrap();
    assert!(ingest(&f).handle(&event, fakes::UPSTREAM, 1).await.is_ok());
}
