//! Emails to a tenant's staff (the call centre's outage briefing, a complaint about to be late):
//! rendered in the tenant's language and sent once, however often their cause fires, by claiming
//! them like a delivery.

use jiff::SignedDuration;

use crate::clock::Clock;
use crate::contact::Email;
use crate::error::{Error, PortError, RejectionCode};
use crate::ids::{NoticeId, TenantId};
use crate::notice::{Channel, NoticeKind};
use crate::ports::{Claim, ClaimKey, ClaimOutcome, Claims, EmailSender, NoticeRenderer, OutgoingEmail, TemplateKey};
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
        let now = self.clock.now();
        match self.claims.acquire(&key, now, LEASE).await? {
            Claim::Completed => return Ok("already_sent".to_owned()),
            Claim::HeldElsewhere => return Err(Error::InProgress { key: mail.notice_id.to_string() }),
            Claim::Acquired => {}
        }
        let template = TemplateKey { kind: mail.kind, channel: Channel::Email, locale: settings.default_locale };
        let (_, message) = match self.renderer.render(template, &mail.values, settings.sms) {
            Ok(rendered) => rendered,
            Err(rejection) => {
                self.claims.complete(&key, now, &ClaimOutcome::Rejected(rejection.clone())).await?;
                return Err(rejection.into());
            }
        };
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
                self.claims.complete(&key, now, &ClaimOutcome::Sent { provider_message_id }).await?;
                Ok("sent".to_owned())
            }
            Err(PortError::Permanent { operation, source }) => {
                let reason = format!("{operation}: {source}");
                let rejection = crate::Rejection::new(RejectionCode::NoChannel, reason.clone());
                self.claims.complete(&key, now, &ClaimOutcome::Rejected(rejection)).await?;
                Ok(format!("refused: {reason}"))
            }
            Err(transient) => {
                self.claims.release(&key).await?;
                Err(transient.into())
            }
        }
    }
}
