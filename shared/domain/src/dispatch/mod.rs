//! Delivering one channel of a notice, exactly once.

use jiff::SignedDuration;

use crate::billing::Document;
use crate::clock::Clock;
use crate::compose::MAX_ATTACHMENT_BYTES;
use crate::contact::PhoneE164;
use crate::error::{Error, PortError, Rejection, RejectionCode};
use crate::ids::TenantId;
use crate::notice::{
    Channel, ChannelMessage, ComposeJob, DeliveryJob, Destination, Notice, NoticeKind, RenderedMessage,
};
use crate::once::Once;
use crate::ports::{
    Before, ClaimKey, ClaimOutcome, Claims, ComposeQueue, DeliveryRecords, DispatchQueue, Documents, EmailAttachment,
    EmailSender, NoticeScheduler, NoticeStore, OutgoingEmail, OutgoingSms, OutgoingWhatsApp, RateLimiter, Scheduled,
    ScheduledJob, SmsSender, Suppressions, TenantDirectory, WhatsAppMessage, WhatsAppSender,
};
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
    pub email: &'a dyn EmailSender,
    pub sms: &'a dyn SmsSender,
    pub whatsapp: &'a dyn WhatsAppSender,
    pub documents: &'a dyn Documents,
    pub suppressions: &'a dyn Suppressions,
    /// Where the fallback to the next channel goes (the composer writes it).
    pub compose: &'a dyn ComposeQueue,
    /// Its own queue: deliveries paced by the send rate wait there, and late records of sends.
    pub dispatch: &'a dyn DispatchQueue,
    /// Holds deliveries back until quiet hours end.
    pub scheduler: &'a dyn NoticeScheduler,
    pub tenants: &'a dyn TenantDirectory,
    pub rate_limiter: &'a dyn RateLimiter,
    pub deliveries: &'a dyn DeliveryRecords,
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

        let settings = self.tenants.settings(&job.tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        if let Some(deferred) = self.defer_for_quiet_hours(job, &settings).await? {
            return Ok(deferred);
        }
        if !self.within_rate(job, content, &settings).await? {
            return self.pace(job).await;
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
        match self.send(job, &notice, message, content, &settings).await {
            Ok(provider_message_id) => {
                self.record_sent(job, &key, &provider_message_id).await?;
                Ok(Dispatched::Sent { provider_message_id })
            }
            Err(refused @ PortError::Permanent { .. }) => {
                // Before the failure is recorded: a retry after a lost fallback sends nothing twice.
                if let Err(unavailable) = self.fall_back(&notice, job.channel).await {
                    let unavailable = Error::from(unavailable);
                    once.give_back(&key, &held, &unavailable).await?;
                    return Err(unavailable);
                }
                self.finish_rejected(&key, Rejection::new(RejectionCode::NoChannel, refused.chain())).await
            }
            Err(failed) => {
                // Only the send's own error can mean "maybe sent"; the reads before it cannot.
                let failed = Error::from(failed);
                once.give_back(&key, &held, &failed).await?;
                Err(failed)
            }
        }
    }

    async fn send(
        &self,
        job: &DeliveryJob,
        notice: &Notice,
        message: &ChannelMessage,
        content: &RenderedMessage,
        settings: &TenantSettings,
    ) -> Result<String, PortError> {
        match &message.destination {
            Destination::Email(to) => {
                let attachments = self.attachments(message.attachment.as_ref()).await?;
                let email = OutgoingEmail {
                    tenant_id: &job.tenant_id,
                    from: settings.sender.email_from.as_ref(),
                    notice_id: &job.notice_id,
                    to,
                    message: content,
                    attachments: &attachments,
                };
                self.email.send(email).await
            }
            Destination::Sms(to) => {
                let sms = OutgoingSms {
                    to,
                    text: &content.text,
                    sender_id: settings.sender.sms_sender_id.as_ref(),
                    origination_number: settings.sender.sms_origination_number.as_ref(),
                };
                self.send_sms(&job.tenant_id, sms).await
            }
            Destination::Whatsapp(to) => self.send_whatsapp(notice, to, content, settings).await,
            Destination::Paper(_) => Err(PortError::permanent("dispatch", std::io::Error::other(PAPER_IS_PRINTED))),
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

    /// Puts the job back to wait for the send rate, longer each time, without using up receives.
    async fn pace(&self, job: &DeliveryJob) -> Result<Dispatched, Error> {
        if job.paced >= MAX_PACED {
            let reason =
                format!("the tenant's {} send rate stayed spent through {MAX_PACED} waits", job.channel.as_str());
            return Err(Error::Deferred { reason });
        }
        let delay = pacing_delay(job);
        self.dispatch.enqueue_after(&DeliveryJob { paced: job.paced + 1, ..job.clone() }, delay).await?;
        Ok(Dispatched::Paced { delay })
    }

    async fn send_whatsapp(
        &self,
        notice: &Notice,
        to: &PhoneE164,
        content: &RenderedMessage,
        settings: &TenantSettings,
    ) -> Result<String, PortError> {
        let refuse = |reason: String| Err(PortError::permanent("whatsapp", std::io::Error::other(reason)));
        let Some(whatsapp) = settings.whatsapp.as_ref() else {
            return refuse("the tenant has no WhatsApp number".to_owned());
        };
        // The chat line answers inside the 24-hour window; everything else is a template.
        let message = if notice.kind == NoticeKind::ChatReply {
            WhatsAppMessage::Session { text: &content.text, interactive: content.interactive.as_ref() }
        } else {
            let Some(template) = whatsapp.templates.get(&notice.kind) else {
                return refuse(format!("the tenant has no WhatsApp template for {}", notice.kind.as_str()));
            };
            WhatsAppMessage::Template { name: template, language: notice.locale, body: &content.text }
        };
        self.whatsapp.send(OutgoingWhatsApp { to, phone_number_id: &whatsapp.phone_number_id, message }).await
    }

    /// Takes this send from the tenant's per-second budget for the channel.
    async fn within_rate(
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
        let units = units.min(per_second);
        Ok(self.rate_limiter.take(&job.tenant_id, job.channel, units, per_second, self.clock.now()).await?)
    }

    /// Text channels wait for the end of the tenant's quiet hours (urgent jobs do not).
    async fn defer_for_quiet_hours(
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

    /// Checks the number has not opted out of SMS (suppressing it if it has), then sends.
    async fn send_sms(&self, tenant_id: &TenantId, sms: OutgoingSms<'_>) -> Result<String, PortError> {
        if self.sms.is_opted_out(sms.to).await? {
            let destination = Destination::Sms(sms.to.clone());
            self.suppressions.suppress(tenant_id, &destination, "opted out of SMS", self.clock.now()).await?;
            return Err(PortError::permanent("sms", std::io::Error::other("the number opted out of SMS")));
        }
        self.sms.send(sms).await
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

    /// The message's document, read for attaching (an unreadable one fails the delivery as a send would).
    async fn attachments(&self, document: Option<&Document>) -> Result<Vec<EmailAttachment>, PortError> {
        let Some(document) = document else { return Ok(Vec::new()) };
        let bytes = self.documents.fetch(document, MAX_ATTACHMENT_BYTES).await?;
        let file_name = document.uri.as_str().rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("invoice.pdf");
        Ok(vec![EmailAttachment { file_name: file_name.to_owned(), content_type: "application/pdf".to_owned(), bytes }])
    }

    async fn finish_rejected(&self, key: &ClaimKey, rejection: Rejection) -> Result<Dispatched, Error> {
        self.once().finish(key, &ClaimOutcome::Rejected(rejection.clone())).await?;
        Err(Error::Rejected(rejection))
    }
}

/// 2, 4, 8… seconds (at most SQS's 15 minutes) after the `paced`-th wait, spread by the notice id
/// so that a burst does not come back all at once.
fn pacing_delay(job: &DeliveryJob) -> SignedDuration {
    let base: i64 = 1 << job.paced.min(9).saturating_add(1);
    let spread = job.notice_id.as_str().bytes().fold(0_i64, |h, b| (h * 31 + i64::from(b)) % 1_000_003) % base;
    SignedDuration::from_secs((base + spread).min(900))
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
