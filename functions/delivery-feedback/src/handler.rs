use avisa_domain::Error;
use avisa_domain::feedback::{Feedback, FeedbackOutcome, ses_event};
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, process_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

pub async fn handle_batch(
    feedback: Feedback<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    process_batch(event, rejections, |record| handle_record(feedback, record)).await
}

async fn handle_record(feedback: Feedback<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    let parsed = ses_event::parse(record.body.as_deref().unwrap_or_default())?;
    avisa_runtime::sqs::record_ids(&parsed.tenant_id, &parsed.notice_id);
    let outcome = feedback.handle(&parsed).await.map_err(|error: Error| RecordFailure {
        error,
        tenant_id: Some(parsed.tenant_id.to_string()),
        event_id: Some(parsed.provider_message_id.clone()),
    })?;
    let result = match outcome {
        FeedbackOutcome::Recorded(status) => status.as_str(),
        FeedbackOutcome::Stale(_) => "stale",
        FeedbackOutcome::Ignored => "ignored",
    };
    tracing::info!(message = %avisa_runtime::redact::message_ref(&parsed.provider_message_id), result, "email feedback");
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::fakes::Fakes;
    use avisa_runtime::sqs::sqs_event;

    #[tokio::test]
    async fn a_bounce_is_recorded_and_a_foreign_event_is_rejected_without_failing_the_batch() {
        let f = Fakes::default();
        let feedback = Feedback { deliveries: &f.deliveries, suppressions: &f.suppressions };
        let rejections = Rejections::in_fakes(crate::SOURCE, &f);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/delivery-feedback/ses-bounce.json");
        let sqs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let bounce = sqs["Records"][0]["body"].as_str().unwrap().to_owned();
        let (response, counts) = handle_batch(feedback, &rejections, sqs_event([bounce, "{}".to_owned()])).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(counts, Counts::from([("bounced", 1), ("rejected", 1)]));
    }
}
