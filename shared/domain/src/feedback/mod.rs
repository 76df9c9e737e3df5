//! What providers tell afterwards: an email delivered, bounced or complained about. Bounces and
//! complaints suppress the address for the tenant, so no later notice uses it.

pub mod ses_event;

use jiff::Timestamp;

use crate::channel::Channel;
use crate::contact::Email;
use crate::error::Error;
use crate::ids::{NoticeId, TenantId};
use crate::notice::Destination;
use crate::ports::{ClaimKey, DeliveryRecords, DeliveryStatus, Suppressions};

/// One provider event about one sent email, parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailFeedback {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    pub provider_message_id: String,
    pub at: Timestamp,
    pub kind: FeedbackKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedbackKind {
    Delivered,
    /// `permanent`: the address does not exist or refuses mail for good.
    Bounced {
        permanent: bool,
        recipients: Vec<Email>,
        reason: String,
    },
    Complained {
        recipients: Vec<Email>,
    },
    /// Sends, opens, clicks…: nothing to do.
    Other(String),
}

/// What handling one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackOutcome {
    Recorded(DeliveryStatus),
    /// The delivery is further along already (a late or replayed receipt): nothing changed.
    Stale(DeliveryStatus),
    Ignored,
}

impl FeedbackOutcome {
    fn of(status: DeliveryStatus, recorded: bool) -> Self {
        if recorded { Self::Recorded(status) } else { Self::Stale(status) }
    }
}

/// A WhatsApp status receipt, as the chat webhook receives it (parsed at the edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppReceipt {
    pub provider_message_id: String,
    /// `None` for `sent` (nothing new: the dispatcher recorded it).
    pub status: Option<DeliveryStatus>,
    pub detail: String,
    pub at: Timestamp,
}

#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Feedback<'a> {
    pub deliveries: &'a dyn DeliveryRecords,
    pub suppressions: &'a dyn Suppressions,
}

impl Feedback<'_> {
    pub async fn handle(&self, event: &EmailFeedback) -> Result<FeedbackOutcome, Error> {
        let (status, detail, suppress): (DeliveryStatus, String, &[Email]) = match &event.kind {
            FeedbackKind::Delivered => (DeliveryStatus::Delivered, String::new(), &[]),
            FeedbackKind::Bounced { permanent: true, recipients, reason } => {
                (DeliveryStatus::Bounced, reason.clone(), recipients)
            }
            FeedbackKind::Bounced { permanent: false, reason, .. } => {
                (DeliveryStatus::SoftBounced, reason.clone(), &[])
            }
            FeedbackKind::Complained { recipients } => (DeliveryStatus::Complained, String::new(), recipients),
            FeedbackKind::Other(_) => return Ok(FeedbackOutcome::Ignored),
        };
        for email in suppress {
            let reason = format!("{}: notice {}", status.as_str(), event.notice_id);
            self.suppressions.suppress(&event.tenant_id, &Destination::Email(email.clone()), &reason, event.at).await?;
        }
        let key = ClaimKey::Delivery {
            tenant_id: event.tenant_id.clone(),
            notice_id: event.notice_id.clone(),
            channel: Channel::Email,
        };
        let recorded = self.deliveries.record_status(&key, status, &detail, event.at).await?;
        Ok(FeedbackOutcome::of(status, recorded))
    }

    /// Records what WhatsApp says of a message the dispatcher sent.
    pub async fn handle_whatsapp(&self, receipt: &WhatsAppReceipt) -> Result<FeedbackOutcome, Error> {
        let Some(status) = receipt.status else { return Ok(FeedbackOutcome::Ignored) };
        let Some(key) = self.deliveries.by_provider_id(&receipt.provider_message_id).await? else {
            return Err(Error::rejected(
                crate::error::RejectionCode::UnknownNotice,
                "a receipt for a WhatsApp message avisa did not send".to_owned(),
            ));
        };
        let recorded = self.deliveries.record_status(&key, status, &receipt.detail, receipt.at).await?;
        Ok(FeedbackOutcome::of(status, recorded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes};

    fn event(kind: FeedbackKind) -> EmailFeedback {
        EmailFeedback {
            tenant_id: fakes::tenant(),
            notice_id: fakes::compose_job().notice_id,
            provider_message_id: "ses-1".into(),
            at: "2026-11-20T10:00:00Z".parse().unwrap(),
            kind,
        }
    }

    fn maria() -> Email {
        fakes::customer_profile().email.unwrap()
    }

    #[tokio::test]
    async fn a_permanent_bounce_marks_the_delivery_and_suppresses_the_address() {
        let f = Fakes::default();
        let feedback = Feedback { deliveries: &f.deliveries, suppressions: &f.suppressions };
        let bounce =
            FeedbackKind::Bounced { permanent: true, recipients: vec![maria()], reason: "5.1.1 user unknown".into() };
        let outcome = feedback.handle(&event(bounce)).await.unwrap();
        assert_eq!(outcome, FeedbackOutcome::Recorded(DeliveryStatus::Bounced));
        assert!(f.suppressions.is_suppressed(&fakes::tenant(), &Destination::Email(maria())).await.unwrap());
        assert_eq!(
            f.deliveries.statuses(),
            [(Channel::Email, DeliveryStatus::Bounced, "5.1.1 user unknown".to_owned())]
        );
    }

    #[tokio::test]
    async fn a_soft_bounce_is_recorded_without_suppressing() {
        let f = Fakes::default();
        let feedback = Feedback { deliveries: &f.deliveries, suppressions: &f.suppressions };
        let bounce =
            FeedbackKind::Bounced { permanent: false, recipients: vec![maria()], reason: "mailbox full".into() };
        feedback.handle(&event(bounce)).await.unwrap();
        assert!(!f.suppressions.is_suppressed(&fakes::tenant(), &Destination::Email(maria())).await.unwrap());
    }

    #[tokio::test]
    async fn a_complaint_suppresses_and_a_delivery_is_recorded() {
        let f = Fakes::default();
        let feedback = Feedback { deliveries: &f.deliveries, suppressions: &f.suppressions };
        feedback.handle(&event(FeedbackKind::Delivered)).await.unwrap();
        feedback.handle(&event(FeedbackKind::Complained { recipients: vec![maria()] })).await.unwrap();
        let statuses: Vec<_> = f.deliveries.statuses().into_iter().map(|(_, s, _)| s).collect();
        assert_eq!(statuses, [DeliveryStatus::Delivered, DeliveryStatus::Complained]);
        assert!(f.suppressions.is_suppressed(&fakes::tenant(), &Destination::Email(maria())).await.unwrap());
        assert_eq!(
            feedback.handle(&event(FeedbackKind::Other("Open".into()))).await.unwrap(),
            FeedbackOutcome::Ignored
        );
    }
}
