//! What the chat line files for staff: incident reports (Open311-like) and appointment requests;
//! and the transcript staff read.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contact::{Locale, PhoneE164};
use crate::ids::TenantId;
use crate::text::Text;

/// One line of a conversation, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub at: Timestamp,
    /// `citizen`, `bot`, or the agent's name.
    pub from: String,
    pub text: String,
}

/// A note staff leave on a conversation for each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNote {
    pub at: Timestamp,
    /// The member's name.
    pub by: String,
    pub text: Text<2000>,
}

/// Where an incident is: a shared location, or an address as typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentLocation {
    Point { lat: f64, lon: f64, address: Option<Text<300>> },
    Address { address: Text<300> },
}

/// Open311's statuses, with the two steps staff need between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Acknowledged,
    InProgress,
    Closed,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::Closed => "closed",
        }
    }
}

/// A status change, who made it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub at: Timestamp,
    pub by: String,
    pub status: IncidentStatus,
    pub note: Option<Text<500>>,
}

/// Where the copy of a photo a citizen sent stands: WhatsApp keeps media for a short time only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PhotoCopy {
    /// Being copied; `attempts` tries failed so far, the last for `last_error`.
    Fetching { attempts: u32, last_error: Option<String> },
    /// In the media bucket at `key`.
    Stored { key: String, content_type: String, bytes: u64 },
    /// Not kept, and why (not an image, too large): the citizen was told.
    Refused { reason: String },
    /// Never copied: every try within the media's lifetime failed, or WhatsApp had let it go.
    Lost { reason: String, attempts: u32 },
}

/// A photo sent with an incident, by WhatsApp's media id, and its copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub media_id: String,
    pub copy: PhotoCopy,
}

/// An incident reported in the street, with Open311's fields (`service_code`, `description`,
/// `address` / `lat` / `long`, `media_url` → here WhatsApp's media id and its kept copy, `status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub tenant_id: TenantId,
    /// What the citizen is told (`INC-…`).
    pub reference: String,
    pub service_code: String,
    pub description: Text<1000>,
    pub location: IncidentLocation,
    pub media_ids: Vec<String>,
    /// The copies of those media in the tenant's part of the media bucket.
    #[serde(default)]
    pub photos: Vec<Photo>,
    pub status: IncidentStatus,
    pub reporter: PhoneE164,
    pub locale: Locale,
    pub requested_at: Timestamp,
    pub updates: Vec<IncidentUpdate>,
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AppointmentStatus {
    Requested,
    Confirmed { slot: Text<200>, by: String },
}

/// An appointment a citizen asked for; staff confirm a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub tenant_id: TenantId,
    pub reference: String,
    pub service: String,
    pub preferred: Text<200>,
    pub phone: PhoneE164,
    pub locale: Locale,
    pub status: AppointmentStatus,
    pub requested_at: Timestamp,
    pub version: u32,
}

/// The stem of a short reference derived from what caused it (the message that filed it), so a
/// redelivered message files nothing new: `2611-7F3A9C`, told as `INC-2611-7F3A9C`.
pub fn reference_stem(tenant_id: &TenantId, cause: &str, at: Timestamp) -> String {
    let digest = Sha256::new().chain_update(tenant_id.as_str()).chain_update([0]).chain_update(cause).finalize();
    format!("{}-{}", at.strftime("%y%m"), hex::encode_upper(&digest[..3]))
}

pub fn incident_reference(stem: &str) -> String {
    format!("INC-{stem}")
}

pub fn appointment_reference(stem: &str) -> String {
    format!("APT-{stem}")
}
