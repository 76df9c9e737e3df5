//! chat-timers: the chat line's deferred work, off the chat timer queue. The one-time schedules
//! fire here: a citizen who did not answer the name question is asked once more, then the
//! conversation is closed; one silent after an agent's reply is nudged, then resolved. A timer
//! whose question was answered meanwhile changes nothing. And the photos citizens send with an
//! incident are copied from WhatsApp into the media bucket, tried again on a schedule if WhatsApp
//! fails.

use async_trait::async_trait;
use avisa_aws::{S3MediaStore, SdkClient, Secret, WhatsAppCloud};
use avisa_domain::chat::ChatLine;
use avisa_domain::chat::photos::PhotoKeeper;
use avisa_domain::queues::ChatJob;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget};
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, SqsHandler, process_batch};
use avisa_wiring::Clients;
use avisa_wiring::batch::BatchAdapters;
use avisa_wiring::chat::{ChatAdapters, ChatConfig};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

pub const SOURCE: &str = "chat-timers";

#[derive(Debug, Clone)]
pub struct Config {
    pub chat: ChatConfig,
    pub dead_letters: DeadLetterTarget,
    pub whatsapp_api_base: String,
    /// The secret holding the WhatsApp token (`{"access_token": …}`); `None`: no WhatsApp.
    pub whatsapp_secret: Option<String>,
    pub media_bucket: String,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            chat: ChatConfig::load(source)?,
            dead_letters: config::dead_letter_target(source)?,
            whatsapp_api_base: config::required(source, "WHATSAPP_API_BASE", "the template parameter WhatsAppApiBase")?,
            whatsapp_secret: config::optional(source, "WHATSAPP_SECRET_ARN"),
            media_bucket: config::required(source, "CHAT_MEDIA_BUCKET", "the template's ChatMediaBucket")?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
    batch: BatchAdapters,
    whatsapp: WhatsAppCloud,
    media: S3MediaStore,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        let clients = Clients::new(sdk);
        let chat = ChatAdapters::new(&config.chat, &clients)?;
        let batch = BatchAdapters::sharing(chat.store.clone(), &clients, &config.dead_letters);
        let token = Secret::stored(sdk, config.whatsapp_secret.as_deref(), "access_token");
        let whatsapp = WhatsAppCloud::new(&config.whatsapp_api_base, token);
        let media = S3MediaStore::new(SdkClient::lazy(sdk, aws_sdk_s3::Client::new), &config.media_bucket);
        Ok(Self { chat, batch, whatsapp, media })
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let photos = PhotoKeeper { line: self.chat.line(), source: &self.whatsapp, store: &self.media };
        handle_batch(&photos, &self.batch.rejections(SOURCE), event).await.0
    }
}

pub async fn handle_batch(
    photos: &PhotoKeeper<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    process_batch(event, rejections, |record| handle_record(photos, record)).await
}

async fn handle_record(photos: &PhotoKeeper<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    match avisa_runtime::sqs::parse_job(&record)? {
        ChatJob::ChatTimer(due) => {
            avisa_runtime::sqs::record_ids(&due.tenant_id, &due.schedule_name());
            let fired = timer(&photos.line, &due).await?;
            tracing::info!(state = ?fired, "chat timer");
            Ok(if fired.is_some() { "fired" } else { "stale" })
        }
        ChatJob::KeepPhoto(due) => {
            avisa_runtime::sqs::record_ids(&due.tenant_id, &due.schedule_name());
            let kept = photos.keep(&due).await.map_err(|error| RecordFailure {
                error,
                tenant_id: Some(due.tenant_id.to_string()),
                event_id: Some(due.schedule_name()),
            })?;
            tracing::info!(reference = %due.reference, attempt = due.attempt, kept = kept.as_str(), "incident photo");
            Ok(kept.as_str())
        }
    }
}

async fn timer(
    line: &ChatLine<'_>,
    due: &avisa_domain::queues::ChatTimerDue,
) -> Result<Option<&'static str>, RecordFailure> {
    line.timer(due).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(due.tenant_id.to_string()),
        event_id: Some(due.schedule_name()),
    })
}

#[cfg(test)]
fn photos(f: &avisa_domain::fakes::Fakes) -> PhotoKeeper<'_> {
    PhotoKeeper { line: f.chat_line(), source: &f.media, store: &f.media }
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
        let bodies = [r#"{"chat_timer": {}}"#, r#"{"keep_photo": {"tenant_id": "aigues-reus"}}"#, r#"{"nap": {}}"#];
        let (response, _) = handle_batch(&photos(&f), &rejections, sqs_event(bodies)).await;
        assert!(response.batch_item_failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert_eq!(rejected.len(), 3);
        for (rejection, expected) in
            rejected.iter().zip(["missing field `tenant_id`", "missing field `reference`", "unknown variant `nap`"])
        {
            assert!(
                rejection.rejection.detail.contains("ChatJob") && rejection.rejection.detail.contains(expected),
                "{}",
                rejection.rejection.detail
            );
        }
    }

    #[tokio::test]
    async fn a_timer_of_a_conversation_that_does_not_exist_is_stale() {
        let f = Fakes::default();
        let rejections = Rejections::in_fakes(SOURCE, &f);
        let body = r#"{"chat_timer": {"tenant_id": "aigues-reus", "phone": "+34600999000", "asked_at": "2026-11-20T09:00:00Z", "stage": "recontact"}}"#;
        let (response, counts) = handle_batch(&photos(&f), &rejections, sqs_event([body])).await;
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
        let (response, counts) = handle_batch(&photos(&f), &rejections, event).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(counts.get("stale"), Some(&1));
    }
}
