//! SQS consumers: each record succeeds, is rejected for good (recorded and acknowledged), or is
//! reported in `batchItemFailures` for a retry. On its queue's last receive a record that still
//! fails is put on the dead-letter queue by the consumer itself, with the reason, so that an
//! operator sees why and can redrive it (SQS's own redrive is the backstop if even that fails).

use async_trait::async_trait;
use avisa_domain::clock::Clock;
use avisa_domain::ports::{DeadLetter, DeadLetters, RejectedMessage, RejectionLog};
use avisa_domain::{Error, Rejection};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{LambdaEvent, service_fn};
use tracing::Instrument;

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

/// Where records that cannot succeed go: rejections to their log, records that failed every
/// receive to the dead-letter queue; and under which source name.
#[allow(missing_debug_implementations)] // trait objects only
pub struct Rejections<'a> {
    pub source: &'static str,
    pub log: &'a dyn RejectionLog,
    pub dead_letters: &'a dyn DeadLetters,
    /// The queue's `maxReceiveCount`: the receive on which a failing record is dead-lettered.
    pub max_receive_count: u32,
    pub clock: &'a dyn Clock,
}

#[cfg(feature = "fakes")]
impl<'a> Rejections<'a> {
    /// Rejections and dead letters kept by the fakes, for tests (five receives, as the template).
    pub fn in_fakes(source: &'static str, fakes: &'a avisa_domain::fakes::Fakes) -> Self {
        Self {
            source,
            log: &fakes.rejections,
            dead_letters: &fakes.dead_letters,
            max_receive_count: 5,
            clock: &fakes.clock,
        }
    }
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
            // The queue the fakes' sample upstream is bound to (`avisa_domain::fakes::UPSTREAM`).
            record.event_source_arn = Some("arn:aws:sqs:eu-west-1:123456789012:avisa-BillingEventsQueue".to_owned());
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

tokio::task_local! {
    /// The tenant the record being processed belongs to, once its handler has named it
    /// ([`record_ids`]): what fails after the handler returned (its held work) or without naming
    /// it is still dead-lettered or rejected under that tenant.
    static RECORD_TENANT: std::cell::RefCell<Option<String>>;
}

/// The tenant the current record's handler named, if any.
fn named_tenant() -> Option<String> {
    RECORD_TENANT.try_with(|tenant| tenant.borrow().clone()).ok().flatten()
}

/// A record that left work to its batch's end, as handled: what retrying or dead-lettering it
/// needs if that work fails.
struct HeldRecord {
    message_id: String,
    body: String,
    receives: u32,
    outcome: &'static str,
    tenant_id: Option<String>,
}

/// A record that failed in a way worth retrying.
struct Retried<'a> {
    message_id: &'a str,
    body: &'a str,
    receives: u32,
    tenant_id: Option<&'a str>,
}

impl Retried<'_> {
    /// On its last receive the record goes to the dead-letter queue with the reason, by us, rather
    /// than by SQS's redrive without it; `true` when it did.
    async fn dead_lettered(&self, rejections: &Rejections<'_>, reason: &str) -> bool {
        if self.receives < rejections.max_receive_count {
            return false;
        }
        let letter = DeadLetter {
            source: rejections.source,
            message_id: self.message_id,
            body: self.body,
            tenant_id: self.tenant_id,
            reason,
            receive_count: self.receives,
            at: rejections.clock.now(),
        };
        match rejections.dead_letters.dead_letter(&letter).await {
            Ok(()) => {
                tracing::error!(error = reason, "record failed every receive; dead-lettered with the reason");
                true
            }
            Err(error) => {
                tracing::error!(
                    error = error_chain(&error),
                    "could not dead-letter the record; SQS's redrive will move it without its reason"
                );
                false
            }
        }
    }
}

/// How one record ended: counted under a name, or to be retried (and maybe counted too).
enum Ended {
    Counted(&'static str),
    Retry { message_id: String, counted: Option<&'static str> },
}

async fn process_record<F, Fut>(
    record: SqsMessage,
    message_id: String,
    receives: u32,
    rejections: &Rejections<'_>,
    handle: &mut F,
) -> Ended
where
    F: FnMut(SqsMessage) -> Fut,
    Fut: Future<Output = Result<&'static str, RecordFailure>>,
{
    let body = record.body.clone().unwrap_or_default();
    let mut failure = match handle(record).await {
        Ok(outcome) => return Ended::Counted(outcome),
        Err(failure) => failure,
    };
    failure.tenant_id = failure.tenant_id.or_else(named_tenant);
    let span = tracing::Span::current();
    if let Some(tenant_id) = &failure.tenant_id {
        span.record("tenant_id", tenant_id.as_str());
    }
    if let Some(event_id) = &failure.event_id {
        span.record("subject", event_id.as_str());
    }
    if failure.error.is_retryable() {
        let reason = error_chain(&failure.error);
        let record =
            Retried { message_id: &message_id, body: &body, receives, tenant_id: failure.tenant_id.as_deref() };
        if record.dead_lettered(rejections, &reason).await {
            return Ended::Counted("dead_lettered");
        }
        tracing::warn!(error = reason, "record will be retried");
        return Ended::Retry { message_id, counted: Some("retried") };
    }
    let rejection = match &failure.error {
        Error::Rejected(rejection) => rejection.clone(),
        other => Rejection::new(avisa_domain::error::RejectionCode::InvalidField, error_chain(other)),
    };
    tracing::warn!(reason = %rejection, "record rejected");
    let rejected = RejectedMessage {
        source: rejections.source.to_owned(),
        message_id: message_id.clone(),
        tenant_id: failure.tenant_id,
        event_id: failure.event_id,
        body: rejection.code.redrivable().then_some(body),
        rejection,
        at: rejections.clock.now(),
        redriven_at: None,
    };
    if let Err(error) = rejections.log.record(&rejected).await {
        // The reason must not be lost: retry the record so its rejection gets recorded.
        tracing::error!(error = error_chain(&error), "could not record the rejection; retrying the record");
        return Ended::Retry { message_id, counted: Some("rejected") };
    }
    Ended::Counted("rejected")
}

/// Names the tenant and the subject (event, notice, conversation…) of the record being
/// processed, so every line logged for it from here on carries them.
pub fn record_ids(tenant_id: &dyn std::fmt::Display, subject: &dyn std::fmt::Display) {
    // Outside a batch (a test calling a handler alone) there is no record to name.
    let _ = RECORD_TENANT.try_with(|tenant| *tenant.borrow_mut() = Some(tenant_id.to_string()));
    let span = tracing::Span::current();
    span.record("tenant_id", tracing::field::display(tenant_id));
    span.record("subject", tracing::field::display(subject));
}

/// Processes the records one by one, in order; one record's failure never fails the others.
/// `handle` names how each record ended (`"applied"`, `"duplicate"`…); those names, `rejected`
/// and `retried` are counted, published as metrics and returned.
pub async fn process_batch<F, Fut>(
    event: SqsEvent,
    rejections: &Rejections<'_>,
    handle: F,
) -> (SqsBatchResponse, Counts)
where
    F: FnMut(SqsMessage) -> Fut,
    Fut: Future<Output = Result<&'static str, RecordFailure>>,
{
    let (response, counts) = process_records(event, rejections, handle).await;
    published(rejections, response, counts)
}

/// [`process_batch`] for records whose work ends with something done for the whole batch after
/// them (their jobs queued together): `held()` grows while a record leaves work to it, and
/// `settle`, told how many records did, does it and names which of them (by position, in order)
/// must be retried, and why. Those are retried (or, on their last receive, dead-lettered with the
/// reason) and counted so, not as what their handling returned.
pub async fn process_batch_holding<F, Fut, Settled>(
    event: SqsEvent,
    rejections: &Rejections<'_>,
    held: impl Fn() -> usize,
    mut handle: F,
    settle: impl FnOnce(usize) -> Settled,
) -> (SqsBatchResponse, Counts)
where
    F: FnMut(SqsMessage) -> Fut,
    Fut: Future<Output = Result<&'static str, RecordFailure>>,
    Settled: Future<Output = Vec<(usize, String)>>,
{
    let holding = std::sync::Mutex::new(Vec::new());
    let (mut response, mut counts) = process_records(event, rejections, |record| {
        let (message_id, before) = (record.message_id.clone().unwrap_or_default(), held());
        let (body, receives) = (record.body.clone().unwrap_or_default(), receive_count(&record));
        let handled = handle(record);
        let (held, holding) = (&held, &holding);
        async move {
            let handled = handled.await;
            if let Ok(outcome) = handled
                && held() > before
            {
                let record = HeldRecord { message_id, body, receives, outcome, tenant_id: named_tenant() };
                holding.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(record);
            }
            handled
        }
    })
    .await;
    let holding = holding.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    for (position, reason) in settle(holding.len()).await {
        let Some(kept) = holding.get(position) else { continue };
        if let Some(count) = counts.get_mut(kept.outcome) {
            *count = count.saturating_sub(1);
        }
        let record = Retried {
            message_id: &kept.message_id,
            body: &kept.body,
            receives: kept.receives,
            tenant_id: kept.tenant_id.as_deref(),
        };
        let ended = if record.dead_lettered(rejections, &reason).await {
            "dead_lettered"
        } else {
            response.add_failure(kept.message_id.clone());
            "retried"
        };
        *counts.entry(ended).or_default() += 1;
    }
    counts.retain(|_, count| *count > 0);
    published(rejections, response, counts)
}

async fn process_records<F, Fut>(
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
        let receives = receive_count(&record);
        // Every line logged for this record, here and in the adapters, carries its ids.
        let span = tracing::info_span!(
            "record",
            source = rejections.source,
            message_id = %message_id,
            receives,
            tenant_id = tracing::field::Empty,
            subject = tracing::field::Empty,
        );
        let processed = process_record(record, message_id, receives, rejections, &mut handle).instrument(span);
        let ended = RECORD_TENANT.scope(std::cell::RefCell::new(None), processed).await;
        match ended {
            Ended::Counted(outcome) => *counts.entry(outcome).or_default() += 1,
            Ended::Retry { message_id, counted } => {
                response.add_failure(message_id);
                if let Some(counted) = counted {
                    *counts.entry(counted).or_default() += 1;
                }
            }
        }
    }
    (response, counts)
}

fn published(rejections: &Rejections<'_>, response: SqsBatchResponse, counts: Counts) -> (SqsBatchResponse, Counts) {
    crate::metrics::publish(rejections.source, &counts);
    tracing::info!(source = rejections.source, counts = ?counts, "batch processed");
    (response, counts)
}

#[cfg(test)]
mod tests;
