use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ports::{ChunkQueue, ComposeQueue, DeadLetter, DeadLetters, DispatchQueue};
use avisa_domain::queues::{ComposeJob, ComposeMessage, DeliveryJob};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use futures_util::{StreamExt, TryStreamExt};
use jiff::SignedDuration;
use serde::Serialize;

use crate::error::classify;

/// A job queue on SQS; the body is the job as JSON (ids only, no personal data).
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }

    async fn send(&self, job: &impl Serialize, delay_seconds: Option<i32>) -> Result<(), PortError> {
        let body = serde_json::to_string(job).map_err(|e| PortError::permanent("sqs.SendMessage", e))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .set_delay_seconds(delay_seconds)
            .send()
            .await
            .map_err(|e| classify("sqs.SendMessage", e))?;
        Ok(())
    }
}

impl SqsQueue {
    /// Any number of messages, ten to a request, a few requests in flight.
    async fn send_all(&self, messages: &[impl Serialize + Sync]) -> Result<(), PortError> {
        // The futures made first: a stream mapping borrowed batches is not `Send` for every lifetime.
        let sends: Vec<_> = messages.chunks(10).map(|batch| self.send_batch(batch)).collect();
        futures_util::stream::iter(sends).buffer_unordered(BATCHES_IN_FLIGHT).try_collect::<()>().await
    }

    /// Up to ten messages in one request. One SQS did not take fails the whole batch, which is
    /// retried: the messages it did take come again, and their consumers' claims make them harmless.
    async fn send_batch(&self, batch: &[impl Serialize]) -> Result<(), PortError> {
        const OPERATION: &str = "sqs.SendMessageBatch";
        let mut entries = Vec::with_capacity(batch.len());
        for (i, message) in batch.iter().enumerate() {
            let body = serde_json::to_string(message).map_err(|e| PortError::permanent(OPERATION, e))?;
            let entry = SendMessageBatchRequestEntry::builder().id(i.to_string()).message_body(body).build();
            entries.push(entry.map_err(|e| PortError::permanent(OPERATION, e))?);
        }
        let sent = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        if let Some(failed) = sent.failed.first() {
            let reason = format!("{}: {}", failed.code, failed.message.as_deref().unwrap_or("no message"));
            let source = std::io::Error::other(reason);
            return Err(if failed.sender_fault {
                PortError::permanent(OPERATION, source)
            } else {
                PortError::transient(OPERATION, source)
            });
        }
        Ok(())
    }
}

/// Batches in flight at once: a send to a million contracts is ten thousand chunks.
const BATCHES_IN_FLIGHT: usize = 8;

#[async_trait]
impl ChunkQueue for SqsQueue {
    async fn enqueue_chunks(&self, chunks: &[ComposeMessage]) -> Result<(), PortError> {
        self.send_all(chunks).await
    }
}

#[async_trait]
impl ComposeQueue for SqsQueue {
    async fn enqueue(&self, job: &ComposeJob) -> Result<(), PortError> {
        self.send(job, None).await
    }

    async fn enqueue_all(&self, jobs: &[ComposeJob]) -> Result<(), PortError> {
        self.send_all(jobs).await
    }
}

#[async_trait]
impl avisa_domain::chat::ports::ChatJobs for SqsQueue {
    async fn send(&self, job: &avisa_domain::queues::ChatJob) -> Result<(), PortError> {
        SqsQueue::send(self, job, None).await
    }
}

/// SQS holds a message back for at most 15 minutes.
const MAX_DELAY_SECONDS: i64 = 900;

#[async_trait]
impl DispatchQueue for SqsQueue {
    async fn enqueue(&self, job: &DeliveryJob) -> Result<(), PortError> {
        self.send(job, None).await
    }

    async fn enqueue_all(&self, jobs: &[DeliveryJob]) -> Result<(), PortError> {
        self.send_all(jobs).await
    }

    async fn enqueue_after(&self, job: &DeliveryJob, delay: SignedDuration) -> Result<(), PortError> {
        let seconds = delay.as_secs().clamp(0, MAX_DELAY_SECONDS);
        self.send(job, Some(i32::try_from(seconds).unwrap_or(0))).await
    }
}

/// The message attributes a dead letter carries: who gave up on it, when, after how many
/// receives, and why (`avisa redrive` reads them).
pub mod dead_letter_attributes {
    pub const SOURCE: &str = "avisa.source";
    pub const REASON: &str = "avisa.reason";
    pub const TENANT_ID: &str = "avisa.tenant_id";
    pub const FAILED_AT: &str = "avisa.failed_at";
    pub const RECEIVE_COUNT: &str = "avisa.receive_count";
    pub const MESSAGE_ID: &str = "avisa.message_id";
}

/// A reason longer than this is cut: it is for a person to read.
const MAX_REASON_CHARS: usize = 2000;

fn attribute(data_type: &str, value: impl Into<String>) -> Result<MessageAttributeValue, PortError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| PortError::permanent("sqs.SendMessage(dead letter)", e))
}

#[async_trait]
impl DeadLetters for SqsQueue {
    async fn dead_letter(&self, letter: &DeadLetter<'_>) -> Result<(), PortError> {
        use dead_letter_attributes as a;
        let reason: String = letter.reason.chars().take(MAX_REASON_CHARS).collect();
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(letter.body)
            .message_attributes(a::SOURCE, attribute("String", letter.source)?)
            .message_attributes(a::REASON, attribute("String", reason)?)
            .message_attributes(a::FAILED_AT, attribute("String", letter.at.to_string())?)
            .message_attributes(a::RECEIVE_COUNT, attribute("Number", letter.receive_count.to_string())?)
            .message_attributes(a::MESSAGE_ID, attribute("String", letter.message_id)?);
        if let Some(tenant_id) = letter.tenant_id.filter(|t| !t.is_empty()) {
            send = send.message_attributes(a::TENANT_ID, attribute("String", tenant_id)?);
        }
        send.send().await.map_err(|e| classify("sqs.SendMessage(dead letter)", e))?;
        Ok(())
    }
}
