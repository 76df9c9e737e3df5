//! The chat line's ports: conversations, what it files for staff, and who a phone number is.

use async_trait::async_trait;
use jiff::Timestamp;

use super::{Appointment, Conversation, Incident, Rating};
use crate::PortError;
use crate::contact::{Locale, PhoneE164};
use crate::error::Rejection;
use crate::ids::{ContractId, CustomerId, TenantId};
use crate::queues::ChatJob;

/// Conversations of the chat line, per tenant and phone.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn conversation(&self, tenant_id: &TenantId, phone: &PhoneE164) -> Result<Option<Conversation>, PortError>;
    /// Saves it (version raised by one) over the version read (0: a new one); `false` when
    /// someone changed it meanwhile.
    async fn save(&self, conversation: &Conversation) -> Result<bool, PortError>;
    /// Conversations waiting for staff, longest waiting first.
    async fn waiting(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, PortError>;
    /// Conversations an agent has taken and not resolved, most recently changed first.
    async fn with_agent(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, PortError>;
}

/// Incident reports.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// `false` when one with its reference exists (left as it was).
    async fn file(&self, incident: &Incident) -> Result<bool, PortError>;
    async fn incident(&self, tenant_id: &TenantId, reference: &str) -> Result<Option<Incident>, PortError>;
    /// Newest first.
    async fn incidents(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Incident>, PortError>;
    /// Saves over the version read; `false` when changed meanwhile.
    async fn update(&self, incident: &Incident) -> Result<bool, PortError>;
}

/// Appointment requests.
#[async_trait]
pub trait AppointmentStore: Send + Sync {
    async fn request(&self, appointment: &Appointment) -> Result<bool, PortError>;
    async fn appointment(&self, tenant_id: &TenantId, reference: &str) -> Result<Option<Appointment>, PortError>;
    /// Newest first.
    async fn appointments(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Appointment>, PortError>;
    async fn update(&self, appointment: &Appointment) -> Result<bool, PortError>;
}

/// Citizens' ratings of resolved conversations.
#[async_trait]
pub trait RatingStore: Send + Sync {
    /// `false` when this question was rated already (the first answer stands).
    async fn rate(&self, rating: &Rating) -> Result<bool, PortError>;
    /// The tenant's ratings given in `[since, until)`, oldest first.
    async fn ratings(&self, tenant_id: &TenantId, since: Timestamp, until: Timestamp)
    -> Result<Vec<Rating>, PortError>;
}

/// Who a phone number is, among the tenant's customers.
#[async_trait]
pub trait CustomerLookup: Send + Sync {
    async fn customer_by_phone(&self, tenant_id: &TenantId, phone: &PhoneE164)
    -> Result<Option<CustomerId>, PortError>;
    async fn contracts_of(&self, tenant_id: &TenantId, customer_id: &CustomerId) -> Result<Vec<ContractId>, PortError>;
}

/// The chat line's sentences, in each language.
pub trait ChatPhrases: Send + Sync {
    fn say(&self, locale: Locale, phrase: &str, values: &serde_json::Value) -> Result<String, Rejection>;
}

/// A medium a citizen sent, as WhatsApp describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub content_type: String,
    pub bytes: u64,
    /// Hex SHA-256 of the content, when WhatsApp gives it.
    pub sha256: Option<String>,
    /// Where to download it (short-lived, needs the token).
    pub url: String,
}

/// The media citizens send, where WhatsApp keeps them for a while (the Cloud API's media endpoint).
#[async_trait]
pub trait MediaSource: Send + Sync {
    async fn describe(&self, media_id: &str) -> Result<MediaInfo, PortError>;
    /// The content, refused (permanently) past `limit` bytes whatever `info` said.
    async fn download(&self, info: &MediaInfo, limit: u64) -> Result<Vec<u8>, PortError>;
}

/// Where the chat line keeps media: the media bucket, each tenant under its own id.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Writes it at `key` (the same content at the same key whenever repeated).
    async fn keep(&self, key: &str, content_type: &str, content: Vec<u8>) -> Result<(), PortError>;
}

/// Kept media read back: staff opening an incident's photo.
#[async_trait]
pub trait MediaReader: Send + Sync {
    /// The content at `key`; `None` when it is gone (erased with its sender, or expired).
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, PortError>;
}

/// The chat line's own queue of deferred work (the chat timer queue), for work to do now.
#[async_trait]
pub trait ChatJobs: Send + Sync {
    async fn send(&self, job: &ChatJob) -> Result<(), PortError>;
}
