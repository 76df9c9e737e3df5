//! info-feeds: every quarter of an hour, the tenants' information feeds (news, agenda, on-duty
//! pharmacies) fetched into the copies the chat line answers from. A feed that fails keeps its
//! last good copy; the failure is recorded on it and in the answer, and logged.

mod formats;

use avisa_aws::{DynamoStore, WebFeeds};
use avisa_domain::chat::feeds::FeedRefresh;
use avisa_domain::clock::SystemClock;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::scheduled::ScheduledHandler;
use serde_json::{Value, json};

pub use formats::Formats;

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    /// Feeds on 127.0.0.1 may be fetched: set by the local stack's tests only, never by the
    /// template (inside Lambda, 127.0.0.1 is the Runtime API).
    pub allow_loopback: bool,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        let allow_loopback = config::optional(source, "FEEDS_ALLOW_LOOPBACK").is_some_and(|v| v == "true");
        Ok(Self { table_name: config::table_name(source)?, allow_loopback })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    web: WebFeeds,
    clock: SystemClock,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name);
        Self { store, web: WebFeeds::new(config.allow_loopback), clock: SystemClock }
    }
}

#[async_trait::async_trait]
impl ScheduledHandler for App {
    /// Refreshes every feed (the scheduled event's content does not matter).
    async fn run(&self, _event: &Value) -> Result<Value, RuntimeError> {
        let refresh = FeedRefresh { source: &self.web, reader: &Formats, copies: &self.store, clock: &self.clock };
        let refreshed = refresh.refresh_all().await.map_err(|e| RuntimeError::Failed(Box::new(e)))?;
        for feed in &refreshed {
            match &feed.failure {
                None => {
                    tracing::info!(tenant_id = %feed.tenant_id, item = feed.item_id, items = feed.items, "feed refreshed");
                }
                Some(reason) => {
                    tracing::warn!(tenant_id = %feed.tenant_id, item = feed.item_id, reason, "feed failed; its last copy stays");
                }
            }
        }
        Ok(json!({ "feeds": refreshed }))
    }
}
