//! The chat line: citizens write on WhatsApp; a menu bot answers what it can (information,
//! incident reports, appointment requests, preferences, a known customer's bills) and hands the
//! rest to staff, asking the name first. Each conversation is an explicit state machine
//! ([`machine`]); [`ChatLine`] runs it over the ports, and its replies leave through the
//! dispatcher as notices, so they share its exactly-once sending and delivery statuses.

mod line;
pub mod machine;
mod records;
mod reply;
pub mod settings;
mod staff;
pub mod webhook;

use line::refused;
pub use line::{ChatLine, Received, StaffAction};
pub use machine::{Effect, ListOf, Reply, State};
pub use records::{
    Appointment, AppointmentStatus, Incident, IncidentLocation, IncidentStatus, IncidentUpdate, TranscriptLine,
};
pub use settings::ChatSettings;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::contact::{Locale, PhoneE164};
use crate::ids::{NoticeId, TenantId};
use crate::text::Text;

/// Every phrase the chat line says: each tenant-facing language has all of them
/// (`shared/templates/templates/chat/phrases.<lang>.j2`, checked when the templates load).
pub const PHRASES: &[&str] = &[
    "welcome",
    "not_understood",
    "list_button",
    "choose_from_list",
    "incident_category",
    "incident_description",
    "incident_location",
    "incident_photo",
    "skip_button",
    "incident_filed",
    "incident_status",
    "information",
    "answer",
    "appointment_service",
    "appointment_slot",
    "appointment_requested",
    "appointment_confirmed",
    "preferences",
    "option_language",
    "option_opt_out",
    "option_opt_in",
    "option_terms",
    "option_privacy",
    "choose_language",
    "language_set",
    "opted_out",
    "opted_in",
    "terms",
    "privacy",
    "billing",
    "billing_unknown",
    "ask_name",
    "recontact",
    "closed_no_reply",
    "handed_off",
    "handed_off_closed",
    "still_waiting",
    "still_waiting_closed",
    "agent_joined",
    "resolved",
    "unsupported",
    "dispute_button",
    "complaint_invoice",
    "complaint_reason",
    "complaint_filed",
    "complaint_filed_closed",
    "option_outage_alerts",
    "alert_contract",
    "alert_contract_unknown",
    "alerts_subscribed",
];

/// How many lines of a conversation are kept for staff to read.
pub const TRANSCRIPT_LINES: usize = 50;

/// What a citizen sent, as the webhook reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Said {
    Text {
        body: String,
    },
    /// A row of a list or a button: its id.
    Choice {
        id: String,
        title: String,
    },
    Location {
        lat: f64,
        lon: f64,
        address: Option<String>,
    },
    Image {
        media_id: String,
        caption: Option<String>,
    },
    /// Stickers, reactions, voice notes, videos…: kept by kind, never read.
    Unsupported {
        kind: String,
    },
}

impl Said {
    /// What staff read in the transcript.
    pub fn transcript(&self) -> String {
        match self {
            Self::Text { body } => body.clone(),
            Self::Choice { title, .. } => format!("[{title}]"),
            Self::Location { lat, lon, address } => {
                format!(
                    "[location {lat:.5},{lon:.5}{}]",
                    address.as_deref().map(|a| format!(" {a}")).unwrap_or_default()
                )
            }
            Self::Image { media_id, caption } => {
                format!("[photo {media_id}{}]", caption.as_deref().map(|c| format!(": {c}")).unwrap_or_default())
            }
            Self::Unsupported { kind } => format!("[{kind}]"),
        }
    }
}

/// One inbound WhatsApp message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    /// WhatsApp's message id (`wamid.…`): redeliveries carry the same one.
    pub message_id: String,
    /// The tenant's business number it was sent to.
    pub phone_number_id: String,
    pub from: PhoneE164,
    pub at: Timestamp,
    pub said: Said,
}

/// The most recent thing the conversation answered, so that a redelivered message or a retried
/// timer re-sends the same replies instead of stepping twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    pub cause: String,
    pub replies: Vec<NoticeId>,
}

/// A conversation with one citizen, per tenant and phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub tenant_id: TenantId,
    pub phone: PhoneE164,
    pub locale: Locale,
    pub state: State,
    /// WhatsApp's 24-hour window runs from the citizen's last message.
    pub last_inbound_at: Option<Timestamp>,
    /// The name given before the hand-off.
    pub name: Option<Text<100>>,
    pub agent: Option<Text<100>>,
    /// Opted out of non-essential messages.
    pub opted_out: bool,
    pub transcript: Vec<TranscriptLine>,
    pub answered: Option<Answered>,
    pub updated_at: Timestamp,
    /// Optimistic lock: 0 for a conversation not stored yet.
    pub version: u32,
}

impl Conversation {
    pub fn new(tenant_id: TenantId, phone: PhoneE164, locale: Locale, now: Timestamp) -> Self {
        Self {
            tenant_id,
            phone,
            locale,
            state: State::Closed,
            last_inbound_at: None,
            name: None,
            agent: None,
            opted_out: false,
            transcript: Vec::new(),
            answered: None,
            updated_at: now,
            version: 0,
        }
    }

    /// Whether a free-form message may go now (inside WhatsApp's 24-hour window).
    pub fn in_window(&self, now: Timestamp) -> bool {
        self.last_inbound_at.is_some_and(|at| now.duration_since(at) < jiff::SignedDuration::from_hours(24))
    }

    pub fn log(&mut self, at: Timestamp, from: &str, text: &str) {
        self.transcript.push(TranscriptLine { at, from: from.to_owned(), text: text.chars().take(1000).collect() });
        let excess = self.transcript.len().saturating_sub(TRANSCRIPT_LINES);
        self.transcript.drain(..excess);
    }
}

/// A chat timer's job, put on the chat timer queue by its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatTimerDue {
    pub tenant_id: TenantId,
    pub phone: PhoneE164,
    /// When the name was asked: a timer for an earlier question is stale.
    pub asked_at: Timestamp,
    pub stage: machine::NoReply,
}

impl ChatTimerDue {
    /// The schedule's name: one per question and stage.
    pub fn schedule_name(&self) -> String {
        let digest = sha2::Sha256::digest(format!("{}/{}", self.tenant_id, self.phone.as_str()).as_bytes());
        format!("chat-{}-{}-{}", &hex::encode(digest)[..16], self.asked_at.as_millisecond(), self.stage.as_str())
    }
}

use sha2::Digest;

#[cfg(test)]
mod tests;
