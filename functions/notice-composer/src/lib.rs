//! notice-composer: compose jobs in; personalised notices per channel recorded; delivery jobs out.
//! Outage alerts arrive on the same queue from their schedules: the alert is split into chunks of
//! contracts on this same queue, each chunk composes its citizens' notices, and the last one
//! briefs the tenant's call centre.

mod handler;

use async_trait::async_trait;
use avisa_aws::{SdkClient, SesEmailSender, SqsQueue, ses_client};
use avisa_domain::announcements::{AnnouncementRecipients, AnnouncementSends};
use avisa_domain::complaints::{ComplaintRecipients, ComplaintReminders};
use avisa_domain::compose::{AccountHolders, BySubject, Compose, Prefetched};
use avisa_domain::outage::{Audience, OutageAlerts, OutageRecipients};
use avisa_domain::staff_mail::StaffMail;
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource, DeadLetterTarget};
use avisa_runtime::sqs::SqsHandler;
use avisa_templates::Templates;
use avisa_wiring::Clients;
use avisa_wiring::batch::BatchAdapters;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub use handler::{Composer, handle_batch};

pub const SOURCE: &str = "notice-composer";

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub dispatch_queue_url: String,
    /// Its own queue: an outage alert's chunks go there.
    pub compose_queue_url: String,
    /// Who outage briefings to the call centre come from, for tenants without a sender.
    pub sender_email: String,
    pub dead_letters: DeadLetterTarget,
    pub settings_fresh_for: std::time::Duration,
    pub defaults: TenantSettings,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            dispatch_queue_url: config::dispatch_queue_url(source)?,
            compose_queue_url: config::compose_queue_url(source)?,
            sender_email: config::required(
                source,
                "SENDER_EMAIL",
                "the template parameter SenderEmail (a verified SES identity)",
            )?,
            dead_letters: config::dead_letter_target(source)?,
            settings_fresh_for: config::settings_fresh_for(source)?,
            defaults: config::tenant_defaults(source)?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    batch: BatchAdapters,
    dispatch: SqsQueue,
    compose: SqsQueue,
    email: SesEmailSender,
    templates: Templates,
    defaults: TenantSettings,
}

impl App {
    /// Fails when a template does not compile, so a broken build never composes a notice.
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        let clients = Clients::new(sdk);
        Ok(Self {
            batch: BatchAdapters::new(&clients, &config.table_name, &config.dead_letters)
                .caching_settings_for(config.settings_fresh_for),
            dispatch: clients.queue(&config.dispatch_queue_url),
            compose: clients.queue(&config.compose_queue_url),
            email: SesEmailSender::new(SdkClient::lazy(sdk, ses_client), &config.sender_email),
            templates: Templates::load().map_err(|e| RuntimeError::Templates(Box::new(e)))?,
            defaults: config.defaults.clone(),
        })
    }
}

#[async_trait]
impl SqsHandler for App {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let store = &self.batch.store;
        // The batch's notices' holders, customers and suppressions, read together.
        let citizens = Prefetched::read_for(store, store, handler::citizens_of(&event)).await;
        let accounts = AccountHolders { accounts: &citizens };
        let outages = OutageRecipients { outages: store, accounts: store, subscriptions: store };
        let complaints = ComplaintRecipients { complaints: store, accounts: store };
        let announcements = AnnouncementRecipients { announcements: store, accounts: store, known: None };
        let recipients = BySubject {
            accounts: &accounts,
            outages: &outages,
            complaints: &complaints,
            announcements: &announcements,
        };
        let compose = Compose {
            recipients: &recipients,
            notices: store,
            renderer: &self.templates,
            dispatch: &self.dispatch,
            suppressions: &citizens,
            tenants: store,
            print: store,
            clock: &self.batch.clock,
            defaults: &self.defaults,
        };
        let alerts = OutageAlerts {
            compose,
            audience: Audience { index: store, subscriptions: store, accounts: store, suppressions: store },
            outages: store,
            claims: store,
            email: &self.email,
            rejections: store,
            chunks: &self.compose,
            sends: store,
        };
        let reminders = ComplaintReminders {
            complaints: store,
            tenants: store,
            staff: StaffMail { claims: store, email: &self.email, renderer: &self.templates, clock: &self.batch.clock },
            defaults: &self.defaults,
        };
        let announcements =
            AnnouncementSends { compose, announcements: store, accounts: store, rejections: store, sends: store };
        let composer = Composer { compose, alerts, reminders, announcements };
        handle_batch(composer, &self.batch.rejections(SOURCE), event).await.0
    }
}
