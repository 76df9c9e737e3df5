use avisa_domain::dispatch::{Dispatch, Dispatched, HeldTally};
use avisa_domain::queues::DeliveryJob;
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, parse_job, process_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

pub async fn handle_batch(
    dispatch: Dispatch<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    // A batch's deliveries are counted into their sends together, after the batch.
    let tally = HeldTally::new(dispatch.sends);
    let dispatch = Dispatch { sends: &tally, ..dispatch };
    let handled = process_batch(event, rejections, |record| handle_record(&dispatch, record)).await;
    tally.flush().await;
    handled
}

async fn handle_record(dispatch: &Dispatch<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    let job: DeliveryJob = parse_job(&record)?;
    avisa_runtime::sqs::record_ids(&job.tenant_id, &job.notice_id);
    let outcome = dispatch.handle(&job).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(job.tenant_id.to_string()),
        event_id: None,
    })?;
    let (result, provider_message_id) = match &outcome {
        Dispatched::Sent { provider_message_id } => ("sent", Some(provider_message_id.as_str())),
        Dispatched::Duplicate => ("duplicate", None),
        Dispatched::Deferred { until } => {
            tracing::info!(until, "quiet hours: delivery deferred");
            return Ok("deferred");
        }
        Dispatched::Paced { delay } => {
            let (paced, seconds) = (job.paced + 1, delay.as_secs());
            tracing::info!(paced, seconds, "send rate spent: delivery waits");
            return Ok("paced");
        }
        Dispatched::Recorded => ("recorded", job.sent.as_deref()),
    };
    tracing::info!(channel = job.channel.as_str(), result, provider_message_id, "delivery dispatched");
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::channel::Channel;
    use avisa_domain::fakes::{self, Fakes};
    use avisa_runtime::sqs::sqs_event;

    #[tokio::test]
    async fn the_same_job_twice_in_a_batch_sends_once() {
        let f = Fakes::with_notice().await;
        let dispatch = f.dispatcher();
        let rejections = Rejections::in_fakes(crate::SOURCE, &f);
        let job = fakes::delivery_job(Channel::Sms);
        let (response, _) = handle_batch(
            dispatch,
            &rejections,
            sqs_event([job.clone(), job].iter().map(|j| serde_json::to_string(j).unwrap())),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(f.sms.sent().len(), 1);
    }
}
