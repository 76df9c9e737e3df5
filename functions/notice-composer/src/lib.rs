//! notice-composer: compose jobs in; personalised notices per channel recorded; delivery jobs out.
//! Outage alerts arrive on the same queue from their schedules: one notice per citizen reached,
//! and a briefing email to the tenant's call centre.

mod handler;

use async_trait::async_trait;
use avisa_aws::{DynamoStore, SesEmailSender, SqsQueue, ses_client};
use avisa_domain::clock::SystemClock;
use avisa_domain::complaints::ComplaintReminders;
use avisa_domain::compose::Compose;
use avisa_domain::outage::{Audience, OutageAlerts};
use avisa_domain::staff_mail::StaffMail;
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget};
use avisa_runtime::sqs::{Rejections, SqsHandler};
use avisa_templates::Templates;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::{Composer, handle_batch};

pub const SOURCE: &str = "notice-composer";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub dispatch_queue_url: String,
    /// Who outage briefings to the call centre come from, for tenants without a sender.
    pub sender_email: String,
    pub dead_letters: DeadLetterTarget,
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
            sender_email: config::required(
                source,
                "SENDER_EMAIL",
                "the template parameter SenderEmail (a verified SES identity)",
            )?,
            dead_letters: config::dead_letter_target(source)?,
            defaults: config::tenant_defaults(source)?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    dispatch: SqsQueue,
    email: SesEmailSender,
    templates: Templates,
    dead_letters: SqsQueue,
    max_receive_count: u32,
    defaults: TenantSettings,
    clock: SystemClock,
}

impl App {
    /// Fails when a template does not compile, so a broken build never composes a notice.
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        Ok(Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            dispatch: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.dispatch_queue_url),
            email: SesEmailSender::new(ses_client(sdk), &config.sender_email),
            templates: Templates::load().map_err(|e| RuntimeError::Templates(Box::new(e)))?,
            dead_letters: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.dead_letters.queue_url),
            max_receive_count: config.dead_letters.max_receive_count,
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
            outages: &self.store,
            subscriptions: &self.store,
            complaints: &self.store,
            print: &self.store,
            clock: &self.clock,
            defaults: &self.defaults,
        };
        let alerts = OutageAlerts {
            compose,
            audience: Audience {
                index: &self.store,
                subscriptions: &self.store,
                accounts: &self.store,
                suppressions: &self.store,
            },
            outages: &self.store,
            claims: &self.store,
            email: &self.email,
            rejections: &self.store,
        };
        let reminders = ComplaintReminders {
            complaints: &self.store,
            tenants: &self.store,
            staff: StaffMail { claims: &self.store, email: &self.email, renderer: &self.templates, clock: &self.clock },
            defaults: &self.defaults,
        };
        let rejections = Rejections {
            source: SOURCE,
            log: &self.store,
            dead_letters: &self.dead_letters,
            max_receive_count: self.max_receive_count,
            clock: &self.clock,
        };
        handle_batch(Composer { alerts, reminders }, &rejections, event).await.0
    }
}
