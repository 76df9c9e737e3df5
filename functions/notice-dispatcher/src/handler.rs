use avisa_domain::dispatch::{Dispatch, Dispatched, HeldTally, PrefetchedNotices};
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::queues::DeliveryJob;
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, parse_job, process_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

pub async fn handle_batch(
    dispatch: Dispatch<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    // A batch's notices are read together, before it; its deliveries are counted into their
    // sends together, after it.
    let notices = PrefetchedNotices::read_for(dispatch.notices, notices_of(&event)).await;
    let tally = HeldTally::new(dispatch.sends);
    let dispatch = Dispatch { sends: &tally, notices: &notices, ..dispatch };
    let handled = process_batch(event, rejections, |record| handle_record(&dispatch, record)).await;
    tally.flush().await;
    handled
}

/// The notices a batch's deliveries send (not its late records, which read none).
pub fn notices_of(event: &SqsEvent) -> Vec<(TenantId, NoticeId)> {
    let jobs =
        event.records.iter().filter_map(|record| serde_json::from_str::<DeliveryJob>(record.body.as_deref()?).ok());
    jobs.filter(|job| job.sent.is_none()).map(|job| (job.tenant_id, job.notice_id)).collect()
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

    #[tokio::test]
    async fn a_batchs_notices_are_read_together_and_a_broken_record_spares_the_rest() {
        // GIVEN a batch with the notice's SMS and email deliveries, and a record that is not a job
        let f = Fakes::with_notice().await;
        let jobs = [fakes::delivery_job(Channel::Sms), fakes::delivery_job(Channel::Email)];
        let mut bodies: Vec<String> = jobs.iter().map(|j| serde_json::to_string(j).unwrap()).collect();
        bodies.push("{\"tenant_id\": 7}".to_owned());
        // WHEN the dispatcher handles it
        let rejections = Rejections::in_fakes(crate::SOURCE, &f);
        let (response, _) = handle_batch(f.dispatcher(), &rejections, sqs_event(bodies)).await;
        // THEN both are sent, their notice read in one batch read, none one at a time
        assert_eq!((f.sms.sent().len(), f.email.sent().len()), (1, 1));
        assert_eq!(f.notices.single_reads(), 0);
        // AND the broken record is rejected with its reason, not retried
        assert!(response.batch_item_failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert_eq!(rejected.len(), 1);
        assert!(rejected[0].rejection.detail.contains("body is not a DeliveryJob"), "{:?}", rejected[0]);
    }
}
