//! Where a delivery leaves for its provider: SES, SNS or WhatsApp, with its attachment read
//! from S3; a number that opted out of SMS is suppressed instead.

use crate::billing::Document;
use crate::clock::Clock;
use crate::compose::MAX_ATTACHMENT_BYTES;
use crate::contact::PhoneE164;
use crate::error::PortError;
use crate::ids::TenantId;
use crate::notice::{ChannelMessage, Destination, Notice, NoticeKind, RenderedMessage};
use crate::ports::{
    Documents, EmailAttachment, EmailSender, OutgoingEmail, OutgoingSms, OutgoingWhatsApp, SmsSender, Suppressions,
    WhatsAppMessage, WhatsAppSender,
};
use crate::queues::DeliveryJob;
use crate::tenant::TenantSettings;

use super::PAPER_IS_PRINTED;

/// The providers, and what sending needs beside them.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Providers<'a> {
    pub email: &'a dyn EmailSender,
    pub sms: &'a dyn SmsSender,
    pub whatsapp: &'a dyn WhatsAppSender,
    /// Where invoice PDFs are read for attaching.
    pub documents: &'a dyn Documents,
    /// Numbers that opted out of SMS are suppressed here.
    pub suppressions: &'a dyn Suppressions,
    pub clock: &'a dyn Clock,
}

impl Providers<'_> {
    pub(super) async fn send(
        &self,
        job: &DeliveryJob,
        notice: &Notice,
        message: &ChannelMessage,
        content: &RenderedMessage,
        settings: &TenantSettings,
    ) -> Result<String, PortError> {
        match &message.destination {
            Destination::Email(to) => {
                let attachments = self.attachments(&job.tenant_id, message.attachment.as_ref(), settings).await?;
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

    /// Checks the number has not opted out of SMS (suppressing it if it has), then sends.
    async fn send_sms(&self, tenant_id: &TenantId, sms: OutgoingSms<'_>) -> Result<String, PortError> {
        if self.sms.is_opted_out(sms.to).await? {
            let destination = Destination::Sms(sms.to.clone());
            self.suppressions.suppress(tenant_id, &destination, "opted out of SMS", self.clock.now()).await?;
            return Err(PortError::permanent("sms", std::io::Error::other("the number opted out of SMS")));
        }
        self.sms.send(sms).await
    }

    /// The message's document, read for attaching (an unreadable one fails the delivery as a send
    /// would). Only from the tenant's own place, checked again here: settings may have changed
    /// since the event was ingested, and no tenant's email may carry another's PDF.
    async fn attachments(
        &self,
        tenant_id: &TenantId,
        document: Option<&Document>,
        settings: &TenantSettings,
    ) -> Result<Vec<EmailAttachment>, PortError> {
        let Some(document) = document else { return Ok(Vec::new()) };
        let refused = |reason: String| PortError::permanent("documents", std::io::Error::other(reason));
        let place =
            settings.documents.as_ref().ok_or_else(|| refused("this deployment accepts no documents".into()))?;
        place.admits(tenant_id, document.uri.as_str()).map_err(refused)?;
        let bytes = self.documents.fetch(document, MAX_ATTACHMENT_BYTES).await?;
        let file_name = document.uri.as_str().rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("invoice.pdf");
        Ok(vec![EmailAttachment { file_name: file_name.to_owned(), content_type: "application/pdf".to_owned(), bytes }])
    }
}
