//! billing-ingest: billing events from upstream systems in; account state and compose jobs out.

mod handler;

use async_trait::async_trait;
use avisa_aws::{DynamoStore, SqsQueue};
use avisa_domain::clock::SystemClock;
use avisa_domain::ingest::Ingest;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::sqs::{Rejections, SqsHandler};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::handle_batch;

/// The name rejections are recorded under.
pub const SOURCE: &str = "billing-ingest";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub compose_queue_url: String,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            compose_queue_url: config::required(
                source,
                "COMPOSE_QUEUE_URL",
                "the ComposeQueue URL, set by infra/template.yaml",
            )?,
        })
    }
}

/// The function with its adapters, built once per cold start.
#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    compose: SqsQueue,
    clock: SystemClock,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            compose: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.compose_queue_url),
            clock: SystemClock,
        }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let ingest = Ingest { claims: &self.store, accounts: &self.store, compose: &self.compose, clock: &self.clock };
        let rejections = Rejections { source: SOURCE, log: &self.store, clock: &self.clock };
        handle_batch(ingest, &rejections, event).await.0
    }
}
