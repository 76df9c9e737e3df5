//! The ports the domain needs: one small trait per capability. Adapters in `avisa-aws`
//! implement them with the real SDKs; `fakes` implements them in memory.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile, StaffPriority};
use crate::channel::Channel;
use crate::error::{PortError, Rejection};
use crate::ids::{ContractId, CustomerId, NoticeId, TenantId};
use crate::notice::{Destination, Notice};
use crate::queues::{ChatJob, ComposeJob, ComposeMessage, DeliveryJob};
use crate::tenant::TenantSettings;

mod claims;
mod rendering;
mod senders;

pub use claims::*;
pub use rendering::*;
pub use senders::*;

/// A message that could not be understood at all, kept with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedMessage {
    /// The function that refused it.
    pub source: String,
    pub message_id: String,
    pub tenant_id: Option<String>,
    pub event_id: Option<String>,
    pub rejection: Rejection,
    pub at: Timestamp,
    /// The message itself, kept when its rejection may be redriven once the cause is fixed
    /// (see `RejectionCode::redrivable`).
    pub body: Option<String>,
    /// When an operator sent it again.
    pub redriven_at: Option<Timestamp>,
}

#[async_trait]
pub trait RejectionLog: Send + Sync {
    async fn record(&self, rejected: &RejectedMessage) -> Result<(), PortError>;
    /// The newest `limit` rejections of a tenant (`None`: messages whose tenant could not be read).
    async fn list(&self, tenant_id: Option<&TenantId>, limit: usize) -> Result<Vec<RejectedMessage>, PortError>;
    /// A tenant's rejections from `from` to `to`, oldest first.
    async fn between(
        &self,
        tenant_id: &TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RejectedMessage>, PortError>;
    /// Notes that an operator sent the rejected message again.
    async fn mark_redriven(&self, rejected: &RejectedMessage, at: Timestamp) -> Result<(), PortError>;
}

/// A message that failed every attempt its queue allows, with why: kept on the queue's
/// dead-letter queue for an operator to redrive once the cause is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter<'a> {
    /// The function that gave up on it.
    pub source: &'a str,
    pub message_id: &'a str,
    pub body: &'a str,
    pub tenant_id: Option<&'a str>,
    /// The last error, with its causes (no personal data: errors carry ids and providers' codes).
    pub reason: &'a str,
    pub receive_count: u32,
    pub at: Timestamp,
}

#[async_trait]
pub trait DeadLetters: Send + Sync {
    async fn dead_letter(&self, letter: &DeadLetter<'_>) -> Result<(), PortError>;
}

/// Customers, contracts and what is known about them.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Keeps the newer of the stored and the given profile (by `as_of`).
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError>;
    /// Keeps the newer of the stored and the given holder (by `as_of`).
    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError>;
    /// Keeps the newer of the stored and the given fact in the fact's slot (by `as_of`).
    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError>;
    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError>;
    async fn holder(&self, tenant_id: &TenantId, contract_id: &ContractId)
    -> Result<Option<ContractHolder>, PortError>;
    /// The holders of those of `contracts` that have one. One read each unless the store can
    /// batch them (a chunk of a send reads its hundred contracts' this way).
    async fn holders(&self, tenant_id: &TenantId, contracts: &[ContractId]) -> Result<Vec<ContractHolder>, PortError> {
        let mut found = Vec::with_capacity(contracts.len());
        for contract_id in contracts {
            found.extend(self.holder(tenant_id, contract_id).await?);
        }
        Ok(found)
    }
    /// The profiles of those of `customers` that are known; batched where the store can.
    async fn customers(
        &self,
        tenant_id: &TenantId,
        customers: &[CustomerId],
    ) -> Result<Vec<CustomerProfile>, PortError> {
        let mut found = Vec::with_capacity(customers.len());
        for customer_id in customers {
            found.extend(self.customer(tenant_id, customer_id).await?);
        }
        Ok(found)
    }
    /// The contract's whole state; `None` for a contract with no holder yet.
    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError>;
}

/// Staff's marks on priority supply points (hospitals, care homes…), kept apart from upstream's.
#[async_trait]
pub trait PriorityMarks: Send + Sync {
    /// Sets the contract's staff mark, or removes it with `None`; `false` when the contract has no
    /// holder (upstream never sent its `customer.upserted`).
    async fn mark_priority(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        mark: Option<&StaffPriority>,
    ) -> Result<bool, PortError>;
}

#[async_trait]
pub trait ComposeQueue: Send + Sync {
    async fn enqueue(&self, job: &ComposeJob) -> Result<(), PortError>;
    /// Several jobs at once (one request for up to ten on SQS); all of them, or an error.
    async fn enqueue_all(&self, jobs: &[ComposeJob]) -> Result<(), PortError> {
        for job in jobs {
            self.enqueue(job).await?;
        }
        Ok(())
    }
}

/// Puts a fired alert's chunks on the compose queue (the composer's own).
#[async_trait]
pub trait ChunkQueue: Send + Sync {
    /// Chunks of a send (an alert's, an announcement's): all of them, or an error.
    async fn enqueue_chunks(&self, chunks: &[ComposeMessage]) -> Result<(), PortError>;
}

#[async_trait]
pub trait DispatchQueue: Send + Sync {
    async fn enqueue(&self, job: &DeliveryJob) -> Result<(), PortError>;
    /// Several jobs at once (one request for up to ten on SQS); all of them, or an error.
    async fn enqueue_all(&self, jobs: &[DeliveryJob]) -> Result<(), PortError> {
        for job in jobs {
            self.enqueue(job).await?;
        }
        Ok(())
    }
    /// Puts the job on the queue to be received after `delay` (at most 15 minutes): waiting that
    /// uses up none of its receives.
    async fn enqueue_after(&self, job: &DeliveryJob, delay: SignedDuration) -> Result<(), PortError>;
}

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Records a new notice; `false` when one with this id already exists (it is left as it was).
    async fn create(&self, notice: &Notice) -> Result<bool, PortError>;
    async fn notice(&self, tenant_id: &TenantId, notice_id: &NoticeId) -> Result<Option<Notice>, PortError>;
    /// Those of one tenant's `notice_ids` that are recorded, in no order: one read each, unless
    /// the store can read many at once.
    async fn notices_among(&self, tenant_id: &TenantId, notice_ids: &[NoticeId]) -> Result<Vec<Notice>, PortError> {
        let mut found = Vec::with_capacity(notice_ids.len());
        for notice_id in notice_ids {
            found.extend(self.notice(tenant_id, notice_id).await?);
        }
        Ok(found)
    }
    /// A contract's notices, newest first (the citizen's "virtual office" view).
    async fn history(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        limit: usize,
    ) -> Result<Vec<Notice>, PortError>;
}

/// Where a delivery stands after it was sent, as providers report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Delivered,
    Read,
    Bounced,
    SoftBounced,
    Complained,
    /// The provider gave up after accepting it (WhatsApp `failed`).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Bounced => "bounced",
            Self::SoftBounced => "soft_bounced",
            Self::Complained => "complained",
        }
    }

    /// How far along a delivery this status is: a receipt is recorded only over a lower one, so a
    /// late `delivered` never overwrites `read` and a replayed receipt changes nothing.
    pub fn rank(self) -> u8 {
        match self {
            Self::SoftBounced => 0,
            Self::Delivered => 1,
            Self::Read => 2,
            Self::Bounced | Self::Failed => 3,
            Self::Complained => 4,
        }
    }
}

/// The delivery records (the claim items) and what providers report about them.
#[async_trait]
pub trait DeliveryRecords: Send + Sync {
    /// Records the provider's word on a delivery (`key` is a `ClaimKey::Delivery`) when it is
    /// further along than the recorded one (see [`DeliveryStatus::rank`]); `false` when it is not.
    async fn record_status(
        &self,
        key: &ClaimKey,
        status: DeliveryStatus,
        detail: &str,
        at: Timestamp,
    ) -> Result<bool, PortError>;
    /// Remembers which delivery a provider's message id belongs to (for providers whose
    /// receipts carry only their own id, like WhatsApp's).
    async fn link_provider_id(&self, provider_message_id: &str, key: &ClaimKey) -> Result<(), PortError>;
    /// The delivery a provider's message id belongs to.
    async fn by_provider_id(&self, provider_message_id: &str) -> Result<Option<ClaimKey>, PortError>;
}

/// Shared send-rate budgets (per tenant, channel and second).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes `units` from the current second's budget of `per_second`; `false` when it is spent.
    /// An urgent send refused leaves the next seconds to urgent sends: routine ones wait.
    async fn take(
        &self,
        scope: RateScope<'_>,
        channel: Channel,
        units: u32,
        per_second: u32,
        priority: Priority,
        now: Timestamp,
    ) -> Result<bool, PortError>;
}

/// Whose budget a send takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateScope<'a> {
    /// The tenant's own (its settings' rate limits).
    Tenant(&'a TenantId),
    /// The one every tenant of the deployment shares (the providers' quotas).
    Deployment,
}

/// Which send goes first when both compete for a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// An outage alert: waits for nothing but the budget itself.
    Urgent,
    /// Invoices, reminders, replies: wait while urgent sends are waiting.
    Routine,
}

/// How many seconds after an urgent send was refused routine sends keep out of the budget: an
/// urgent send paced comes back after two seconds or more.
pub const URGENT_SECONDS_AHEAD: i64 = 4;

/// Tenants' own settings.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// `None` for a tenant that has not configured itself (the deployment's defaults apply).
    async fn settings(&self, tenant_id: &TenantId) -> Result<Option<TenantSettings>, PortError>;
    /// Stores the settings (and, for a tenant with a WhatsApp number, which tenant it is).
    async fn put_settings(&self, tenant_id: &TenantId, settings: &TenantSettings) -> Result<(), PortError>;
    /// The tenant whose WhatsApp Business number this is.
    async fn tenant_by_whatsapp_number(&self, phone_number_id: &str) -> Result<Option<TenantId>, PortError>;
}

/// Which tenants each upstream billing system may act for. An upstream is known by the queue it
/// sends on (its ARN, which Lambda stamps on every record and no sender can forge); a queue's
/// policy says who may send on it.
#[async_trait]
pub trait Upstreams: Send + Sync {
    async fn tenants_of(&self, source: &str) -> Result<Vec<TenantId>, PortError>;
}

/// A job to run later, once, at a local time in a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledJob {
    /// Unique per notice: scheduling it again moves it instead of adding a second one.
    pub name: String,
    pub at: jiff::civil::DateTime,
    pub time_zone: String,
    pub job: Scheduled,
}

/// What a schedule puts on its queue when it fires: the job itself, as its consumer reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Scheduled {
    /// On the compose queue: a reminder to compose, an outage alert to write to everyone the
    /// outage reaches, a complaint's step about to be late.
    Compose(ComposeMessage),
    /// On the dispatch queue: a delivery held back by quiet hours.
    Deliver(DeliveryJob),
    /// On the chat timer queue: a question got no answer; a photo to try again.
    Chat(ChatJob),
}

/// One-time schedules (EventBridge Scheduler in the cloud).
#[async_trait]
pub trait NoticeScheduler: Send + Sync {
    /// Creates the schedule, or moves it when one of that name exists.
    async fn schedule(&self, scheduled: &ScheduledJob) -> Result<(), PortError>;
    /// Removes the schedule; one already gone (fired, or never made) is not an error.
    async fn cancel(&self, name: &str) -> Result<(), PortError>;
}

/// Addresses that must not be used again: a bounced or complained email, an opted-out number.
#[async_trait]
pub trait Suppressions: Send + Sync {
    async fn is_suppressed(&self, tenant_id: &TenantId, destination: &Destination) -> Result<bool, PortError>;
    /// Those of `destinations` that are suppressed; batched where the store can.
    async fn suppressed_among(
        &self,
        tenant_id: &TenantId,
        destinations: &[Destination],
    ) -> Result<Vec<Destination>, PortError> {
        let mut suppressed = Vec::new();
        for destination in destinations {
            if self.is_suppressed(tenant_id, destination).await? {
                suppressed.push(destination.clone());
            }
        }
        Ok(suppressed)
    }
    async fn suppress(
        &self,
        tenant_id: &TenantId,
        destination: &Destination,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), PortError>;
}
