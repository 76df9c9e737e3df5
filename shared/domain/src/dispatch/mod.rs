//! Delivering one channel of a notice, exactly once.

mod held_tally;
mod pacing;
mod prefetched;
mod providers;

pub use held_tally::HeldTally;
pub use pacing::Pacing;
pub use prefetched::PrefetchedNotices;
pub use providers::Providers;

use jiff::SignedDuration;

use crate::channel::Channel;
use crate::clock::Clock;
use crate::error::{Error, PortError, Rejection, RejectionCode};
use crate::notice::{Destination, Notice};
use crate::once::Once;
use crate::ports::{
    Before, ClaimKey, ClaimOutcome, Claims, ComposeQueue, DeliveryRecords, DispatchQueue, NoticeStore, TenantDirectory,
};
use crate::queues::{ComposeJob, DeliveryJob};
use crate::sends::{DeliveryOutcome, DeliveryTally, send_of};
use crate::tenant::TenantSettings;

/// Longer than the function's timeout, so a live sender never loses its claim.
pub const DELIVERY_LEASE: SignedDuration = SignedDuration::from_secs(120);

const PAPER_IS_PRINTED: &str = "paper is delivered by the print batch, not the dispatcher";

/// A delivery over its tenant's send rate waits again and again, longer each time; after this
/// many waits (about four hours in all) it fails, to be dead-lettered with the reason.
pub const MAX_PACED: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    Sent {
        provider_message_id: String,
    },
    Duplicate,
    /// Inside the tenant's quiet hours: scheduled again for when they end (local time).
    Deferred {
        until: String,
    },
    /// Over the tenant's send rate: back on the queue, to be received after a delay.
    Paced {
        delay: SignedDuration,
    },
    /// A send made by an earlier attempt, recorded now.
    Recorded,
}

/// The ports dispatching needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Dispatch<'a> {
    pub claims: &'a dyn Claims,
    pub notices: &'a dyn NoticeStore,
    pub deliveries: &'a dyn DeliveryRecords,
    pub providers: Providers<'a>,
    pub pacing: Pacing<'a>,
    /// Where the fallback to the next channel goes (the composer writes it).
    pub compose: &'a dyn ComposeQueue,
    /// Its own queue: late records of sends go there.
    pub dispatch: &'a dyn DispatchQueue,
    /// The counters of the send a delivery is part of.
    pub sends: &'a dyn DeliveryTally,
    pub tenants: &'a dyn TenantDirectory,
    pub clock: &'a dyn Clock,
    /// The deployment's settings, for tenants with none of their own.
    pub defaults: &'a TenantSettings,
}

impl Dispatch<'_> {
    fn once(&self) -> Once<'_> {
        Once { claims: self.claims, clock: self.clock }
    }

    /// Sends one channel of a notice once. A send whose answer was lost is sent again on the next
    /// attempt (at-least-once where the outcome is unknown: a second copy costs less than a lost
    /// notice, and no provider takes an idempotency key); every other retry sends nothing twice.
    pub async fn handle(&self, job: &DeliveryJob) -> Result<Dispatched, Error> {
        let key = job.claim_key();
        if let Some(provider_message_id) = &job.sent {
            self.record_sent(job, &key, provider_message_id).await?;
            return Ok(Dispatched::Recorded);
        }
        let notice = self.notices.notice(&job.tenant_id, &job.notice_id).await?.ok_or_else(|| {
            Error::rejected(RejectionCode::UnknownNotice, format!("notice {} is not recorded", job.notice_id))
        })?;
        let unknown_channel = || {
            Error::rejected(
                RejectionCode::NoChannel,
                format!("notice {} has no {} message", job.notice_id, job.channel.as_str()),
            )
        };
        let message = notice.message_for(job.channel).ok_or_else(unknown_channel)?;
        let content = message.content.as_ref().ok_or_else(unknown_channel)?;
        if let Destination::Paper(_) = message.destination {
            return Err(Error::rejected(RejectionCode::NoChannel, PAPER_IS_PRINTED));
        }

        let mut settings = self.tenants.settings(&job.tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        // A tenant with settings of its own but no document place uses the deployment's.
        settings.documents = settings.documents.or_else(|| self.defaults.documents.clone());
        if let Some(deferred) = self.pacing.defer_for_quiet_hours(job, &settings).await? {
            self.tally(job, &notice, DeliveryOutcome::QuietHours).await;
            return Ok(deferred);
        }
        if !self.pacing.within_rate(job, content, &settings).await? {
            let paced = self.pacing.pace(job).await;
            match &paced {
                Ok(_) if job.paced == 0 => self.tally(job, &notice, DeliveryOutcome::Paced).await,
                Err(Error::Deferred { .. }) => {
                    self.tally(job, &notice, DeliveryOutcome::Refused { reason: "rate_spent" }).await;
                }
                _ => {}
            }
            return paced;
        }
        let once = self.once();
        let Some(held) = once.take(&key, DELIVERY_LEASE, job.redrive).await? else {
            return Ok(Dispatched::Duplicate);
        };
        if held.before.is_some_and(Before::maybe_done) {
            tracing::warn!(
                tenant_id = %job.tenant_id,
                notice_id = %job.notice_id,
                channel = job.channel.as_str(),
                "an earlier attempt may have sent this already; sending again"
            );
        }
        match self.providers.send(job, &notice, message, content, &settings).await {
            Ok(provider_message_id) => {
                self.record_sent(job, &key, &provider_message_id).await?;
                self.tally(job, &notice, DeliveryOutcome::Sent).await;
                Ok(Dispatched::Sent { provider_message_id })
            }
            Err(refused @ PortError::Permanent { .. }) => {
                // Before the failure is recorded: a retry after a lost fallback sends nothing twice.
                if let Err(unavailable) = self.fall_back(&notice, job.channel).await {
                    let unavailable = Error::from(unavailable);
                    once.give_back(&key, &held, &unavailable).await?;
                    return Err(unavailable);
                }
                let rejected =
                    self.finish_rejected(&key, Rejection::new(RejectionCode::NoChannel, refused.chain())).await;
                self.tally(job, &notice, DeliveryOutcome::Refused { reason: "provider_refused" }).await;
                rejected
            }
            Err(failed) => {
                // Only the send's own error can mean "maybe sent"; the reads before it cannot.
                let failed = Error::from(failed);
                once.give_back(&key, &held, &failed).await?;
                Err(failed)
            }
        }
    }

    /// Records a send on its claim (and, for WhatsApp, the receipts' link to it). When that cannot
    /// be written now, a job of its own writes it later: the send is out, and no retry of this
    /// job may send it again.
    async fn record_sent(&self, job: &DeliveryJob, key: &ClaimKey, provider_message_id: &str) -> Result<(), Error> {
        let outcome = ClaimOutcome::Sent { provider_message_id: provider_message_id.to_owned() };
        let mut recorded = self.once().finish(key, &outcome).await;
        if recorded.is_ok() && job.channel == Channel::Whatsapp {
            // WhatsApp's receipts name only its own message id.
            recorded = self.deliveries.link_provider_id(provider_message_id, key).await;
        }
        let Err(unrecorded) = recorded else { return Ok(()) };
        if job.sent.is_some() {
            return Err(unrecorded.into()); // this is the late record: retry it
        }
        let record = DeliveryJob { sent: Some(provider_message_id.to_owned()), ..job.clone() };
        self.dispatch.enqueue(&record).await.map_err(|_| unrecorded)?;
        tracing::warn!(
            tenant_id = %job.tenant_id,
            notice_id = %job.notice_id,
            channel = job.channel.as_str(),
            "sent, but its record could not be written; a job of its own will write it"
        );
        Ok(())
    }

    /// Adds a delivery's outcome to the counters of the send it is part of (an outage alert's).
    /// The delivery stands whatever happens to them: a counter missed is logged, never retried
    /// (a retry could send again).
    async fn tally(&self, job: &DeliveryJob, notice: &Notice, outcome: DeliveryOutcome) {
        let Some(send_id) = send_of(notice) else { return };
        // A fallback's outcome is the original delivery's second chance: the original counted once.
        let outcome = match outcome {
            DeliveryOutcome::Sent if notice.fallback_of.is_some() => DeliveryOutcome::Recovered,
            DeliveryOutcome::Refused { .. } if notice.fallback_of.is_some() => return,
            outcome => outcome,
        };
        let counts = outcome.counts(job.channel);
        if let Err(error) = self.sends.add(&job.tenant_id, &send_id, &counts, self.clock.now()).await {
            tracing::warn!(
                tenant_id = %job.tenant_id,
                notice_id = %job.notice_id,
                send_id,
                error = %error.chain(),
                "the send's counters missed this delivery"
            );
        }
    }

    /// The notice again, on the citizen's next channel; a fallback does not fall back again.
    async fn fall_back(&self, notice: &Notice, failed: Channel) -> Result<(), PortError> {
        if notice.fallback_of.is_some() {
            return Ok(());
        }
        match ComposeJob::fallback_for(notice, notice.subject.clone(), failed) {
            Some(job) => self.compose.enqueue(&job).await,
            None => Ok(()),
        }
    }

    async fn finish_rejected(&self, key: &ClaimKey, rejection: Rejection) -> Result<Dispatched, Error> {
        self.once().finish(key, &ClaimOutcome::Rejected(rejection.clone())).await?;
        Err(Error::Rejected(rejection))
    }
}

impl DeliveryJob {
    /// The claim of this delivery.
    pub fn claim_key(&self) -> ClaimKey {
        ClaimKey::Delivery {
            tenant_id: self.tenant_id.clone(),
            notice_id: self.notice_id.clone(),
            channel: self.channel,
        }
    }
}

#[cfg(test)]
mod tests;
