use avisa_domain::compose::{Compose, Composed};
use avisa_domain::notice::ComposeJob;
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, parse_job, process_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

pub async fn handle_batch(
    compose: Compose<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    process_batch(event, rejections, |record| handle_record(compose, record)).await
}

async fn handle_record(compose: Compose<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    let job: ComposeJob = parse_job(&record)?;
    let outcome = compose.handle(&job).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(job.tenant_id.to_string()),
        event_id: Some(job.cause.to_string()),
    })?;
    let (result, channels) = match &outcome {
        Composed::New { channels } => ("composed", channels),
        Composed::AlreadyComposed { channels } => ("already_composed", channels),
        Composed::NotApplicable { reason } => {
            tracing::info!(tenant_id = %job.tenant_id, notice_id = %job.notice_id, reason, "notice no longer applies");
            return Ok("not_applicable");
        }
    };
    let channels: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    tracing::info!(
        tenant_id = %job.tenant_id,
        notice_id = %job.notice_id,
        contract_id = %job.contract_id,
        kind = job.subject.kind().as_str(),
        result,
        channels = ?channels,
        "notice composed"
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::error::RejectionCode;
    use avisa_domain::fakes::{self, Fakes};
    use avisa_runtime::sqs::sqs_event;

    async fn run(f: &Fakes, body: &str) -> Vec<String> {
        let compose = f.composer();
        let rejections = Rejections { source: crate::SOURCE, log: &f.rejections, clock: &f.clock };
        let (response, _) = handle_batch(compose, &rejections, sqs_event([body])).await;
        response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()
    }

    #[tokio::test]
    async fn a_compose_job_queues_one_delivery_per_channel() {
        let f = Fakes::with_invoice(|_| {}).await;
        let failures = run(&f, &serde_json::to_string(&fakes::compose_job()).unwrap()).await;
        assert!(failures.is_empty());
        assert_eq!(f.dispatch.jobs().len(), 2);
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_job_is_rejected_with_the_reason() {
        let f = Fakes::default();
        let failures = run(&f, r#"{"tenant_id":"t"}"#).await;
        assert!(failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert_eq!(rejected[0].rejection.code, RejectionCode::InvalidJson);
        assert!(rejected[0].rejection.detail.contains("ComposeJob"), "{}", rejected[0].rejection.detail);
    }
}
