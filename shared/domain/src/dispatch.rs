//! Delivering one channel of a notice, exactly once.

use jiff::SignedDuration;

use crate::billing::Document;
use crate::clock::Clock;
use crate::compose::MAX_ATTACHMENT_BYTES;
use crate::contact::PhoneE164;
use crate::error::{Error, PortError, Rejection, RejectionCode};
use crate::ids::TenantId;
use crate::notice::{Channel, ComposeJob, DeliveryJob, Destination, Notice, NoticeKind, RenderedMessage};
use crate::ports::{
    Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue, DeliveryRecords, Documents, EmailAttachment, EmailSender,
    NoticeScheduler, NoticeStore, OutgoingEmail, OutgoingSms, OutgoingWhatsApp, RateLimiter, Scheduled, ScheduledJob,
    SmsSender, Suppressions, TenantDirectory, WhatsAppMessage, WhatsAppSender,
};
use crate::tenant::TenantSettings;

/// Longer than the function's timeout, so a live sender never loses its claim.
pub const DELIVERY_LEASE: SignedDuration = SignedDuration::from_secs(120);

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
    pub async fn handle(&self, job: &DeliveryJob) -> Result<Dispatched, Error> {
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

        let settings = self.tenants.settings(&job.tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        if let Some(deferred) = self.defer_for_quiet_hours(job, &settings).await? {
            return Ok(deferred);
        }
        let key = ClaimKey::Delivery {
            tenant_id: job.tenant_id.clone(),
            notice_id: job.notice_id.clone(),
            channel: job.channel,
        };
        match self.claims.acquire(&key, self.clock.now(), DELIVERY_LEASE).await? {
            Claim::Completed => return Ok(Dispatched::Duplicate),
            Claim::HeldElsewhere => {
                return Err(Error::InProgress { key: format!("{}/{}", job.notice_id, job.channel.as_str()) });
            }
            Claim::Acquired => {}
        }
        if !self.within_rate(job, content, &settings).await? {
            self.claims.release(&key).await?;
            let reason = format!("the tenant's {} send rate for this second is spent", job.channel.as_str());
            return Err(Error::Deferred { reason });
        }
        let sent = match &message.destination {
            Destination::Email(to) => match self.attachments(message.attachment.as_ref()).await {
                Ok(attachments) => {
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
                Err(unreadable) => Err(unreadable),
            },
            Destination::Sms(to) => {
                let sms = OutgoingSms {
                    to,
                    text: &content.text,
                    sender_id: settings.sender.sms_sender_id.as_ref(),
                    origination_number: settings.sender.sms_origination_number.as_ref(),
                };
                self.send_sms(&job.tenant_id, sms).await
            }
            Destination::Whatsapp(to) => self.send_whatsapp(&notice, to, content, &settings).await,
            Destination::Paper(_) => {
                let rejection = Rejection::new(
                    RejectionCode::NoChannel,
                    "paper is delivered by the print batch, not the dispatcher",
                );
                return self.finish_rejected(&key, rejection).await;
            }
        };
        match sent {
            Ok(provider_message_id) => {
                if job.channel == Channel::Whatsapp {
                    // WhatsApp's receipts name only its own message id.
                    self.deliveries.link_provider_id(&provider_message_id, &key).await?;
                }
                let outcome = ClaimOutcome::Sent { provider_message_id: provider_message_id.clone() };
                self.claims.complete(&key, self.clock.now(), &outcome).await?;
                Ok(Dispatched::Sent { provider_message_id })
            }
            Err(refused @ PortError::Permanent { .. }) => {
                let reason = std::iter::successors(Some(&refused as &dyn std::error::Error), |e| e.source())
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(": ");
                // Before the failure is recorded: a retry after a lost fallback sends nothing twice.
                if let Err(unavailable) = self.fall_back(&notice, job.channel).await {
                    self.claims.release(&key).await?;
                    return Err(unavailable.into());
                }
                self.finish_rejected(&key, Rejection::new(RejectionCode::NoChannel, reason)).await
            }
            Err(transient) => {
                self.claims.release(&key).await?;
                Err(transient.into())
            }
        }
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
            _ => (1, limits.email_per_second),
        };
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
        self.claims.complete(key, self.clock.now(), &ClaimOutcome::Rejected(rejection.clone())).await?;
        Err(Error::Rejected(rejection))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes};
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
        f.email.fail_next(false);
        let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
        assert!(err.is_retryable());
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        assert_eq!(f.email.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_refused_send_is_recorded_with_the_providers_reason_and_not_retried() {
        let f = Fakes::with_notice().await;
        f.email.fail_next(true);
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
        f.email.fail_next(true);
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

    #[tokio::test]
    async fn past_the_tenants_send_rate_a_delivery_waits_for_the_next_second() {
        let f = Fakes::with_notice().await;
        let limits = crate::tenant::RateLimits { email_per_second: 1, sms_parts_per_second: 0, whatsapp_per_second: 1 };
        f.tenants
            .put_settings(&fakes::tenant(), &TenantSettings { rate_limits: limits, ..fakes::default_settings() })
            .await
            .unwrap();
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
        let sms = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap_err();
        assert!(sms.is_retryable(), "{sms}");
        assert!(sms.to_string().contains("send rate"), "{sms}");
        assert!(f.sms.sent().is_empty());
        // the claim was given back: with budget again, it goes
        let more = crate::tenant::RateLimits { email_per_second: 1, sms_parts_per_second: 1, whatsapp_per_second: 1 };
        f.tenants
            .put_settings(&fakes::tenant(), &TenantSettings { rate_limits: more, ..fakes::default_settings() })
            .await
            .unwrap();
        f.clock.advance(SignedDuration::from_secs(1));
        assert!(matches!(
            dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap(),
            Dispatched::Sent { .. }
        ));
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
