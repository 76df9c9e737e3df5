use avisa_domain::Error;
use avisa_domain::billing::BillingEvent;
use avisa_domain::ingest::{Ingest, Ingested};
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, process_batch, receive_count};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// Parses each record as a billing event and ingests it; see [`process_batch`] for what happens to
/// the ones that fail.
pub async fn handle_batch(
    ingest: Ingest<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    process_batch(event, rejections, |record| handle_record(ingest, record)).await
}

async fn handle_record(ingest: Ingest<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    let attempt = receive_count(&record);
    // Stamped by Lambda: the queue, hence the upstream, it came from.
    let source = record.event_source_arn.unwrap_or_default();
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
