//! delivery-feedback: SES events (through the configuration set's SNS topic) in; delivery
//! statuses and the tenant's suppression list out.

mod handler;

use async_trait::async_trait;
use avisa_domain::feedback::Feedback;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget};
use avisa_runtime::sqs::SqsHandler;
use avisa_wiring::Clients;
use avisa_wiring::batch::BatchAdapters;
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
    batch: BatchAdapters,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self { batch: BatchAdapters::new(&Clients::new(sdk), &config.table_name, &config.dead_letters) }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let feedback = Feedback { deliveries: &self.batch.store, suppressions: &self.batch.store };
        handle_batch(feedback, &self.batch.rejections(SOURCE), event).await.0
    }
}
