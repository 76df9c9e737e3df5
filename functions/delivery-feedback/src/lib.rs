//! delivery-feedback: SES events (through the configuration set's SNS topic) in; delivery
//! statuses and the tenant's suppression list out.

mod handler;

use async_trait::async_trait;
use avisa_aws::{DynamoStore, SqsQueue};
use avisa_domain::clock::SystemClock;
use avisa_domain::feedback::Feedback;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget};
use avisa_runtime::sqs::{Rejections, SqsHandler};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use avisa_domain::feedback::ses_event::parse;
pub use handler::handle_batch;

pub const SOURCE: &str = "delivery-feedback";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub dead_letters: DeadLetterTarget,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self { table_name: config::table_name(source)?, dead_letters: config::dead_letter_target(source)? })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    dead_letters: SqsQueue,
    max_receive_count: u32,
    clock: SystemClock,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            dead_letters: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.dead_letters.queue_url),
            max_receive_count: config.dead_letters.max_receive_count,
            clock: SystemClock,
        }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let feedback = Feedback { deliveries: &self.store, suppressions: &self.store };
        let rejections = Rejections {
            source: SOURCE,
            log: &self.store,
            dead_letters: &self.dead_letters,
            max_receive_count: self.max_receive_count,
            clock: &self.clock,
        };
        handle_batch(feedback, &rejections, event).await.0
    }
}
