//! Claims: a business key taken before a side effect, so that a redelivered message never acts
//! twice.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::channel::Channel;
use crate::error::{PortError, Rejection};
use crate::ids::{EventId, NoticeId, TenantId};

/// What an idempotency claim is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClaimKey {
    /// Applying one billing event.
    Event { tenant_id: TenantId, event_id: EventId },
    /// Delivering one channel of one notice.
    Delivery { tenant_id: TenantId, notice_id: NoticeId, channel: Channel },
    /// Answering one inbound WhatsApp message (Meta redelivers webhooks).
    Inbound { tenant_id: TenantId, message_id: String },
}

/// The answer to a claim attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours until the lease ends: do the work, then `complete` or `release`.
    Acquired(Held),
    /// Done before: acknowledge and do nothing.
    Completed,
    /// Another invocation holds an unexpired lease.
    HeldElsewhere,
}

/// A claim this invocation holds: its token tells our own retried write from someone else's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub token: String,
    /// How the key was left before, when it was taken before.
    pub before: Option<Before>,
}

/// How an earlier attempt left a key that is taken again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// Given back after a failure that did nothing.
    Released,
    /// Its holder's lease ran out: it died, maybe after the side effect.
    LeaseExpired,
    /// Its holder could not tell whether the side effect happened (the provider's answer was lost).
    OutcomeUnknown,
    /// Rejected, and taken again because the input is sent again (a redrive, or upstream resending
    /// an event once its cause is fixed).
    Rejected,
}

impl Before {
    /// Whether the earlier attempt may have done the work.
    pub fn maybe_done(self) -> bool {
        matches!(self, Self::LeaseExpired | Self::OutcomeUnknown)
    }
}

/// How claimed work ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    Applied,
    Sent { provider_message_id: String },
    Rejected(Rejection),
}

/// Why a held claim is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release<'a> {
    /// The work was not done: the next attempt starts afresh.
    NotDone,
    /// The work may have been done (`why`): the next attempt is told so.
    MaybeDone { why: &'a str },
}

/// Claim a business key before a side effect, so a redelivered message never acts twice
/// (the INPROGRESS / COMPLETED model, with a lease that expires if the holder dies).
#[async_trait]
pub trait Claims: Send + Sync {
    /// `retake_rejected`: a key whose work was rejected may be taken again (the input was fixed).
    async fn acquire(
        &self,
        key: &ClaimKey,
        now: Timestamp,
        lease: SignedDuration,
        retake_rejected: bool,
    ) -> Result<Claim, PortError>;
    async fn complete(&self, key: &ClaimKey, now: Timestamp, outcome: &ClaimOutcome) -> Result<(), PortError>;
    /// Several events recorded as applied at once (a batch of them on stores that can): all of
    /// them, or an error, after which some may be recorded and some not.
    async fn complete_applied(&self, keys: &[ClaimKey], now: Timestamp) -> Result<(), PortError> {
        for key in keys {
            self.complete(key, now, &ClaimOutcome::Applied).await?;
        }
        Ok(())
    }
    /// Gives the key back after a failure worth retrying (only if `held` still holds it).
    async fn release(&self, key: &ClaimKey, held: &Held, how: Release<'_>) -> Result<(), PortError>;
}
