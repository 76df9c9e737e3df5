//! billing-ingest: billing events from upstream systems in; account state and compose jobs out.

mod handler;

use async_trait::async_trait;
use avisa_aws::{EventBridgeScheduler, SqsQueue};
use avisa_domain::ingest::Ingest;
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget, ScheduleTarget};
use avisa_runtime::sqs::SqsHandler;
use avisa_wiring::Clients;
use avisa_wiring::batch::BatchAdapters;
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
    pub settings_fresh_for: std::time::Duration,
    pub defaults: TenantSettings,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            compose_queue_url: config::compose_queue_url(source)?,
            schedules: config::schedule_target(source, "COMPOSE_QUEUE_ARN")?,
            dead_letters: config::dead_letter_target(source)?,
            settings_fresh_for: config::settings_fresh_for(source)?,
            defaults: config::tenant_defaults(source)?,
        })
    }
}

/// The function with its adapters, built once per cold start.
#[derive(Debug)]
pub struct App {
    batch: BatchAdapters,
    compose: SqsQueue,
    scheduler: EventBridgeScheduler,
    defaults: TenantSettings,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        let clients = Clients::new(sdk);
        Self {
            batch: BatchAdapters::new(&clients, &config.table_name, &config.dead_letters)
                .caching_settings_for(config.settings_fresh_for),
            compose: clients.queue(&config.compose_queue_url),
            scheduler: avisa_wiring::scheduler(&clients, &config.schedules),
            defaults: config.defaults.clone(),
        }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let ingest = Ingest {
            claims: &self.batch.store,
            accounts: &self.batch.store,
            compose: &self.compose,
            scheduler: &self.scheduler,
            tenants: &self.batch.store,
            upstreams: &self.batch.store,
            clock: &self.batch.clock,
            defaults: &self.defaults,
        };
        handle_batch(ingest, &self.batch.rejections(SOURCE), event).await.0
    }
}
