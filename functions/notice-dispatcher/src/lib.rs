//! notice-dispatcher: delivery jobs in; each (notice, channel) sent exactly once through SES or SNS.

mod handler;

use async_trait::async_trait;
use avisa_aws::{
    EventBridgeScheduler, S3Documents, SdkClient, Secret, SesEmailSender, SnsSmsSender, SqsQueue, WhatsAppCloud,
    ses_client,
};
use avisa_domain::dispatch::{Dispatch, Pacing, Providers};
use avisa_domain::tenant::{SharedRates, TenantSettings};
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget, ScheduleTarget};
use avisa_runtime::sqs::SqsHandler;
use avisa_wiring::Clients;
use avisa_wiring::batch::BatchAdapters;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::handle_batch;

pub const SOURCE: &str = "notice-dispatcher";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub sender_email: String,
    pub sms_sender_id: Option<String>,
    pub compose_queue_url: String,
    /// Its own queue: deliveries paced by the send rate wait there.
    pub dispatch_queue_url: String,
    pub schedules: ScheduleTarget,
    pub dead_letters: DeadLetterTarget,
    pub settings_fresh_for: std::time::Duration,
    pub defaults: TenantSettings,
    /// The providers' quotas every tenant shares (template parameter `SharedSendRates`).
    pub shared_rates: SharedRates,
    pub whatsapp_api_base: String,
    /// The secret holding the WhatsApp token (`{"access_token": …}`); `None`: no WhatsApp.
    pub whatsapp_secret: Option<String>,
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
            compose_queue_url: config::compose_queue_url(source)?,
            dispatch_queue_url: config::dispatch_queue_url(source)?,
            schedules: config::schedule_target(source, "DISPATCH_QUEUE_ARN")?,
            dead_letters: config::dead_letter_target(source)?,
            settings_fresh_for: config::settings_fresh_for(source)?,
            whatsapp_api_base: config::required(source, "WHATSAPP_API_BASE", "the template parameter WhatsAppApiBase")?,
            whatsapp_secret: config::optional(source, "WHATSAPP_SECRET_ARN"),
            defaults: config::tenant_defaults(source)?,
            shared_rates: config::shared_send_rates(source)?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    batch: BatchAdapters,
    email: SesEmailSender,
    sms: SnsSmsSender,
    whatsapp: WhatsAppCloud,
    documents: S3Documents,
    compose: SqsQueue,
    dispatch: SqsQueue,
    scheduler: EventBridgeScheduler,
    defaults: TenantSettings,
    shared_rates: SharedRates,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        let clients = Clients::new(sdk);
        Self {
            batch: BatchAdapters::new(&clients, &config.table_name, &config.dead_letters)
                .caching_settings_for(config.settings_fresh_for),
            email: SesEmailSender::new(SdkClient::lazy(sdk, ses_client), &config.sender_email),
            sms: SnsSmsSender::new(sdk, config.sms_sender_id.clone()),
            documents: S3Documents::new(SdkClient::lazy(sdk, aws_sdk_s3::Client::new)),
            whatsapp: WhatsAppCloud::new(
                &config.whatsapp_api_base,
                Secret::stored(sdk, config.whatsapp_secret.as_deref(), "access_token"),
            ),
            compose: clients.queue(&config.compose_queue_url),
            dispatch: clients.queue(&config.dispatch_queue_url),
            scheduler: avisa_wiring::scheduler(&clients, &config.schedules),
            defaults: config.defaults.clone(),
            shared_rates: config.shared_rates,
        }
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let dispatch = Dispatch {
            claims: &self.batch.store,
            notices: &self.batch.store,
            deliveries: &self.batch.store,
            providers: Providers {
                email: &self.email,
                sms: &self.sms,
                whatsapp: &self.whatsapp,
                documents: &self.documents,
                suppressions: &self.batch.store,
                clock: &self.batch.clock,
            },
            pacing: Pacing {
                rate_limiter: &self.batch.store,
                queue: &self.dispatch,
                scheduler: &self.scheduler,
                clock: &self.batch.clock,
                shared: self.shared_rates,
            },
            compose: &self.compose,
            dispatch: &self.dispatch,
            sends: &self.batch.store,
            tenants: &self.batch.store,
            clock: &self.batch.clock,
            defaults: &self.defaults,
        };
        handle_batch(dispatch, &self.batch.rejections(SOURCE), event).await.0
    }
}
