//! billing-ingest: billing events from upstream systems in; account state and compose jobs out.

mod handler;

use async_trait::async_trait;
use avisa_aws::{DynamoStore, EventBridgeScheduler, SqsQueue};
use avisa_domain::clock::SystemClock;
use avisa_domain::ingest::Ingest;
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget, ScheduleTarget};
use avisa_runtime::sqs::{Rejections, SqsHandler};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::handle_batch;

/// The name rejections are recorded under.
pub const SOURCE: &str = "billing-ingest";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub compose_queue_url: String,
    pub schedules: ScheduleTarget,
    pub dead_letters: DeadLetterTarget,
    pub defaults: TenantSettings,
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
            schedules: config::schedule_target(source, "COMPOSE_QUEUE_ARN")?,
            dead_letters: config::dead_letter_target(source)?,
            defaults: config::tenant_defaults(source)?,
        })
    }
}

/// The function with its adapters, built once per cold start.
#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    compose: SqsQueue,
    scheduler: EventBridgeScheduler,
    dead_letters: SqsQueue,
    max_receive_count: u32,
    defaults: TenantSettings,
    clock: SystemClock,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            compose: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.compose_queue_url),
            scheduler: EventBridgeScheduler::new(
                aws_sdk_scheduler::Client::new(sdk),
                &config.schedules.group,
                &config.schedules.role_arn,
                &config.schedules.target_arn,
            ),
            dead_letters: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.dead_letters.queue_url),
            max_receive_count: config.dead_letters.max_receive_count,
            defaults: config.defaults.clone(),
            clock: SystemClock,
        }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let ingest = Ingest {
            claims: &self.store,
            accounts: &self.store,
            compose: &self.compose,
            scheduler: &self.scheduler,
            tenants: &self.store,
            clock: &self.clock,
            defaults: &self.defaults,
        };
        let rejections = Rejections {
            source: SOURCE,
            log: &self.store,
            dead_letters: &self.dead_letters,
            max_receive_count: self.max_receive_count,
            clock: &self.clock,
        };
        handle_batch(ingest, &rejections, event).await.0
    }
}
