//! Emails to a tenant's staff (the call centre's outage briefing, a complaint about to be late):
//! rendered in the tenant's language and sent once, however often their cause fires, by claiming
//! them like a delivery.

use jiff::SignedDuration;

use crate::channel::Channel;
use crate::clock::Clock;
use crate::contact::Email;
use crate::error::{Error, PortError, RejectionCode};
use crate::ids::{NoticeId, TenantId};
use crate::notice::NoticeKind;
use crate::once::Once;
use crate::ports::{ClaimKey, ClaimOutcome, Claims, EmailSender, NoticeRenderer, OutgoingEmail, TemplateKey};
use crate::tenant::TenantSettings;

/// How long a staff email's claim holds while it is sent.
const LEASE: SignedDuration = SignedDuration::from_secs(60);

/// The ports a staff email needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct StaffMail<'a> {
    pub claims: &'a dyn Claims,
    pub email: &'a dyn EmailSender,
    pub renderer: &'a dyn NoticeRenderer,
    pub clock: &'a dyn Clock,
}

/// One email to staff: what it is (its id makes it once-only) and what it says.
#[derive(Debug, Clone)]
pub struct StaffEmail<'a> {
    pub tenant_id: &'a TenantId,
    pub notice_id: NoticeId,
    pub kind: NoticeKind,
    pub to: &'a Email,
    pub values: serde_json::Value,
}

impl StaffMail<'_> {
    /// `sent`, `already_sent`, or `refused: …` (the provider's reason, kept on the claim).
    pub async fn send_once(&self, mail: StaffEmail<'_>, settings: &TenantSettings) -> Result<String, Error> {
        let key = ClaimKey::Delivery {
            tenant_id: mail.tenant_id.clone(),
            notice_id: mail.notice_id.clone(),
            channel: Channel::Email,
        };
        // Rendered before the claim: a template that fails is fixed and redriven, not remembered.
        let template = TemplateKey { kind: mail.kind, channel: Channel::Email, locale: settings.default_locale };
        let (_, message) = self.renderer.render(template, &mail.values.into(), settings.sms)?;
        let once = Once { claims: self.claims, clock: self.clock };
        let Some(held) = once.take(&key, LEASE, false).await? else { return Ok("already_sent".to_owned()) };
        let email = OutgoingEmail {
            tenant_id: mail.tenant_id,
            from: settings.sender.email_from.as_ref(),
            notice_id: &mail.notice_id,
            to: mail.to,
            message: &message,
            attachments: &[],
        };
        match self.email.send(email).await {
            Ok(provider_message_id) => {
                if let Err(unrecorded) = once.finish(&key, &ClaimOutcome::Sent { provider_message_id }).await {
                    // Sent: failing now would send it again. Only a second firing after the lease
                    // could; the staff would get two copies of one briefing.
                    tracing::warn!(notice_id = %mail.notice_id, error = unrecorded.chain(), "staff email sent, its record not written");
                }
                Ok("sent".to_owned())
            }
            Err(refused @ PortError::Permanent { .. }) => {
                let reason = refused.chain();
                let rejection = crate::Rejection::new(RejectionCode::NoChannel, reason.clone());
                once.finish(&key, &ClaimOutcome::Rejected(rejection)).await?;
                Ok(format!("refused: {reason}"))
            }
            Err(failed) => {
                let failed = Error::from(failed);
                once.give_back(&key, &held, &failed).await?;
                Err(failed)
            }
        }
    }
}
