//! The providers' ports: email, SMS and WhatsApp senders, and the documents an email attaches.

use async_trait::async_trait;

use crate::billing::Document;
use crate::contact::{Email, Locale, PhoneE164};
use crate::error::PortError;
use crate::ids::{NoticeId, TenantId};
use crate::notice::{Interactive, RenderedMessage};
use crate::tenant::SmsSenderId;

/// One email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail<'a> {
    pub tenant_id: &'a TenantId,
    /// The tenant's own sender; the deployment's when `None`.
    pub from: Option<&'a Email>,
    pub notice_id: &'a NoticeId,
    pub to: &'a Email,
    pub message: &'a RenderedMessage,
    pub attachments: &'a [EmailAttachment],
}

/// One SMS to send, with the tenant's own sender where it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingSms<'a> {
    pub to: &'a PhoneE164,
    pub text: &'a str,
    pub sender_id: Option<&'a SmsSenderId>,
    pub origination_number: Option<&'a PhoneE164>,
}

/// One WhatsApp message from the tenant's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingWhatsApp<'a> {
    pub to: &'a PhoneE164,
    pub phone_number_id: &'a str,
    pub message: WhatsAppMessage<'a>,
}

/// Business-initiated messages outside the 24-hour window must be approved templates; inside it
/// (the chat line answering) a session message may say anything, with a list or buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatsAppMessage<'a> {
    Template {
        name: &'a str,
        language: Locale,
        /// The template's one body parameter: the notice's short text.
        body: &'a str,
    },
    Session {
        text: &'a str,
        interactive: Option<&'a Interactive>,
    },
}

#[async_trait]
pub trait WhatsAppSender: Send + Sync {
    /// Sends one message; returns WhatsApp's message id (`wamid.…`).
    async fn send(&self, message: OutgoingWhatsApp<'_>) -> Result<String, PortError>;
}

/// A file sent with an email.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAttachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for EmailAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmailAttachment({}, {} bytes)", self.file_name, self.bytes.len())
    }
}

/// Where documents (invoice PDFs) are read from.
#[async_trait]
pub trait Documents: Send + Sync {
    /// The document's bytes; refused when larger than `max_bytes`.
    async fn fetch(&self, document: &Document, max_bytes: u64) -> Result<Vec<u8>, PortError>;
    /// Whether `fetch` would give it, without its bytes (a billing run's preview asks).
    async fn check(&self, document: &Document, max_bytes: u64) -> Result<(), PortError> {
        self.fetch(document, max_bytes).await.map(|_| ())
    }
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends one email; returns the provider's message id.
    async fn send(&self, email: OutgoingEmail<'_>) -> Result<String, PortError>;
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends one SMS; returns the provider's message id.
    async fn send(&self, sms: OutgoingSms<'_>) -> Result<String, PortError>;
    /// Whether the number opted out of SMS (by replying STOP).
    async fn is_opted_out(&self, to: &PhoneE164) -> Result<bool, PortError>;
}
