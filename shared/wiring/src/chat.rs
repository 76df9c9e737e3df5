//! The chat line's configuration and adapters, shared by its three functions: the webhook, the
//! no-reply timers and the staff desk.

use avisa_aws::{DynamoStore, EventBridgeScheduler, SqsQueue};
use avisa_domain::chat::{ChatLine, Citizens, Filings, Replies};
use avisa_domain::clock::SystemClock;
use avisa_domain::complaints::ComplaintDesk;
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource, ScheduleTarget};
use avisa_templates::Templates;

use crate::{Clients, scheduler};

/// What every function of the chat line (webhook, timers, staff desk) is configured with.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    pub table_name: String,
    pub dispatch_queue_url: String,
    /// Complaints filed from the chat go to the composer for their notices.
    pub compose_queue_url: String,
    /// Staff's complaint reminders are schedules on the compose queue.
    pub reminders: ScheduleTarget,
    /// The no-reply timers go to the chat timer queue.
    pub timers: ScheduleTarget,
    /// Work for at once (a photo to keep) goes straight onto it.
    pub jobs_queue_url: String,
    pub defaults: TenantSettings,
}

impl ChatConfig {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            dispatch_queue_url: config::dispatch_queue_url(source)?,
            compose_queue_url: config::compose_queue_url(source)?,
            timers: config::schedule_target(source, "CHAT_TIMER_QUEUE_ARN")?,
            jobs_queue_url: config::required(source, "CHAT_TIMER_QUEUE_URL", "the template's ChatTimerQueue")?,
            reminders: config::schedule_target(source, "COMPOSE_QUEUE_ARN")?,
            defaults: config::tenant_defaults(source)?,
        })
    }
}

/// The chat line's adapters, shared by the webhook, the timers and the staff desk.
#[derive(Debug)]
pub struct ChatAdapters {
    pub store: DynamoStore,
    pub dispatch: SqsQueue,
    pub compose: SqsQueue,
    pub timers: EventBridgeScheduler,
    pub jobs: SqsQueue,
    pub reminders: EventBridgeScheduler,
    pub templates: Templates,
    pub defaults: TenantSettings,
    pub clock: SystemClock,
}

impl ChatAdapters {
    /// Fails when a template does not compile, so a broken build never answers a citizen.
    pub fn new(config: &ChatConfig, clients: &Clients<'_>) -> Result<Self, RuntimeError> {
        Ok(Self {
            store: clients.store(&config.table_name),
            dispatch: clients.queue(&config.dispatch_queue_url),
            compose: clients.queue(&config.compose_queue_url),
            timers: scheduler(clients, &config.timers),
            jobs: clients.queue(&config.jobs_queue_url),
            reminders: scheduler(clients, &config.reminders),
            templates: Templates::load().map_err(|e| RuntimeError::Templates(Box::new(e)))?,
            defaults: config.defaults.clone(),
            clock: SystemClock,
        })
    }

    pub fn line(&self) -> ChatLine<'_> {
        let store = &self.store;
        let complaints = ComplaintDesk {
            complaints: store,
            accounts: store,
            compose: &self.compose,
            reminders: &self.reminders,
            tenants: store,
            clock: &self.clock,
            defaults: &self.defaults,
        };
        ChatLine {
            conversations: store,
            replies: Replies { phrases: &self.templates, notices: store, dispatch: &self.dispatch },
            filings: Filings {
                incidents: store,
                appointments: store,
                subscriptions: store,
                complaints,
                ratings: store,
            },
            citizens: Citizens { customers: store, accounts: store },
            timers: &self.timers,
            jobs: &self.jobs,
            feeds: store,
            tenants: store,
            claims: store,
            clock: &self.clock,
            defaults: &self.defaults,
        }
    }
}
