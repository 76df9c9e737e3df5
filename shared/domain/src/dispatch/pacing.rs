//! What holds a delivery back: the tenant's quiet hours (a one-time schedule) and its send rate
//! (a wait on the dispatch queue, longer each time, that uses up none of the job's receives).

use jiff::SignedDuration;

use crate::channel::Channel;
use crate::clock::Clock;
use crate::error::Error;
use crate::notice::RenderedMessage;
use crate::ports::{DispatchQueue, NoticeScheduler, Priority, RateLimiter, RateScope, Scheduled, ScheduledJob};
use crate::queues::DeliveryJob;
use crate::tenant::{SharedRates, TenantSettings};

use super::{Dispatched, MAX_PACED};

#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Pacing<'a> {
    pub rate_limiter: &'a dyn RateLimiter,
    /// The dispatch queue itself: paced deliveries wait on it.
    pub queue: &'a dyn DispatchQueue,
    /// Holds deliveries back until quiet hours end.
    pub scheduler: &'a dyn NoticeScheduler,
    pub clock: &'a dyn Clock,
    /// The providers' quotas every tenant shares, taken after the tenant's own budget.
    pub shared: SharedRates,
}

impl Pacing<'_> {
    /// Text channels wait for the end of the tenant's quiet hours (urgent jobs do not).
    pub(super) async fn defer_for_quiet_hours(
        &self,
        job: &DeliveryJob,
        settings: &TenantSettings,
    ) -> Result<Option<Dispatched>, Error> {
        if job.urgent || !matches!(job.channel, Channel::Sms | Channel::Whatsapp) {
            return Ok(None);
        }
        let Some(quiet) = settings.quiet_hours else { return Ok(None) };
        let now = self.clock.now().to_zoned(settings.time_zone.zone());
        let Some(until) = quiet.reopening(&now) else { return Ok(None) };
        let scheduled = ScheduledJob {
            name: format!("{}-{}-quiet", job.notice_id, job.channel.as_str()),
            at: until,
            time_zone: settings.time_zone.as_str().to_owned(),
            job: Scheduled::Deliver(job.clone()),
        };
        self.scheduler.schedule(&scheduled).await?;
        Ok(Some(Dispatched::Deferred { until: until.to_string() }))
    }

    /// Takes this send from the tenant's per-second budget for the channel, then from the
    /// deployment's. The tenant's budget first: a tenant over its own rate never spends what the
    /// others share (a send the shared budget refuses leaves its unit of the tenant's unused).
    pub(super) async fn within_rate(
        &self,
        job: &DeliveryJob,
        content: &RenderedMessage,
        settings: &TenantSettings,
    ) -> Result<bool, Error> {
        let limits = settings.rate_limits;
        let (units, per_second) = match job.channel {
            Channel::Sms => {
                (u32::try_from(content.parts.unwrap_or(1)).unwrap_or(u32::MAX), limits.sms_parts_per_second)
            }
            Channel::Whatsapp => (1, limits.whatsapp_per_second),
            Channel::Email | Channel::Paper => (1, limits.email_per_second),
        };
        if per_second == 0 {
            return Ok(false); // the tenant paused the channel
        }
        // A message costing more than a second's whole budget takes the whole of one second.
        let priority = if job.urgent { Priority::Urgent } else { Priority::Routine };
        let now = self.clock.now();
        let tenant = RateScope::Tenant(&job.tenant_id);
        if !self.rate_limiter.take(tenant, job.channel, units.min(per_second), per_second, priority, now).await? {
            return Ok(false);
        }
        match self.shared.per_second(job.channel) {
            None => Ok(true),
            Some(0) => Ok(false), // the deployment paused the channel
            Some(shared) => {
                let units = units.min(shared);
                Ok(self.rate_limiter.take(RateScope::Deployment, job.channel, units, shared, priority, now).await?)
            }
        }
    }

    /// Puts the job back to wait for the send rate, longer each time, without using up receives.
    pub(super) async fn pace(&self, job: &DeliveryJob) -> Result<Dispatched, Error> {
        if job.paced >= MAX_PACED {
            let reason = format!(
                "the {} send rate stayed spent through {MAX_PACED} waits (the tenant's or the deployment's)",
                job.channel.as_str()
            );
            return Err(Error::Deferred { reason });
        }
        let delay = pacing_delay(job);
        self.queue.enqueue_after(&DeliveryJob { paced: job.paced + 1, ..job.clone() }, delay).await?;
        Ok(Dispatched::Paced { delay })
    }
}

/// 2, 4, 8… seconds (at most SQS's 15 minutes) after the `paced`-th wait, spread by the notice id
/// so that a burst does not come back all at once.
fn pacing_delay(job: &DeliveryJob) -> SignedDuration {
    let base: i64 = 1 << job.paced.min(9).saturating_add(1);
    let spread = job.notice_id.as_str().bytes().fold(0_i64, |h, b| (h * 31 + i64::from(b)) % 1_000_003) % base;
    SignedDuration::from_secs((base + spread).min(900))
}
