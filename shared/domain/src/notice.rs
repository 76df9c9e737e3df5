//! Notices: what avisa tells a citizen, on which channels, and the jobs that carry them.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::billing::Document;
use crate::channel::Channel;
use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::{
    AnnouncementId, ContractId, EventId, InvoiceNumber, NoticeId, OutageId, PlanId, SubscriberId, TenantId,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A new invoice: the invoice itself (email, or paper) and a short SMS.
    InvoiceAvailable,
    /// The SMS pre-notice of an invoice and its bank charge, days ahead.
    InvoiceUpcoming,
    /// The bank returned a direct debit: what happened and what it costs.
    DirectDebitReturned,
    /// A payment plan's instalment is due soon.
    PaymentPlanMilestone,
    /// A planned outage reaches the citizen's supply point (or it moved, was cancelled, ended).
    OutageAlert,
    /// For the call centre: an outage alert went out, and to how many.
    OutageBriefing,
    /// The chat line answering, inside WhatsApp's 24-hour window (a session message).
    ChatReply,
    /// Staff writing after the 24-hour window closed: the tenant's approved template.
    ChatFollowUp,
    /// A billing complaint's step: acknowledged, inspection, conciliation, resolution…
    ComplaintUpdate,
    /// For staff: a complaint's step is about to be late.
    ComplaintReminder,
    /// A message from the utility or council to many citizens at once (a new service, works in
    /// the area): staff's own text, in each citizen's language.
    Announcement,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 11] = [
        Self::InvoiceAvailable,
        Self::InvoiceUpcoming,
        Self::DirectDebitReturned,
        Self::PaymentPlanMilestone,
        Self::OutageAlert,
        Self::OutageBriefing,
        Self::ChatReply,
        Self::ChatFollowUp,
        Self::ComplaintUpdate,
        Self::ComplaintReminder,
        Self::Announcement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvoiceAvailable => "invoice_available",
            Self::InvoiceUpcoming => "invoice_upcoming",
            Self::DirectDebitReturned => "direct_debit_returned",
            Self::PaymentPlanMilestone => "payment_plan_milestone",
            Self::OutageAlert => "outage_alert",
            Self::OutageBriefing => "outage_briefing",
            Self::ChatReply => "chat_reply",
            Self::ChatFollowUp => "chat_follow_up",
            Self::ComplaintUpdate => "complaint_update",
            Self::ComplaintReminder => "complaint_reminder",
            Self::Announcement => "announcement",
        }
    }

    /// Whether the notice carries the invoice itself: by email only to citizens who opted in to
    /// e-invoicing, on paper otherwise.
    pub fn carries_invoice(self) -> bool {
        matches!(self, Self::InvoiceAvailable)
    }

    /// The electronic channels this kind is written for.
    pub fn channels(self) -> &'static [Channel] {
        match self {
            Self::InvoiceUpcoming => &[Channel::Sms],
            Self::OutageBriefing | Self::ComplaintReminder => &[Channel::Email],
            // Written by the chat line itself, not from templates of this kind.
            Self::ChatReply | Self::ChatFollowUp => &[],
            Self::InvoiceAvailable
            | Self::DirectDebitReturned
            | Self::PaymentPlanMilestone
            | Self::OutageAlert
            | Self::ComplaintUpdate
            | Self::Announcement => &[Channel::Email, Channel::Sms],
        }
    }

    /// The order channels are tried in, whatever the citizen prefers: an outage alert goes by
    /// SMS, and by email only where SMS is not possible.
    pub fn fixed_order(self) -> Option<&'static [Channel]> {
        matches!(self, Self::OutageAlert).then_some(&[Channel::Sms, Channel::Email])
    }

    /// Goes out even in quiet hours: the alert of an outage starting soon cannot wait, nor an
    /// answer to a citizen who just wrote.
    pub fn urgent(self) -> bool {
        matches!(self, Self::OutageAlert | Self::ChatReply | Self::ChatFollowUp)
    }

    /// Whether one channel is enough: the first usable one in the citizen's order is used, and
    /// the next only if it fails. An invoice goes by every channel (the document and a short SMS).
    pub fn single_channel(self) -> bool {
        !matches!(self, Self::InvoiceAvailable)
    }

    /// Whether not hearing of it harms the citizen (their water is cut, their complaint moves on):
    /// such a notice may take more SMS parts than usual (the tenant's `critical_max_segments`).
    pub fn service_critical(self) -> bool {
        matches!(self, Self::OutageAlert | Self::ComplaintUpdate)
    }

    /// Whether a citizen with no electronic channel gets it on paper (reminders do not).
    pub fn paper_fallback(self) -> bool {
        matches!(self, Self::InvoiceAvailable | Self::DirectDebitReturned | Self::ComplaintUpdate)
    }
}

/// What an outage alert says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStage {
    /// The outage is coming (sent at each of the tenant's alert times).
    Advance,
    /// The outage moved: the new window, and the old one.
    Correction,
    /// The outage will not happen.
    Cancellation,
    /// The works are over; the water is back.
    Restored,
}

impl AlertStage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advance => "advance",
            Self::Correction => "correction",
            Self::Cancellation => "cancellation",
            Self::Restored => "restored",
        }
    }
}

/// What a notice is about; the composer loads the rest from the account state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeSubject {
    InvoiceAvailable {
        invoice_number: InvoiceNumber,
    },
    /// Announces the invoice for `charge_date` (the bank charge, or the issue date): stale, and
    /// not sent, if the invoice's schedule changed since.
    InvoiceUpcoming {
        invoice_number: InvoiceNumber,
        charge_date: Date,
    },
    DirectDebitReturned {
        invoice_number: InvoiceNumber,
    },
    /// Not sent if the instalment was paid or the plan is no longer active.
    PaymentPlanMilestone {
        plan_id: PlanId,
        due_date: Date,
    },
    /// The chat line's answer (or, after the 24-hour window, staff's follow-up template).
    Chat {
        follow_up: bool,
    },
    /// A billing complaint's step (`step`: how many steps it has, so each step is one notice).
    Complaint {
        reference: String,
        step: usize,
    },
    /// A template's preview, sent to the member of staff who asked for it (about no contract).
    Preview {
        of: NoticeKind,
        by: String,
    },
    /// Not sent if the outage changed revision or state since the alert was scheduled.
    /// Staff's announcement, to a contract's holder.
    Announcement {
        announcement_id: AnnouncementId,
    },
    OutageAlert {
        outage_id: OutageId,
        revision: u32,
        stage: AlertStage,
        /// Which of the outage's alerts (`48h`, `2h`, `now`, `correction`…).
        label: String,
        /// A subscriber at the contract's supply point; the contract holder when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subscriber: Option<SubscriberId>,
    },
}

impl NoticeSubject {
    pub fn kind(&self) -> NoticeKind {
        match self {
            Self::InvoiceAvailable { .. } => NoticeKind::InvoiceAvailable,
            Self::InvoiceUpcoming { .. } => NoticeKind::InvoiceUpcoming,
            Self::DirectDebitReturned { .. } => NoticeKind::DirectDebitReturned,
            Self::PaymentPlanMilestone { .. } => NoticeKind::PaymentPlanMilestone,
            Self::OutageAlert { .. } => NoticeKind::OutageAlert,
            Self::Chat { follow_up: false } => NoticeKind::ChatReply,
            Self::Chat { follow_up: true } => NoticeKind::ChatFollowUp,
            Self::Complaint { .. } => NoticeKind::ComplaintUpdate,
            Self::Preview { of, .. } => *of,
            Self::Announcement { .. } => NoticeKind::Announcement,
        }
    }

    /// One schedule per invoice or plan, whatever date it is for: a rescheduled invoice or the
    /// next instalment moves it instead of adding another.
    pub fn schedule_name(&self, tenant_id: &TenantId, contract_id: &ContractId) -> Option<String> {
        let about = match self {
            Self::InvoiceUpcoming { invoice_number, .. } => invoice_number.as_str(),
            Self::PaymentPlanMilestone { plan_id, .. } => plan_id.as_str(),
            Self::InvoiceAvailable { .. }
            | Self::DirectDebitReturned { .. }
            | Self::OutageAlert { .. }
            | Self::Chat { .. }
            | Self::Complaint { .. }
            | Self::Preview { .. }
            | Self::Announcement { .. } => {
                return None;
            }
        };
        Some(NoticeId::derived(tenant_id, &format!("{contract_id}/{about}"), self.kind()).to_string())
    }

    /// What makes two reminders the same one, whichever event asked for them: a plan updated
    /// three times still gets one reminder per instalment.
    pub(crate) fn natural_key(&self) -> Option<String> {
        match self {
            Self::InvoiceUpcoming { invoice_number, charge_date } => Some(format!("{invoice_number}@{charge_date}")),
            Self::PaymentPlanMilestone { plan_id, due_date } => Some(format!("{plan_id}@{due_date}")),
            Self::OutageAlert { outage_id, revision, stage, label, subscriber } => Some(format!(
                "outage/{outage_id}/r{revision}/{}/{label}/{}",
                stage.as_str(),
                subscriber.as_ref().map_or("holder", SubscriberId::as_str)
            )),
            Self::Complaint { reference, step } => Some(format!("complaint/{reference}/{step}")),
            Self::Announcement { announcement_id } => Some(format!("announcement/{announcement_id}")),
            Self::InvoiceAvailable { .. }
            | Self::DirectDebitReturned { .. }
            | Self::Chat { .. }
            | Self::Preview { .. } => None,
        }
    }
}

impl NoticeId {
    /// The same cause (an event id, or a reminder's natural key) and kind always give the same
    /// notice id, so a redelivered event or a rescheduled reminder cannot make a second notice.
    pub fn derived(tenant_id: &TenantId, cause: &str, kind: NoticeKind) -> Self {
        let digest = Sha256::new()
            .chain_update(tenant_id.as_str())
            .chain_update([0])
            .chain_update(cause)
            .chain_update([0])
            .chain_update(kind.as_str())
            .finalize();
        Self::parse(&format!("n-{}", &hex::encode(digest)[..32])).expect("hex is a valid notice id")
    }
}

/// Where one channel of a notice goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "channel", content = "to", rename_all = "snake_case")]
pub enum Destination {
    Email(Email),
    Sms(PhoneE164),
    Whatsapp(PhoneE164),
    Paper(String),
}

impl Destination {
    /// A stable, non-reversible key for this address (suppression lists key on it, so that no
    /// address appears in a key).
    pub fn fingerprint(&self) -> String {
        let address = match self {
            Self::Email(email) => email.as_str().to_lowercase(),
            Self::Sms(phone) | Self::Whatsapp(phone) => phone.as_str().to_owned(),
            Self::Paper(address) => address.to_lowercase(),
        };
        let digest =
            Sha256::new().chain_update(self.channel().as_str()).chain_update([0]).chain_update(address).finalize();
        hex::encode(&digest[..16])
    }

    pub fn channel(&self) -> Channel {
        match self {
            Self::Email(_) => Channel::Email,
            Self::Sms(_) => Channel::Sms,
            Self::Whatsapp(_) => Channel::Whatsapp,
            Self::Paper(_) => Channel::Paper,
        }
    }
}

/// A rendered message for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedMessage {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// For an SMS: how many parts it costs (what rate limits count).
    #[serde(default)]
    pub parts: Option<usize>,
    /// For a WhatsApp session message: a list or buttons to answer with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<Interactive>,
}

/// What a citizen can tap in a WhatsApp message (ids come back as their answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Interactive {
    /// At most 10 rows, titles at most 24 characters, the button at most 20.
    List { button: String, rows: Vec<InteractiveRow> },
    /// At most 3 buttons, titles at most 20 characters.
    Buttons { buttons: Vec<InteractiveRow> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractiveRow {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Which template (and which version of it) produced a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMessage {
    pub destination: Destination,
    /// Paper goes to the print batch, which lays out its own letter.
    pub template: Option<TemplateRef>,
    pub content: Option<RenderedMessage>,
    /// A document sent with the message (the invoice PDF, by email).
    #[serde(default)]
    pub attachment: Option<Document>,
}

/// A composed notice: recorded once, delivered per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    /// The contract it is about; `None` for a chat reply to someone with no contract.
    pub contract_id: Option<ContractId>,
    pub kind: NoticeKind,
    pub locale: Locale,
    pub messages: Vec<ChannelMessage>,
    /// Why these channels were chosen.
    pub channel_reason: String,
    /// SHA-256 of everything rendered, to prove later what was said.
    pub content_hash: String,
    pub cause: EventId,
    pub created_at: Timestamp,
    /// What this notice is about (to compose it again on another channel).
    pub subject: NoticeSubject,
    /// The notice this one falls back from, if any: a fallback never falls back again.
    #[serde(default)]
    pub fallback_of: Option<NoticeId>,
    /// Who a letter is addressed to (the contract holder's name), for paper.
    #[serde(default)]
    pub recipient: Option<String>,
}

impl Notice {
    pub fn message_for(&self, channel: Channel) -> Option<&ChannelMessage> {
        self.messages.iter().find(|m| m.destination.channel() == channel)
    }

    /// Channels the dispatcher delivers (paper waits for the print batch).
    pub fn electronic_channels(&self) -> impl Iterator<Item = Channel> + '_ {
        self.messages.iter().map(|m| m.destination.channel()).filter(|c| *c != Channel::Paper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_ids_are_stable_per_cause_and_kind() {
        let tenant = TenantId::parse("t").unwrap();
        let a = NoticeId::derived(&tenant, "e-1", NoticeKind::InvoiceAvailable);
        let b = NoticeId::derived(&tenant, "e-1", NoticeKind::InvoiceAvailable);
        let c = NoticeId::derived(&tenant, "e-2", NoticeKind::InvoiceAvailable);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
