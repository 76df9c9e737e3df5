use avisa_domain::Error;
use avisa_domain::billing::{BillingEvent, holder_needed_by};
use avisa_domain::ids::{ContractId, TenantId};
use avisa_domain::ingest::{HeldJobs, Ingest, Ingested, PrefetchedHolders};
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, process_batch_holding, receive_count};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// Parses each record as a billing event and ingests it; see [`avisa_runtime::sqs::process_batch`]
/// for what happens to the ones that fail.
pub async fn handle_batch(
    ingest: Ingest<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    // The holders its events need, read together before it; the compose jobs they ask for, queued
    // together after it.
    let holders =
        PrefetchedHolders::read_for(ingest.accounts, ingest.bound_contracts(contracts_of(&event)).await).await;
    let held = HeldJobs::new(ingest.compose, ingest.claims);
    let holding = Ingest { accounts: &holders, compose: &held, claims: &held, ..ingest };
    let waiting = || held.waiting_count();
    let settle = |_| held.queue_then_complete();
    process_batch_holding(event, rejections, waiting, |record| handle_record(holding, record), settle).await
}

/// The queue, tenant and contract of each event in the batch that needs its contract's holder.
pub fn contracts_of(event: &SqsEvent) -> Vec<(String, TenantId, ContractId)> {
    let records = event.records.iter();
    let needing = records.filter_map(|record| Some((record, holder_needed_by(record.body.as_deref()?)?)));
    needing.map(|(record, (tenant_id, contract_id))| (source_of(record), tenant_id, contract_id)).collect()
}

/// Stamped by Lambda: the queue, hence the upstream, a record came from.
fn source_of(record: &SqsMessage) -> String {
    record.event_source_arn.clone().unwrap_or_default()
}

async fn handle_record(ingest: Ingest<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    let (attempt, source) = (receive_count(&record), source_of(&record));
    let body = record.body.unwrap_or_default();
    let event = BillingEvent::parse(&body).map_err(|refused| RecordFailure {
        error: Error::Rejected(refused.rejection),
        tenant_id: refused.tenant_id,
        event_id: refused.event_id,
    })?;
    avisa_runtime::sqs::record_ids(&event.tenant_id, &event.event_id);
    let outcome = ingest.handle(&event, &source, attempt).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(event.tenant_id.to_string()),
        event_id: Some(event.event_id.to_string()),
    })?;
    let (result, compose_jobs) = match outcome {
        Ingested::Applied { compose_jobs } => ("applied", compose_jobs),
        Ingested::Duplicate => ("duplicate", 0),
    };
    tracing::info!(
        contract_id = %event.contract_id,
        event_type = event.payload.event_type(),
        result,
        compose_jobs,
        "billing event ingested"
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::error::RejectionCode;
    use avisa_domain::fakes::Fakes;
    use avisa_runtime::sqs::sqs_event;

    use avisa_domain::fakes::sample_body as sample;

    async fn run_counted(f: &Fakes, bodies: &[String]) -> (Vec<String>, Counts) {
        let ingest = f.ingest();
        let rejections = Rejections::in_fakes(crate::SOURCE, f);
        let (response, counts) = handle_batch(ingest, &rejections, sqs_event(bodies.iter().cloned())).await;
        (response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect(), counts)
    }

    async fn run(f: &Fakes, bodies: &[String]) -> Vec<String> {
        run_counted(f, bodies).await.0
    }

    #[tokio::test]
    async fn the_samples_ingest_a_customer_then_their_invoice() {
        let f = Fakes::default();
        let failures = run(&f, &[sample("customer-upserted"), sample("invoice-issued")]).await;
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(f.compose.jobs().len(), 1);
        assert!(f.rejections.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_bad_record_is_recorded_with_its_reason_and_the_rest_of_the_batch_goes_on() {
        let f = Fakes::default();
        let bad = sample("invalid-phone");
        let failures = run(&f, &["{oops".to_owned(), bad, sample("customer-upserted"), sample("invoice-issued")]).await;
        assert!(failures.is_empty(), "permanent errors are not retried: {failures:?}");
        let rejected = f.rejections.0.lock().unwrap().clone();
        let codes: Vec<_> = rejected.iter().map(|r| r.rejection.code).collect();
        assert_eq!(codes, [RejectionCode::InvalidJson, RejectionCode::InvalidField]);
        assert_eq!(rejected[1].event_id.as_deref(), Some("evt-reus-0003"));
        assert_eq!(f.compose.jobs().len(), 1);
    }

    #[tokio::test]
    async fn duplicates_and_rejections_are_counted() {
        let f = Fakes::default();
        let bodies = [sample("customer-upserted"), sample("customer-upserted"), sample("invalid-event-type")];
        let (failures, counts) = run_counted(&f, &bodies).await;
        assert!(failures.is_empty());
        assert_eq!(counts, Counts::from([("applied", 1), ("duplicate", 1), ("rejected", 1)]));
    }

    #[tokio::test]
    async fn the_invalid_samples_are_rejected_with_their_codes() {
        let f = Fakes::default();
        run(&f, &[sample("invalid-event-type"), sample("invalid-schema-version")]).await;
        let codes: Vec<_> = f.rejections.0.lock().unwrap().iter().map(|r| r.rejection.code).collect();
        assert_eq!(codes, [RejectionCode::UnknownEventType, RejectionCode::UnsupportedSchemaVersion]);
    }

    /// The sample `name` with its envelope's `changes` (tenant, contract, event id).
    fn sample_with(name: &str, changes: serde_json::Value) -> String {
        let mut body: serde_json::Value = serde_json::from_str(&sample(name)).unwrap();
        let serde_json::Value::Object(changes) = changes else { panic!("the changes are an object") };
        body.as_object_mut().unwrap().extend(changes);
        body.to_string()
    }

    #[tokio::test]
    async fn a_batchs_holders_are_read_together_and_only_for_tenants_its_upstream_is_bound_to() {
        // GIVEN the sample customer, ingested before
        let f = Fakes::default();
        run(&f, &[sample("customer-upserted")]).await;
        let foreign = serde_json::json!({"tenant_id": "aigues-tarragona", "event_id": "evt-t-1"});
        // WHEN a batch brings their invoice, a new customer's contract and its invoice, and an invoice
        // of a tenant the upstream is not bound to
        let batch = [
            sample("invoice-issued"),
            sample_with("customer-upserted", serde_json::json!({"contract_id": "CT-0002", "event_id": "evt-c-2"})),
            sample_with("invoice-issued", serde_json::json!({"contract_id": "CT-0002", "event_id": "evt-i-2"})),
            sample_with("invoice-issued", foreign),
        ];
        let reads_before = f.accounts.single_reads();
        let (failures, counts) = run_counted(&f, &batch).await;
        // THEN both invoices apply, the foreign one is refused, and nothing is retried
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(counts, Counts::from([("applied", 3), ("rejected", 1)]));
        assert_eq!(f.compose.jobs().len(), 2);
        // AND the invoices' holders were asked for in one batch read, the foreign tenant's never
        let asked: Vec<String> = f.accounts.batch_asked().iter().map(|(t, c)| format!("{t}/{c}")).collect();
        assert_eq!(asked, ["aigues-reus/CT-0001", "aigues-reus/CT-0002"]);
        // AND only the contract whose holder the batch itself made was read again, after it was made
        assert_eq!(f.accounts.single_reads() - reads_before, 1);
    }

    /// The sample invoice as event `event_id`.
    fn invoice(event_id: &str) -> String {
        sample_with("invoice-issued", serde_json::json!({ "event_id": event_id }))
    }

    #[tokio::test]
    async fn a_batchs_compose_jobs_are_queued_in_one_request_after_it_and_its_events_completed_then() {
        // GIVEN a known customer
        let f = Fakes::default();
        run(&f, &[sample("customer-upserted")]).await;
        let completions_before = f.claims.completion_requests();
        // WHEN a batch brings three invoice events, one of them twice
        let batch = [invoice("evt-i-1"), invoice("evt-i-2"), invoice("evt-i-1"), invoice("evt-i-3")];
        let (failures, counts) = run_counted(&f, &batch).await;
        // THEN their three jobs were queued in one request, the repeated event's once, and the
        // three events recorded as applied in one more
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(counts, Counts::from([("applied", 3), ("duplicate", 1)]));
        assert_eq!((f.compose.jobs().len(), f.compose.requests()), (3, 1));
        assert_eq!(f.claims.completion_requests() - completions_before, 1);
        // AND each event is recorded as applied: the batch delivered again queues nothing
        let (failures, counts) = run_counted(&f, &batch).await;
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(counts, Counts::from([("duplicate", 4)]));
        assert_eq!(f.compose.jobs().len(), 3);
    }

    #[tokio::test]
    async fn events_whose_jobs_could_not_be_queued_are_retried_and_apply_when_they_come_again() {
        // GIVEN a known customer, and a compose queue that fails the next request
        let f = Fakes::default();
        run(&f, &[sample("customer-upserted")]).await;
        f.compose.fail_next_transiently();
        // WHEN a batch brings two invoice events (the first twice) and a customer update, which
        // asks for no notice
        let update = sample_with("customer-upserted", serde_json::json!({"event_id": "evt-c-9"}));
        let batch = [invoice("evt-i-1"), update, invoice("evt-i-2"), invoice("evt-i-1")];
        let (failures, counts) = run_counted(&f, &batch).await;
        // THEN the two invoices are retried (the repeat rides on the first), nothing was queued,
        // and the update is done
        assert_eq!(failures, ["m0", "m2"]);
        assert_eq!(counts, Counts::from([("applied", 1), ("duplicate", 1), ("retried", 2)]));
        assert!(f.compose.jobs().is_empty());
        // AND their claims were given back, not completed: delivered again, they apply and queue
        let (failures, counts) = run_counted(&f, &batch).await;
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(counts, Counts::from([("applied", 2), ("duplicate", 2)]));
        assert_eq!(f.compose.jobs().len(), 2);
    }

    #[tokio::test]
    async fn an_event_whose_jobs_cannot_be_queued_on_its_last_receive_is_dead_lettered_with_the_reason() {
        // GIVEN a known customer, and a compose queue that fails the next request
        let f = Fakes::default();
        run(&f, &[sample("customer-upserted")]).await;
        f.compose.fail_next_transiently();
        // WHEN their invoice comes for the fifth and last time
        let mut event = sqs_event([invoice("evt-i-1")]);
        event.records[0].attributes.insert("ApproximateReceiveCount".to_owned(), "5".to_owned());
        let rejections = Rejections::in_fakes(crate::SOURCE, &f);
        let (response, counts) = handle_batch(f.ingest(), &rejections, event).await;
        // THEN it is not left to SQS's redrive: it is dead-lettered with the reason, and counted so
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(counts, Counts::from([("dead_lettered", 1)]));
        let letters = f.dead_letters.0.lock().unwrap().clone();
        assert_eq!(letters.len(), 1);
        assert!(letters[0].reason.contains("compose jobs could not be queued"), "{}", letters[0].reason);
        // AND under its tenant, so that `avisa rejected --tenant` and a redrive of that tenant find it
        assert_eq!(letters[0].tenant_id.as_deref(), Some("aigues-reus"));
        // AND its claim was given back, so a redrive applies it
        assert_eq!(f.claims.outcome_of("evt-i-1"), None);
        let (failures, counts) = run_counted(&f, &[invoice("evt-i-1")]).await;
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(counts, Counts::from([("applied", 1)]));
    }

    #[tokio::test]
    async fn events_whose_jobs_were_queued_but_not_recorded_as_applied_are_retried() {
        // GIVEN a known customer, and claims that fail the next completion
        let f = Fakes::default();
        run(&f, &[sample("customer-upserted")]).await;
        f.claims.fail_next_complete();
        // WHEN a batch brings two invoice events
        let (failures, counts) = run_counted(&f, &[invoice("evt-i-1"), invoice("evt-i-2")]).await;
        // THEN their jobs are queued, and both records are retried (not acknowledged as done)
        assert_eq!(f.compose.jobs().len(), 2);
        assert_eq!(failures, ["m0", "m1"]);
        assert_eq!(counts, Counts::from([("retried", 2)]));
        assert_eq!(f.claims.outcome_of("evt-i-1"), None);
    }

    #[tokio::test]
    async fn a_transient_failure_is_reported_for_retry() {
        let f = Fakes::default();
        run(&f, &[sample("customer-upserted")]).await;
        f.compose.fail_next_transiently();
        let failures = run(&f, &[sample("invoice-issued")]).await;
        assert_eq!(failures, ["m0"]);
        assert!(f.rejections.0.lock().unwrap().is_empty());
    }
}
