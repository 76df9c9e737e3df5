//! The local SQS event source mapping: what Lambda does between a queue and a function.
//!
//! It receives batches of up to ten, hands them to the function's handler in-process, deletes
//! the records that succeeded, and leaves the ones in `batchItemFailures` on the queue, so they
//! come back and, after `maxReceiveCount` receives, move to the dead-letter queue as on AWS.
//! One difference, for speed: a failed record comes back after a second instead of after the
//! queue's visibility timeout. Like Lambda, it can run several invocations of a function at once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use avisa_runtime::sqs::SqsHandler;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName,
};

use crate::LocalError;
use crate::error::sdk_error;
use crate::template::REGION;

/// A failed record comes back after this long (180 s on AWS): long enough for an invocation that
/// holds its claim to finish, short enough for a test.
const RETRY_AFTER_SECONDS: i32 = 1;

/// Rounds over all queues before giving up on a queue that never empties.
const MAX_ROUNDS: usize = 2000;
/// How long to wait in all for messages that are delayed (a paced delivery) before giving up.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_mins(5);
const WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(250);

/// One queue → function mapping.
#[derive(Clone)]
pub struct Mapping {
    pub function: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: usize,
    pub handler: Arc<dyn SqsHandler>,
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping")
            .field("function", &self.function)
            .field("queue_url", &self.queue_url)
            .finish_non_exhaustive()
    }
}

/// What the mappings did, per function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocations {
    pub batches: usize,
    pub records: usize,
    /// Records reported in `batchItemFailures` (each retry counts again).
    pub failed: usize,
    /// The longest invocation, and the most records one invocation had.
    pub longest: std::time::Duration,
    pub most_records: usize,
    /// The most AWS calls one invocation made: known where the proxy's calls are attributed to
    /// invocations, as the scale run does (`scale::busiest_invocations`).
    pub most_calls: usize,
}

#[derive(Debug, Clone, Default)]
pub struct DrainReport {
    pub by_function: BTreeMap<String, Invocations>,
}

impl DrainReport {
    pub fn of(&self, function: &str) -> Invocations {
        self.by_function.get(function).cloned().unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
pub struct EventSourceMapping {
    sqs: aws_sdk_sqs::Client,
    mappings: Vec<Mapping>,
}

impl EventSourceMapping {
    pub fn new(sqs: aws_sdk_sqs::Client, mappings: Vec<Mapping>) -> Self {
        Self { sqs, mappings }
    }

    /// Polls every queue until a whole round receives nothing and no message is delayed.
    pub async fn drain(&self) -> Result<DrainReport, LocalError> {
        self.drain_with(1).await
    }

    /// As [`Self::drain`], with `pollers` invocations of each function at once (as Lambda runs
    /// them when a queue is busy): the same message redelivered can meet itself.
    pub async fn drain_with(&self, pollers: usize) -> Result<DrainReport, LocalError> {
        let report = std::sync::Mutex::new(DrainReport::default());
        let mut waited = std::time::Duration::ZERO;
        for _ in 0..MAX_ROUNDS {
            let polls = self.mappings.iter().flat_map(|mapping| (0..pollers.max(1)).map(move |_| mapping));
            let received: Vec<usize> =
                futures_util::future::try_join_all(polls.map(|mapping| self.poll_once(mapping, &report))).await?;
            if received.iter().sum::<usize>() > 0 {
                continue;
            }
            if !self.any_waiting().await? {
                return Ok(report.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner));
            }
            if waited >= MAX_WAIT {
                break;
            }
            tokio::time::sleep(WAIT_STEP).await;
            waited += WAIT_STEP;
        }
        Err(LocalError::NotDrained { rounds: MAX_ROUNDS })
    }

    /// Whether a mapped queue still holds messages: delayed, in flight, or visible again since the
    /// last receive (a retried record whose second has just passed).
    async fn any_waiting(&self) -> Result<bool, LocalError> {
        use aws_sdk_sqs::types::QueueAttributeName::{
            ApproximateNumberOfMessages, ApproximateNumberOfMessagesDelayed, ApproximateNumberOfMessagesNotVisible,
        };
        for mapping in &self.mappings {
            let attributes = self
                .sqs
                .get_queue_attributes()
                .queue_url(&mapping.queue_url)
                .attribute_names(ApproximateNumberOfMessages)
                .attribute_names(ApproximateNumberOfMessagesDelayed)
                .attribute_names(ApproximateNumberOfMessagesNotVisible)
                .send()
                .await
                .map_err(|e| LocalError::sqs("GetQueueAttributes", &mapping.queue_url, sdk_error(e)))?
                .attributes
                .unwrap_or_default();
            if attributes.values().any(|count| count.parse::<usize>().is_ok_and(|n| n > 0)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One receive and one invocation; returns how many records it received.
    async fn poll_once(&self, mapping: &Mapping, report: &std::sync::Mutex<DrainReport>) -> Result<usize, LocalError> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&mapping.queue_url)
            .max_number_of_messages(i32::try_from(mapping.batch_size).unwrap_or(10))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| LocalError::sqs("ReceiveMessage", &mapping.queue_url, sdk_error(e)))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(0);
        }
        let count = messages.len();
        let mut event = SqsEvent::default();
        event.records = messages.iter().map(|m| lambda_record(m, &mapping.queue_arn)).collect();
        let started = std::time::Instant::now();
        let response = crate::invocation::tagged(mapping.handler.handle_batch(event)).await;
        let took = started.elapsed();
        let failed: HashSet<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();

        {
            let mut report = report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let stats = report.by_function.entry(mapping.function.clone()).or_default();
            stats.batches += 1;
            stats.records += count;
            stats.failed += failed.len();
            stats.longest = stats.longest.max(took);
            stats.most_records = stats.most_records.max(count);
        }
        // One call for the records that succeeded and one for those to retry, as Lambda does.
        let (retry, done): (Vec<&Message>, Vec<&Message>) =
            messages.iter().partition(|m| failed.contains(m.message_id.as_deref().unwrap_or_default()));
        let entry = |i: usize, m: &Message| (i.to_string(), m.receipt_handle.clone().unwrap_or_default());
        if !done.is_empty() {
            let entries = done.iter().enumerate().map(|(i, m)| {
                let (id, receipt) = entry(i, m);
                DeleteMessageBatchRequestEntry::builder().id(id).receipt_handle(receipt).build()
            });
            let entries = entries
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| LocalError::sqs("DeleteMessageBatch", &mapping.queue_url, e))?;
            self.sqs
                .delete_message_batch()
                .queue_url(&mapping.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| LocalError::sqs("DeleteMessageBatch", &mapping.queue_url, sdk_error(e)))?;
        }
        if !retry.is_empty() {
            let entries = retry.iter().enumerate().map(|(i, m)| {
                let (id, receipt) = entry(i, m);
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(id)
                    .receipt_handle(receipt)
                    .visibility_timeout(RETRY_AFTER_SECONDS)
                    .build()
            });
            let entries = entries
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| LocalError::sqs("ChangeMessageVisibilityBatch", &mapping.queue_url, e))?;
            self.sqs
                .change_message_visibility_batch()
                .queue_url(&mapping.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| LocalError::sqs("ChangeMessageVisibilityBatch", &mapping.queue_url, sdk_error(e)))?;
        }
        Ok(count)
    }
}

/// An SQS message as Lambda hands it to a function.
fn lambda_record(message: &Message, queue_arn: &str) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id.clone_from(&message.message_id);
    record.receipt_handle.clone_from(&message.receipt_handle);
    record.body.clone_from(&message.body);
    record.md5_of_body.clone_from(&message.md5_of_body);
    record.attributes =
        message.attributes.iter().flatten().map(|(name, value)| (name.as_str().to_owned(), value.clone())).collect();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some(REGION.to_owned());
    record
}
