use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::notice::{ComposeJob, DeliveryJob};
use avisa_domain::ports::{ComposeQueue, DispatchQueue};
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

    async fn send(&self, job: &impl Serialize) -> Result<(), PortError> {
        let body = serde_json::to_string(job).map_err(|e| PortError::permanent("sqs.SendMessage", e))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| classify("sqs.SendMessage", e))?;
        Ok(())
    }
}

#[async_trait]
impl ComposeQueue for SqsQueue {
    async fn enqueue(&self, job: &ComposeJob) -> Result<(), PortError> {
        self.send(job).await
    }
}

#[async_trait]
impl DispatchQueue for SqsQueue {
    async fn enqueue(&self, job: &DeliveryJob) -> Result<(), PortError> {
        self.send(job).await
    }
}
