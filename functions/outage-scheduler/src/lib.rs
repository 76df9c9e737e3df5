//! outage-scheduler: the operator API for planned outages and announcements, behind a Function
//! URL. Operators plan an outage, read its dry run, confirm it (one-time alert schedules),
//! reschedule, cancel or end it; subscribe citizens without a contract to a supply point's alerts;
//! and send an announcement to a file of contracts, in chunks on the compose queue, and follow it.
//! Every request carries an operator's bearer token, which names the tenant it may act for.

mod routes;

use avisa_aws::{DynamoStore, EventBridgeScheduler, SdkClient, SqsQueue};
use avisa_domain::announcements::AnnouncementDesk;
use avisa_domain::clock::{Clock, SystemClock};
use avisa_domain::operators::{Operator, OperatorDirectory, token_digest};
use avisa_domain::outage::{Audience, OutageDesk};
use avisa_domain::tenant::{SharedRates, TenantSettings};
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource, ScheduleTarget};
use avisa_runtime::http::{self, HttpHandler};
use avisa_templates::Templates;
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};

/// The most an announcement's body may be: a Function URL takes 6 MB in all.
const ANNOUNCEMENT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    /// Alert schedules put their job on the compose queue.
    pub schedules: ScheduleTarget,
    /// Announcements' chunks go on the compose queue at once.
    pub compose_queue_url: String,
    pub defaults: TenantSettings,
    /// The providers' quotas every tenant shares, for the estimates of a send's time.
    pub shared_rates: SharedRates,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            schedules: config::schedule_target(source, "COMPOSE_QUEUE_ARN")?,
            compose_queue_url: config::compose_queue_url(source)?,
            defaults: config::tenant_defaults(source)?,
            shared_rates: config::shared_send_rates(source)?,
        })
    }
}

/// The function with its adapters, built once per cold start.
#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    scheduler: EventBridgeScheduler,
    compose: SqsQueue,
    templates: Templates,
    defaults: TenantSettings,
    shared_rates: SharedRates,
    clock: SystemClock,
}

impl App {
    /// Fails when a template does not compile (the dry run renders the SMS).
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        Ok(Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            scheduler: EventBridgeScheduler::new(
                SdkClient::lazy(sdk, aws_sdk_scheduler::Client::new),
                &config.schedules.group,
                &config.schedules.role_arn,
                &config.schedules.target_arn,
            ),
            compose: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.compose_queue_url),
            templates: Templates::load().map_err(|e| RuntimeError::Templates(Box::new(e)))?,
            defaults: config.defaults.clone(),
            shared_rates: config.shared_rates,
            clock: SystemClock,
        })
    }

    /// The outage desk on this function's adapters (the CLI uses it directly).
    pub fn desk(&self) -> OutageDesk<'_> {
        OutageDesk {
            outages: &self.store,
            audience: Audience {
                index: &self.store,
                subscriptions: &self.store,
                accounts: &self.store,
                suppressions: &self.store,
            },
            renderer: &self.templates,
            scheduler: &self.scheduler,
            tenants: &self.store,
            sends: &self.store,
            clock: &self.clock,
            defaults: &self.defaults,
            shared_rates: self.shared_rates,
        }
    }

    /// The announcement desk on this function's adapters (the CLI uses it directly).
    pub fn announcements(&self) -> AnnouncementDesk<'_> {
        AnnouncementDesk {
            announcements: &self.store,
            renderer: &self.templates,
            tenants: &self.store,
            chunks: &self.compose,
            sends: &self.store,
            statuses: &self.store,
            clock: &self.clock,
            defaults: &self.defaults,
            shared_rates: self.shared_rates,
        }
    }

    /// Registers an operator's token (only its digest is kept).
    pub async fn register_operator(&self, token: &str, operator: &Operator) -> Result<(), avisa_domain::PortError> {
        self.store.register(&token_digest(token), operator).await
    }
}

#[async_trait::async_trait]
impl HttpHandler for App {
    async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let operator = match http::authenticate(request, &self.store, self.clock.now()).await {
            Ok(operator) => operator,
            Err(refused) => return refused,
        };
        let method = request.request_context.http.method.as_deref().unwrap_or_default();
        let path = request.request_context.http.path.as_deref().or(request.raw_path.as_deref()).unwrap_or("/");
        // An announcement, and its preview, carry its file of contracts (100,000 are about 2 MB).
        let carries_a_file = matches!(path.trim_end_matches('/'), "/announcements" | "/announcements/preview");
        let limit = if carries_a_file { ANNOUNCEMENT_BYTES } else { http::MAX_BODY_BYTES };
        let body = match http::body_of_at_most(request, limit) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let response = routes::route(&self.desk(), &self.announcements(), &operator, method, path, &body).await;
        tracing::info!(tenant_id = %operator.tenant_id, method, path, status = response.status_code, "operator request");
        response
    }
}
