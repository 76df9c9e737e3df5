//! chat-timers: the chat line's one-time schedules fire here (through the chat timer queue):
//! a citizen who did not answer the name question is asked once more, then the conversation is
//! closed. A timer whose question was answered meanwhile changes nothing.

use async_trait::async_trait;
use avisa_domain::chat::ChatLine;
use avisa_domain::queues::ChatTimerMessage;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget};
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, SqsHandler, process_batch};
use avisa_wiring::batch::BatchAdapters;
use avisa_wiring::chat::{ChatAdapters, ChatConfig};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

pub const SOURCE: &str = "chat-timers";

#[derive(Debug, Clone)]
pub struct Config {
    pub chat: ChatConfig,
    pub dead_letters: DeadLetterTarget,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self { chat: ChatConfig::load(source)?, dead_letters: config::dead_letter_target(source)? })
    }
}

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
    batch: BatchAdapters,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        let chat = ChatAdapters::new(&config.chat, sdk)?;
        let batch = BatchAdapters::sharing(chat.store.clone(), sdk, &config.dead_letters);
        Ok(Self { chat, batch })
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(self.chat.line(), &self.batch.rejections(SOURCE), event).await.0
    }
}

pub async fn handle_batch(
    line: ChatLine<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    process_batch(event, rejections, |record| handle_record(&line, record)).await
}

async fn handle_record(line: &ChatLine<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    let message: ChatTimerMessage = avisa_runtime::sqs::parse_job(&record)?;
    let due = message.chat_timer;
    avisa_runtime::sqs::record_ids(&due.tenant_id, &due.schedule_name());
    let fired = line.timer(&due).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(due.tenant_id.to_string()),
        event_id: Some(due.schedule_name()),
    })?;
    tracing::info!(state = ?fired, "chat timer");
    Ok(if fired.is_some() { "fired" } else { "stale" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::fakes::Fakes;
    use avisa_runtime::sqs::sqs_event;

    #[tokio::test]
    async fn a_body_that_is_not_a_timer_is_rejected_with_the_reason() {
        let f = Fakes::default();
        let rejections = Rejections::in_fakes(SOURCE, &f);
        let (response, _) = handle_batch(f.chat_line(), &rejections, sqs_event([r#"{"chat_timer": {}}"#])).await;
        assert!(response.batch_item_failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert!(rejected[0].rejection.detail.contains("ChatTimerMessage"), "{}", rejected[0].rejection.detail);
    }

    #[tokio::test]
    async fn a_timer_of_a_conversation_that_does_not_exist_is_stale() {
        let f = Fakes::default();
        let rejections = Rejections::in_fakes(SOURCE, &f);
        let body = r#"{"chat_timer": {"tenant_id": "aigues-reus", "phone": "+34600999000", "asked_at": "2026-11-20T09:00:00Z", "stage": "recontact"}}"#;
        let (response, counts) = handle_batch(f.chat_line(), &rejections, sqs_event([body])).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(counts.get("stale"), Some(&1));
    }
}

#[cfg(test)]
mod samples {
    use super::*;
    use avisa_domain::fakes::Fakes;

    #[tokio::test]
    async fn the_sample_timer_is_read_and_found_stale_without_its_conversation() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/chat-timers/recontact.json");
        let event: SqsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let f = Fakes::default();
        let rejections = Rejections::in_fakes(SOURCE, &f);
        let (response, counts) = handle_batch(f.chat_line(), &rejections, event).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(counts.get("stale"), Some(&1));
    }
}
