//! notice-dispatcher: delivery jobs in; each (notice, channel) sent exactly once through SES or SNS.

mod handler;

use async_trait::async_trait;
use avisa_aws::{DynamoStore, S3Documents, SesEmailSender, SnsSmsSender, SqsQueue};
use avisa_domain::clock::SystemClock;
use avisa_domain::dispatch::Dispatch;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::sqs::{Rejections, SqsHandler};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::handle_batch;

pub const SOURCE: &str = "notice-dispatcher";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub sender_email: String,
    pub sms_sender_id: Option<String>,
    pub compose_queue_url: String,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            sender_email: config::required(
                source,
                "SENDER_EMAIL",
                "the template parameter SenderEmail (a verified SES identity)",
            )?,
            sms_sender_id: config::optional(source, "SMS_SENDER_ID"),
            compose_queue_url: config::required(
                source,
                "COMPOSE_QUEUE_URL",
                "the ComposeQueue URL (fallbacks), set by infra/template.yaml",
            )?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    email: SesEmailSender,
    sms: SnsSmsSender,
    documents: S3Documents,
    compose: SqsQueue,
    clock: SystemClock,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            email: SesEmailSender::new(aws_sdk_sesv2::Client::new(sdk), &config.sender_email),
            sms: SnsSmsSender::new(aws_sdk_sns::Client::new(sdk), config.sms_sender_id.clone()),
            documents: S3Documents::new(aws_sdk_s3::Client::new(sdk)),
            compose: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.compose_queue_url),
            clock: SystemClock,
        }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let dispatch = Dispatch {
            claims: &self.store,
            notices: &self.store,
            email: &self.email,
            sms: &self.sms,
            documents: &self.documents,
            suppressions: &self.store,
            compose: &self.compose,
            clock: &self.clock,
        };
        let rejections = Rejections { source: SOURCE, log: &self.store, clock: &self.clock };
        handle_batch(dispatch, &rejections, event).await.0
    }
}
