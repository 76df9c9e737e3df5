//! The chat line: citizens write on WhatsApp; a menu bot answers what it can (information,
//! incident reports, appointment requests, preferences, a known customer's bills) and hands the
//! rest to staff, asking the name first. Each conversation is an explicit state machine
//! ([`machine`]); [`ChatLine`] runs it over the ports, and its replies leave through the
//! dispatcher as notices, so they share its exactly-once sending and delivery statuses.

mod effects;
mod feed;
pub mod feeds;
mod line;
pub mod machine;
pub mod photos;
pub mod ports;
mod ratings;
mod records;
mod reply;
mod said;
pub mod settings;
mod staff;
pub mod webhook;

pub use line::{ChatLine, Citizens, Filings, Received, Replies, StaffAction};
pub use machine::{Effect, Handover, ListOf, Reply, State};
pub use ratings::{Average, Rating, RatingSummary, Score, conversation_digest};
pub use records::{
    Appointment, AppointmentStatus, Incident, IncidentLocation, IncidentStatus, IncidentUpdate, Photo, PhotoCopy,
    StaffNote, TranscriptLine,
};
pub use said::Said;
pub use settings::{ChatSettings, Institution, Voice};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use crate::contact::{Locale, PhoneE164};
use crate::error::{Error, RejectionCode};
use crate::ids::{EventId, NoticeId, TenantId};
use crate::notice::{ChannelMessage, Destination, Interactive, Notice, NoticeSubject, RenderedMessage};
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
    "nudge",
    "closed_quiet",
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
    "rating_thanks",
    "photo_refused",
    "feed_answer",
];

/// How many lines of a conversation are kept for staff to read.
pub const TRANSCRIPT_LINES: usize = 50;

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
    /// The menu service the citizen chose to talk to a person: the team it is handed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Opted out of non-essential messages.
    pub opted_out: bool,
    pub transcript: Vec<TranscriptLine>,
    /// What staff wrote for each other about it; the citizen never sees these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<StaffNote>,
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
            team: None,
            opted_out: false,
            transcript: Vec::new(),
            notes: Vec::new(),
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

pub(super) fn refused(code: RejectionCode, detail: impl Into<String>) -> Error {
    Error::rejected(code, detail)
}

/// The notice a reply of the chat line becomes, keyed by what caused it.
pub(super) fn reply_notice(
    conversation: &Conversation,
    cause: &str,
    text: String,
    interactive: Option<Interactive>,
    follow_up: bool,
    now: Timestamp,
) -> Notice {
    let subject = NoticeSubject::Chat { follow_up };
    let key = format!("chat/{}/{cause}", conversation.phone.as_str());
    let notice_id = NoticeId::derived(&conversation.tenant_id, &key, subject.kind());
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    let content_hash = hex::encode(Sha256::digest(text.as_bytes()));
    Notice {
        tenant_id: conversation.tenant_id.clone(),
        notice_id,
        contract_id: None,
        kind: subject.kind(),
        locale: conversation.locale,
        messages: vec![ChannelMessage {
            destination: Destination::Whatsapp(conversation.phone.clone()),
            template: None,
            content: Some(RenderedMessage { subject: None, text, html: None, parts: None, interactive }),
            attachment: None,
        }],
        channel_reason: "chat line".to_owned(),
        content_hash,
        cause: EventId::parse(&format!("chat:{}", &digest[..32])).expect("hex is a valid event id"),
        created_at: now,
        subject,
        fallback_of: None,
        recipient: None,
    }
}

#[cfg(test)]
mod tests;
