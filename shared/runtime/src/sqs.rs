//! SQS consumers: each record succeeds, is rejected for good (recorded and acknowledged), or is
//! reported in `batchItemFailures` for a retry that ends in the dead-letter queue.

use async_trait::async_trait;
use avisa_domain::clock::Clock;
use avisa_domain::ports::{RejectedMessage, RejectionLog};
use avisa_domain::{Error, Rejection};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{LambdaEvent, service_fn};

use crate::metrics::Counts;
use crate::redact::error_chain;

/// A function fed by an SQS event source mapping. The Lambda binary and the local stack's event
/// source mapping both call this.
#[async_trait]
pub trait SqsHandler: Send + Sync {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse;
}

/// Runs `handler` as the Lambda function's handler.
pub async fn serve(handler: impl SqsHandler) -> Result<(), lambda_runtime::Error> {
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(handler.handle_batch(event.payload).await)
    }))
    .await
}

/// A record that failed, with whatever ids could be read from it.
#[derive(Debug)]
pub struct RecordFailure {
    pub error: Error,
    pub tenant_id: Option<String>,
    pub event_id: Option<String>,
}

impl From<Error> for RecordFailure {
    fn from(error: Error) -> Self {
        Self { error, tenant_id: None, event_id: None }
    }
}

impl From<Rejection> for RecordFailure {
    fn from(rejection: Rejection) -> Self {
        Error::Rejected(rejection).into()
    }
}

/// Reads a record's body as the JSON job `T`; a body that is not one is rejected with serde's reason.
pub fn parse_job<T: serde::de::DeserializeOwned>(record: &SqsMessage) -> Result<T, RecordFailure> {
    let body = record.body.as_deref().unwrap_or_default();
    serde_json::from_str(body).map_err(|e| {
        let job = std::any::type_name::<T>().rsplit("::").next().unwrap_or("job");
        Rejection::new(avisa_domain::error::RejectionCode::InvalidJson, format!("body is not a {job}: {e}")).into()
    })
}

/// Where rejections are recorded, and under which source name.
#[allow(missing_debug_implementations)] // trait objects only
pub struct Rejections<'a> {
    pub source: &'static str,
    pub log: &'a dyn RejectionLog,
    pub clock: &'a dyn Clock,
}

/// An SQS event carrying `bodies` (message ids `m0`, `m1`…), as Lambda would hand it over on a
/// first delivery: for tests and local invocations.
pub fn sqs_event<S: Into<String>>(bodies: impl IntoIterator<Item = S>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("m{i}"));
            record.body = Some(body.into());
            record.attributes.insert("ApproximateReceiveCount".to_owned(), "1".to_owned());
            record
        })
        .collect();
    event
}

/// How many times SQS has delivered this record (1 the first time).
pub fn receive_count(record: &SqsMessage) -> u32 {
    record.attributes.get("ApproximateReceiveCount").and_then(|count| count.parse().ok()).unwrap_or(1)
}

/// Processes the records one by one, in order; one record's failure never fails the others.
/// `handle` names how each record ended (`"applied"`, `"duplicate"`…); those names, `rejected`
/// and `retried` are counted, published as metrics and returned.
pub async fn process_batch<F, Fut>(
    event: SqsEvent,
    rejections: &Rejections<'_>,
    mut handle: F,
) -> (SqsBatchResponse, Counts)
where
    F: FnMut(SqsMessage) -> Fut,
    Fut: Future<Output = Result<&'static str, RecordFailure>>,
{
    let mut response = SqsBatchResponse::default();
    let mut counts = Counts::new();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let failure = match handle(record).await {
            Ok(outcome) => {
                *counts.entry(outcome).or_default() += 1;
                continue;
            }
            Err(failure) => failure,
        };
        if failure.error.is_retryable() {
            tracing::warn!(
                message_id,
                source = rejections.source,
                error = error_chain(&failure.error),
                "record will be retried"
            );
            response.add_failure(message_id);
            *counts.entry("retried").or_default() += 1;
            continue;
        }
        *counts.entry("rejected").or_default() += 1;
        let rejection = match &failure.error {
            Error::Rejected(rejection) => rejection.clone(),
            other => Rejection::new(avisa_domain::error::RejectionCode::InvalidField, error_chain(other)),
        };
        tracing::warn!(
            message_id,
            source = rejections.source,
            tenant_id = failure.tenant_id.as_deref(),
            event_id = failure.event_id.as_deref(),
            reason = %rejection,
            "record rejected"
        );
        let rejected = RejectedMessage {
            source: rejections.source.to_owned(),
            message_id: message_id.clone(),
            tenant_id: failure.tenant_id,
            event_id: failure.event_id,
            rejection,
            at: rejections.clock.now(),
        };
        if let Err(error) = rejections.log.record(&rejected).await {
            // The reason must not be lost: retry the record so its rejection gets recorded.
            tracing::error!(
                message_id,
                error = error_chain(&error),
                "could not record the rejection; retrying the record"
            );
            response.add_failure(message_id);
        }
    }
    crate::metrics::publish(rejections.source, &counts);
    tracing::info!(source = rejections.source, counts = ?counts, "batch processed");
    (response, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::PortError;
    use avisa_domain::error::RejectionCode;
    use avisa_domain::fakes::{FixedClock, InMemoryRejections};

    fn outcome(body: &str) -> Result<&'static str, RecordFailure> {
        match body {
            "ok" => Ok("applied"),
            "throttled" => Err(Error::from(PortError::transient("op", std::io::Error::other("slow down"))).into()),
            _ => Err(Rejection::new(RejectionCode::InvalidJson, "not json").into()),
        }
    }

    #[tokio::test]
    async fn only_the_records_worth_retrying_are_reported_as_failures() {
        let log = InMemoryRejections::default();
        let clock = FixedClock::default();
        let rejections = Rejections { source: "test", log: &log, clock: &clock };
        let (response, counts) =
            process_batch(sqs_event(["ok", "throttled", "garbage", "ok"]), &rejections, |m| async move {
                outcome(m.body.as_deref().unwrap_or_default())
            })
            .await;
        let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, ["m1"]);
        assert_eq!(counts, Counts::from([("applied", 2), ("rejected", 1), ("retried", 1)]));
        let recorded = log.0.lock().unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].message_id, "m2");
        assert_eq!(recorded[0].rejection.code, RejectionCode::InvalidJson);
    }
}
