//! notice-composer: compose jobs in; personalised notices per channel recorded; delivery jobs out.

mod handler;

use async_trait::async_trait;
use avisa_aws::{DynamoStore, SqsQueue};
use avisa_domain::clock::SystemClock;
use avisa_domain::compose::Compose;
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::sqs::{Rejections, SqsHandler};
use avisa_templates::Templates;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::handle_batch;

pub const SOURCE: &str = "notice-composer";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub dispatch_queue_url: String,
    pub defaults: TenantSettings,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            dispatch_queue_url: config::required(
                source,
                "DISPATCH_QUEUE_URL",
                "the DispatchQueue URL, set by infra/template.yaml",
            )?,
            defaults: config::tenant_defaults(source)?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    dispatch: SqsQueue,
    templates: Templates,
    defaults: TenantSettings,
    clock: SystemClock,
}

impl App {
    /// Fails when a template does not compile, so a broken build never composes a notice.
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        Ok(Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            dispatch: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.dispatch_queue_url),
            templates: Templates::load().map_err(|e| RuntimeError::Templates(Box::new(e)))?,
            defaults: config.defaults.clone(),
            clock: SystemClock,
        })
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let compose = Compose {
            accounts: &self.store,
            notices: &self.store,
            renderer: &self.templates,
            dispatch: &self.dispatch,
            suppressions: &self.store,
            tenants: &self.store,
            print: &self.store,
            clock: &self.clock,
            defaults: &self.defaults,
        };
        let rejections = Rejections { source: SOURCE, log: &self.store, clock: &self.clock };
        handle_batch(compose, &rejections, event).await.0
    }
}
