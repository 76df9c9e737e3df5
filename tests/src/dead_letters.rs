//! What waits on a dead-letter queue, with the reason its consumer gave up (message attributes
//! `avisa.*`, see `avisa_aws::dead_letter_attributes`); and moving it back to its queue.

use avisa_aws::dead_letter_attributes as attribute;
use aws_sdk_sqs::types::Message;

use crate::LocalError;
use crate::error::sdk_error;

/// One dead letter.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// The function that gave up on it (`None`: moved by SQS's own redrive, without a reason).
    pub source: Option<String>,
    pub reason: Option<String>,
    pub tenant_id: Option<String>,
    pub failed_at: Option<jiff::Timestamp>,
}

impl DeadLetter {
    fn from_message(message: Message) -> Self {
        let attributes = message.message_attributes.unwrap_or_default();
        let text = |name: &str| attributes.get(name).and_then(|a| a.string_value.clone());
        Self {
            message_id: message.message_id.unwrap_or_default(),
            receipt_handle: message.receipt_handle.unwrap_or_default(),
            body: message.body.unwrap_or_default(),
            source: text(attribute::SOURCE),
            reason: text(attribute::REASON),
            tenant_id: text(attribute::TENANT_ID),
            failed_at: text(attribute::FAILED_AT).and_then(|at| at.parse().ok()),
        }
    }
}

/// Every message on the queue, received once (they come back after `hold_seconds`; one that
/// comes back sooner is not counted twice).
pub async fn receive_all(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    hold_seconds: i32,
) -> Result<Vec<DeadLetter>, LocalError> {
    let mut letters: Vec<DeadLetter> = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .visibility_timeout(hold_seconds)
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| LocalError::sqs("ReceiveMessage", queue_url, sdk_error(e)))?;
        let new: Vec<DeadLetter> = received
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(DeadLetter::from_message)
            .filter(|letter| letters.iter().all(|seen| seen.message_id != letter.message_id))
            .collect();
        if new.is_empty() {
            return Ok(letters);
        }
        letters.extend(new);
    }
}
