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
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes, SendFault};
    use crate::notice::Channel;
    use crate::ports::TenantDirectory;

    fn dispatch(f: &Fakes) -> Dispatch<'_> {
        f.dispatcher()
    }

    #[tokio::test]
    async fn an_email_delivery_is_sent_once_and_recorded() {
        // GIVEN a composed notice
        let f = Fakes::with_notice().await;
        // WHEN its email job is delivered twice
        let first = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        let second = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        // THEN exactly one email left, and the second run was a duplicate
        assert!(matches!(first, Dispatched::Sent { .. }));
        assert_eq!(second, Dispatched::Duplicate);
        assert_eq!(f.email.sent().len(), 1);
    }

    #[tokio::test]
    async fn the_invoice_pdf_is_attached_to_the_email() {
        let f = Fakes::with_notice().await;
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        assert_eq!(f.email.attachments(), [vec!["F-2026-110001.pdf".to_owned()]]);
    }

    #[tokio::test]
    async fn a_missing_pdf_fails_the_email_with_the_reason_and_sends_nothing() {
        let f = Fakes::with_notice().await;
        f.documents.0.lock().unwrap().clear();
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("NoSuchKey"), "{err}");
        assert!(f.email.sent().is_empty());
    }

    #[tokio::test]
    async fn an_sms_goes_to_the_citizens_mobile_with_the_rendered_text() {
        let f = Fakes::with_notice().await;
        dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
        let sent = f.sms.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "+34600111001");
        assert!(sent[0].1.contains("F-2026-110001"));
    }

    #[tokio::test]
    async fn a_throttled_send_is_retried_and_then_sent_once() {
        let f = Fakes::with_notice().await;
        f.email.fail_next(SendFault::Throttled);
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert!(err.is_retryable());
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        assert_eq!(f.email.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_refused_send_is_recorded_with_the_providers_reason_and_not_retried() {
        let f = Fakes::with_notice().await;
        f.email.fail_next(SendFault::Refused);
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("address rejected"), "{err}");
        let again = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        assert_eq!(again, Dispatched::Duplicate);
        assert!(f.email.sent().is_empty());
    }

    #[tokio::test]
    async fn a_refused_email_falls_back_once_to_the_next_channel() {
        let f = Fakes::with_notice().await;
        f.email.fail_next(SendFault::Refused);
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        let fallbacks: Vec<_> = f.compose.jobs().into_iter().filter_map(|j| j.fallback).collect();
        assert_eq!(fallbacks.len(), 1);
        assert_eq!((fallbacks[0].failed, &fallbacks[0].of), (Channel::Email, &fakes::compose_job().notice_id));
    }

    #[tokio::test]
    async fn an_opted_out_number_is_suppressed_not_texted_and_falls_back() {
        let f = Fakes::with_invoice(|c| c.mobile = Some(PhoneE164::parse("+34600111099").unwrap())).await;
        f.composer().handle(&fakes::compose_job()).await.unwrap();
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap_err();
        assert!(err.to_string().contains("opted out"), "{err}");
        assert!(f.sms.sent().is_empty());
        let number = Destination::Sms(PhoneE164::parse("+34600111099").unwrap());
        assert!(Suppressions::is_suppressed(&f.suppressions, &fakes::tenant(), &number).await.unwrap());
        assert_eq!(f.compose.jobs().iter().filter(|j| j.fallback.is_some()).count(), 1);
    }

    #[tokio::test]
    async fn an_sms_in_quiet_hours_waits_for_them_to_end_and_email_does_not() {
        // GIVEN quiet hours 21:00-09:00 in Madrid and the clock at 06:00 there
        let f = Fakes::with_notice().await;
        let quiet =
            crate::tenant::QuietHours { start: jiff::civil::time(21, 0, 0, 0), end: jiff::civil::time(9, 0, 0, 0) };
        let settings = TenantSettings { quiet_hours: Some(quiet), ..fakes::default_settings() };
        f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
        *f.clock.0.lock().unwrap() = "2026-11-21T05:00:00Z".parse().unwrap();
        // WHEN the SMS and the email are dispatched
        let sms = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        // THEN the SMS is scheduled for 09:00 local, the email went, and nothing was dropped
        assert_eq!(sms, Dispatched::Deferred { until: "2026-11-21T09:00:00".into() });
        assert!(f.sms.sent().is_empty());
        assert_eq!(f.email.sent().len(), 1);
        let scheduled = f.scheduler.scheduled();
        assert_eq!(scheduled[0].job, Scheduled::Deliver(fakes::delivery_job(Channel::Sms)));
        // and an urgent SMS goes at once
        let urgent = DeliveryJob { urgent: true, ..fakes::delivery_job(Channel::Sms) };
        assert!(matches!(dispatch(&f).handle(&urgent).await.unwrap(), Dispatched::Sent { .. }));
    }

    fn with_rates(f: &Fakes, email_per_second: u32, sms_parts_per_second: u32) -> TenantSettings {
        let rate_limits = crate::tenant::RateLimits { email_per_second, sms_parts_per_second, whatsapp_per_second: 1 };
        TenantSettings { rate_limits, ..f.defaults.clone() }
    }

    #[tokio::test]
    async fn past_the_tenants_send_rate_a_delivery_waits_on_its_queue_without_using_up_receives() {
        // GIVEN a tenant whose SMS budget is spent
        let f = Fakes::with_notice().await;
        f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 0)).await.unwrap();
        // WHEN an SMS is dispatched
        let paced = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
        // THEN it is acknowledged and back on the dispatch queue, to come after a delay
        assert!(matches!(paced, Dispatched::Paced { .. }), "{paced:?}");
        assert!(f.sms.sent().is_empty());
        let waiting: Vec<DeliveryJob> = f.dispatch.jobs().into_iter().filter(|j| j.paced > 0).collect();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].paced, 1);
        assert!(f.dispatch.delays()[0] >= SignedDuration::from_secs(2));
        // and, with budget again, the waiting job goes
        f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 1)).await.unwrap();
        assert!(matches!(dispatch(&f).handle(&waiting[0]).await.unwrap(), Dispatched::Sent { .. }));
    }

    #[tokio::test]
    async fn a_delivery_that_waited_too_often_fails_to_be_dead_lettered_with_the_reason() {
        let f = Fakes::with_notice().await;
        f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 0)).await.unwrap();
        let job = DeliveryJob { paced: MAX_PACED, ..fakes::delivery_job(Channel::Sms) };
        let err = dispatch(&f).handle(&job).await.unwrap_err();
        assert!(err.is_retryable(), "retried, then dead-lettered: {err}");
        assert!(err.to_string().contains("send rate stayed spent"), "{err}");
    }

    #[tokio::test]
    async fn an_sms_longer_than_a_seconds_budget_takes_a_whole_second_instead_of_waiting_for_ever() {
        let f = Fakes::with_notice().await;
        f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 1)).await.unwrap();
        let notice = f.notices.all().pop().unwrap();
        let mut three_parts = notice.clone();
        for message in &mut three_parts.messages {
            if let Some(content) = message.content.as_mut() {
                content.parts = Some(3);
            }
        }
        f.notices.replace(three_parts);
        assert!(matches!(
            dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap(),
            Dispatched::Sent { .. }
        ));
    }

    #[tokio::test]
    async fn a_send_whose_answer_was_lost_is_sent_again_and_said_so() {
        // GIVEN an email the provider accepted but whose answer was lost
        let f = Fakes::with_notice().await;
        f.email.fail_next(SendFault::AnswerLost);
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        // WHEN the job is retried
        let again = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        // THEN it is sent again (at-least-once where the outcome is unknown), and then never more
        assert!(matches!(again, Dispatched::Sent { .. }));
        assert_eq!(f.email.sent().len(), 2);
        assert_eq!(dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap(), Dispatched::Duplicate);
    }

    #[tokio::test]
    async fn a_send_whose_record_cannot_be_written_is_never_sent_again() {
        // GIVEN an SMS sent, whose record write is throttled
        let f = Fakes::with_notice().await;
        f.claims.fail_next_complete();
        let sent = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
        assert!(matches!(sent, Dispatched::Sent { .. }), "the send is not failed: {sent:?}");
        // THEN a job of its own carries the record
        let record = f.dispatch.jobs().pop().unwrap();
        assert_eq!(record.sent.as_deref(), Some("msg-1"));
        assert_eq!(dispatch(&f).handle(&record).await.unwrap(), Dispatched::Recorded);
        // and the delivery, redelivered, is a duplicate: one SMS in all
        assert_eq!(dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap(), Dispatched::Duplicate);
        assert_eq!(f.sms.sent().len(), 1);
        assert_eq!(
            f.claims.delivery_outcomes(Channel::Sms),
            [ClaimOutcome::Sent { provider_message_id: "msg-1".into() }]
        );
    }

    #[tokio::test]
    async fn a_refused_delivery_is_sent_again_only_when_an_operator_redrives_it() {
        let f = Fakes::with_notice().await;
        f.email.fail_next(SendFault::Refused);
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert_eq!(dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap(), Dispatched::Duplicate);
        let redriven = DeliveryJob { redrive: true, ..fakes::delivery_job(Channel::Email) };
        assert!(matches!(dispatch(&f).handle(&redriven).await.unwrap(), Dispatched::Sent { .. }));
        assert_eq!(f.email.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_tenant_with_a_whatsapp_template_reaches_its_citizens_there() {
        // GIVEN a tenant with a WhatsApp number and a template for returned debits, and a
        // citizen who prefers WhatsApp
        let f = Fakes::with_invoice(|c| c.channels = vec![Channel::Whatsapp, Channel::Email]).await;
        let whatsapp = crate::tenant::WhatsAppSettings {
            phone_number_id: "1065".into(),
            templates: [(NoticeKind::DirectDebitReturned, "avisa_notice".to_owned())].into(),
        };
        f.tenants
            .put_settings(&fakes::tenant(), &TenantSettings { whatsapp: Some(whatsapp), ..fakes::default_settings() })
            .await
            .unwrap();
        for sample in ["invoice-paid", "direct-debit-returned"] {
            f.ingest().handle(&fakes::sample(sample), 1).await.unwrap();
        }
        let job = f.compose.jobs().pop().unwrap();
        // WHEN the notice is composed and its delivery dispatched
        f.composer().handle(&job).await.unwrap();
        let delivery = f.dispatch.jobs().pop().unwrap();
        assert_eq!(delivery.channel, Channel::Whatsapp);
        dispatch(&f).handle(&delivery).await.unwrap();
        // THEN it went as the template, to the mobile, with the SMS wording as its parameter
        let sent = f.whatsapp.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].0.as_str(), sent[0].1.as_str()), ("+34600111001", "avisa_notice"));
        assert!(sent[0].2.starts_with("direct_debit_returned/sms/ca"), "the SMS wording: {}", sent[0].2);
        // and its receipts will find the delivery by WhatsApp's id
        let feedback = crate::feedback::Feedback { deliveries: &f.deliveries, suppressions: &f.suppressions };
        let read = crate::feedback::WhatsAppReceipt {
            provider_message_id: "wamid.1".into(),
            status: Some(crate::ports::DeliveryStatus::Read),
            detail: String::new(),
            at: f.clock.now(),
        };
        feedback.handle_whatsapp(&read).await.unwrap();
        assert_eq!(f.deliveries.statuses(), [(Channel::Whatsapp, crate::ports::DeliveryStatus::Read, String::new())]);
    }

    #[tokio::test]
    async fn a_job_for_an_unrecorded_notice_is_rejected() {
        let f = Fakes::default();
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert!(err.to_string().contains("unknown_notice"), "{err}");
    }
}
