//! Notices: what avisa tells a citizen, on which channels, and the jobs that carry them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::{ContractId, EventId, InvoiceNumber, NoticeId, TenantId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
    Paper,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Whatsapp => "whatsapp",
            Self::Paper => "paper",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    InvoiceAvailable,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvoiceAvailable => "invoice_available",
        }
    }

    /// Whether the notice carries the invoice itself: by email only to citizens who opted in to
    /// e-invoicing, on paper otherwise.
    pub fn carries_invoice(self) -> bool {
        matches!(self, Self::InvoiceAvailable)
    }
}

/// What a notice is about; the composer loads the rest from the account state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeSubject {
    InvoiceAvailable { invoice_number: InvoiceNumber },
}

impl NoticeSubject {
    pub fn kind(&self) -> NoticeKind {
        match self {
            Self::InvoiceAvailable { .. } => NoticeKind::InvoiceAvailable,
        }
    }
}

/// Ask the composer for one notice. Carries ids only, never personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposeJob {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    pub contract_id: ContractId,
    pub subject: NoticeSubject,
    /// The billing event (or schedule) that caused it.
    pub cause: EventId,
}

impl ComposeJob {
    pub fn new(tenant_id: TenantId, contract_id: ContractId, subject: NoticeSubject, cause: EventId) -> Self {
        let notice_id = NoticeId::derived(&tenant_id, &cause, subject.kind());
        Self { tenant_id, notice_id, contract_id, subject, cause }
    }
}

impl NoticeId {
    /// The same cause and kind always give the same notice id, so a redelivered event cannot make
    /// a second notice.
    pub fn derived(tenant_id: &TenantId, cause: &EventId, kind: NoticeKind) -> Self {
        let digest = Sha256::new()
            .chain_update(tenant_id.as_str())
            .chain_update([0])
            .chain_update(cause.as_str())
            .chain_update([0])
            .chain_update(kind.as_str())
            .finalize();
        Self::parse(&format!("n-{}", &hex::encode(digest)[..32])).expect("hex is a valid notice id")
    }
}

/// Ask the dispatcher to deliver one channel of one notice. Ids only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    pub channel: Channel,
}

/// Where one channel of a notice goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "to", rename_all = "snake_case")]
pub enum Destination {
    Email(Email),
    Sms(PhoneE164),
    Paper(String),
}

impl Destination {
    /// A stable, non-reversible key for this address (suppression lists key on it, so that no
    /// address appears in a key).
    pub fn fingerprint(&self) -> String {
        let address = match self {
            Self::Email(email) => email.as_str().to_lowercase(),
            Self::Sms(phone) => phone.as_str().to_owned(),
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
}

/// A composed notice: recorded once, delivered per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    pub contract_id: ContractId,
    pub kind: NoticeKind,
    pub locale: Locale,
    pub messages: Vec<ChannelMessage>,
    /// Why these channels were chosen.
    pub channel_reason: String,
    /// SHA-256 of everything rendered, to prove later what was said.
    pub content_hash: String,
    pub cause: EventId,
    pub created_at: Timestamp,
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
        let a = NoticeId::derived(&tenant, &EventId::parse("e-1").unwrap(), NoticeKind::InvoiceAvailable);
        let b = NoticeId::derived(&tenant, &EventId::parse("e-1").unwrap(), NoticeKind::InvoiceAvailable);
        let c = NoticeId::derived(&tenant, &EventId::parse("e-2").unwrap(), NoticeKind::InvoiceAvailable);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn jobs_serialize_without_personal_data() {
        let job = DeliveryJob {
            tenant_id: TenantId::parse("t").unwrap(),
            notice_id: NoticeId::parse("n-1").unwrap(),
            channel: Channel::Sms,
        };
        assert_eq!(
            serde_json::to_value(&job).unwrap(),
            serde_json::json!({"tenant_id": "t", "notice_id": "n-1", "channel": "sms"})
        );
    }
}
