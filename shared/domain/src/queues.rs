//! The queues' contract: what each internal queue carries, one type per queue, shared by the
//! functions (and schedules) that put messages on it and the function that reads them. A body is
//! parsed once, at the edge, into that type; a body that is none of its shapes is refused with why.
//!
//! | queue | type | put there by |
//! |---|---|---|
//! | compose | [`ComposeMessage`] | billing-ingest, schedules (reminders, outage alerts, complaint deadlines), the complaint desk, the dispatcher (fallbacks to the next channel), the composer (an alert's chunks) |
//! | dispatch | [`DeliveryJob`] | notice-composer, the chat line, schedules (quiet hours), the dispatcher itself (paced deliveries, late records) |
//! | chat timers | [`ChatJob`] | the chat line's no-reply schedules; the webhook (photos to keep) and its retry schedules |
//!
//! Jobs carry ids only, never personal data.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::channel::Channel;
use crate::contact::PhoneE164;
use crate::error::{Rejection, RejectionCode};
use crate::ids::{AnnouncementId, ContractId, EventId, NoticeId, OutageId, TenantId};
use crate::notice::{AlertStage, Notice, NoticeSubject};

/// What the compose queue carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeMessage {
    /// One notice to compose (the body is the job itself).
    Notice(ComposeJob),
    /// An outage alert's schedule fired: `{"outage_alert": {...}}`.
    OutageAlert(OutageAlertDue),
    /// A complaint's step is about to be late: `{"complaint_deadline": {...}}`.
    ComplaintDeadline(ComplaintDeadlineDue),
    /// Some of the contracts a fired outage alert reaches: `{"alert_chunk": {...}}`.
    AlertChunk(AlertChunk),
    /// Some of the contracts an announcement goes to: `{"announcement_chunk": {...}}`.
    AnnouncementChunk(AnnouncementChunk),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageAlertBody<T> {
    outage_alert: T,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplaintDeadlineBody<T> {
    complaint_deadline: T,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertChunkBody<T> {
    alert_chunk: T,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnouncementChunkBody<T> {
    announcement_chunk: T,
}

impl ComposeMessage {
    /// Reads a compose queue body: its one top-level key says which shape it is.
    pub fn parse(body: &str) -> Result<Self, Rejection> {
        let refused = |what: &str, e: serde_json::Error| {
            Rejection::new(RejectionCode::InvalidJson, format!("body is not {what}: {e}"))
        };
        let value: serde_json::Value = serde_json::from_str(body).map_err(|e| refused("JSON", e))?;
        let has = |key: &str| value.get(key).is_some();
        if has("outage_alert") {
            let body: OutageAlertBody<OutageAlertDue> =
                serde_json::from_value(value).map_err(|e| refused("an outage alert", e))?;
            Ok(Self::OutageAlert(body.outage_alert))
        } else if has("complaint_deadline") {
            let body: ComplaintDeadlineBody<ComplaintDeadlineDue> =
                serde_json::from_value(value).map_err(|e| refused("a complaint reminder", e))?;
            Ok(Self::ComplaintDeadline(body.complaint_deadline))
        } else if has("alert_chunk") {
            let body: AlertChunkBody<AlertChunk> =
                serde_json::from_value(value).map_err(|e| refused("a chunk of an outage alert", e))?;
            Ok(Self::AlertChunk(body.alert_chunk))
        } else if has("announcement_chunk") {
            let body: AnnouncementChunkBody<AnnouncementChunk> =
                serde_json::from_value(value).map_err(|e| refused("a chunk of an announcement", e))?;
            Ok(Self::AnnouncementChunk(body.announcement_chunk))
        } else {
            serde_json::from_value(value).map(Self::Notice).map_err(|e| refused("a ComposeJob", e))
        }
    }
}

impl Serialize for ComposeMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Notice(job) => job.serialize(serializer),
            Self::OutageAlert(due) => OutageAlertBody { outage_alert: due }.serialize(serializer),
            Self::ComplaintDeadline(due) => ComplaintDeadlineBody { complaint_deadline: due }.serialize(serializer),
            Self::AlertChunk(chunk) => AlertChunkBody { alert_chunk: chunk }.serialize(serializer),
            Self::AnnouncementChunk(chunk) => AnnouncementChunkBody { announcement_chunk: chunk }.serialize(serializer),
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
    /// Set when this job retries a notice on the next channel after one failed for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
}

impl ComposeJob {
    pub fn new(tenant_id: TenantId, contract_id: ContractId, subject: NoticeSubject, cause: EventId) -> Self {
        let key = subject.natural_key().map_or_else(|| cause.to_string(), |key| format!("{contract_id}/{key}"));
        let notice_id = NoticeId::derived(&tenant_id, &key, subject.kind());
        Self { tenant_id, notice_id, contract_id, subject, cause, fallback: None }
    }

    /// The job that sends `notice` again on the next channel after `failed`; once per notice.
    /// `None` for a notice about no contract (a chat reply has no other channel).
    pub fn fallback_for(notice: &Notice, subject: NoticeSubject, failed: Channel) -> Option<Self> {
        let key = format!("{}/fallback", notice.notice_id);
        Some(Self {
            tenant_id: notice.tenant_id.clone(),
            notice_id: NoticeId::derived(&notice.tenant_id, &key, notice.kind),
            contract_id: notice.contract_id.clone()?,
            subject,
            cause: notice.cause.clone(),
            fallback: Some(Fallback { of: notice.notice_id.clone(), failed }),
        })
    }
}

/// A notice to send again on the citizen's next channel, because `failed` refused it for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallback {
    pub of: NoticeId,
    pub failed: Channel,
}

/// What an alert schedule puts on the compose queue when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageAlertDue {
    pub tenant_id: TenantId,
    pub outage_id: OutageId,
    pub revision: u32,
    pub stage: AlertStage,
    pub label: String,
}

impl OutageAlertDue {
    /// What makes two firings the same one: the notices they make have the same ids.
    pub fn key(&self) -> String {
        alert_send_id(&self.outage_id, self.revision, self.stage, &self.label)
    }
}

/// The send of one outage alert: the key of its firing, so a second firing is the same send.
pub fn alert_send_id(outage_id: &OutageId, revision: u32, stage: AlertStage, label: &str) -> String {
    format!("outage/{outage_id}/r{revision}/{}/{label}", stage.as_str())
}

/// Contracts a fired alert reaches, one chunk of them: composed by one invocation, retried alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertChunk {
    pub alert: OutageAlertDue,
    /// This chunk's number, from 0; its tally is added to the send once.
    pub part: u32,
    pub contracts: Vec<ContractId>,
}

/// Contracts an announcement goes to, one chunk of them: composed by one invocation, retried alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementChunk {
    pub tenant_id: TenantId,
    pub announcement_id: AnnouncementId,
    /// This chunk's number, from 0; its tally is added to the send once.
    pub part: u32,
    pub contracts: Vec<ContractId>,
}

/// The send of an announcement: one per announcement, however often it is submitted.
pub fn announcement_send_id(announcement_id: &AnnouncementId) -> String {
    format!("announcement/{announcement_id}")
}

/// A deadline reminder's job, put on the compose queue by its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintDeadlineDue {
    pub tenant_id: TenantId,
    pub reference: String,
    /// The complaint's version when scheduled: a complaint that moved on is not late.
    pub version: u32,
}

/// What the dispatch queue carries: one channel of one notice to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    pub channel: Channel,
    /// Goes out even in quiet hours (an outage starting soon).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub urgent: bool,
    /// Sent again by an operator after a refusal's cause was fixed: a refused delivery is retried.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redrive: bool,
    /// How often it waited for the tenant's send rate already.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub paced: u32,
    /// Already sent, with this provider message id: only its record is left to write (the attempt
    /// that sent it could not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
}

impl DeliveryJob {
    pub fn new(tenant_id: TenantId, notice_id: NoticeId, channel: Channel, urgent: bool) -> Self {
        Self { tenant_id, notice_id, channel, urgent, redrive: false, paced: 0, sent: None }
    }
}

/// What the chat timer queue carries: the chat line's deferred work, `{"chat_timer": {...}}` or
/// `{"keep_photo": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatJob {
    ChatTimer(ChatTimerDue),
    KeepPhoto(PhotoDue),
}

/// A photo a citizen sent with an incident, to copy from WhatsApp into the tenant's part of the
/// media bucket before Meta lets it go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoDue {
    pub tenant_id: TenantId,
    /// The incident's reference (`INC-…`).
    pub reference: String,
    /// WhatsApp's media id.
    pub media_id: String,
    /// When it was received: Meta keeps it for a limited time from then.
    pub received_at: Timestamp,
    /// How many tries came before this one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt: u32,
}

impl PhotoDue {
    /// The schedule of this try: one per photo and try.
    pub fn schedule_name(&self) -> String {
        let photo = format!("{}/{}/{}", self.tenant_id, self.reference, self.media_id);
        let digest = hex::encode(Sha256::digest(photo.as_bytes()));
        format!("photo-{}-{}", &digest[..16], self.attempt)
    }
}

/// A chat timer's job, put on the chat timer queue by its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatTimerDue {
    pub tenant_id: TenantId,
    pub phone: PhoneE164,
    /// When the name was asked, or the agent replied: a timer for an earlier one is stale.
    pub asked_at: Timestamp,
    pub stage: NoReply,
}

impl ChatTimerDue {
    /// The schedule's name: one per question and stage.
    pub fn schedule_name(&self) -> String {
        let conversation = crate::chat::conversation_digest(&self.tenant_id, &self.phone);
        format!("chat-{conversation}-{}-{}", self.asked_at.as_millisecond(), self.stage.as_str())
    }
}

/// The no-reply timers: two for the name question, two after an agent's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoReply {
    /// Ask the name once more.
    Recontact,
    /// Give up on the name, saying they can write again.
    Close,
    /// The citizen went quiet after an agent's reply: ask if they are still there.
    Nudge,
    /// Still quiet after the nudge: resolve, saying they can write again, with the survey.
    Quiet,
}

impl NoReply {
    /// The name question's timers.
    pub const NAME: [Self; 2] = [Self::Recontact, Self::Close];
    /// The timers after an agent's reply.
    pub const AGENT: [Self; 2] = [Self::Nudge, Self::Quiet];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recontact => "recontact",
            Self::Close => "close",
            Self::Nudge => "nudge",
            Self::Quiet => "quiet",
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> OutageAlertDue {
        OutageAlertDue {
            tenant_id: TenantId::parse("t-1").unwrap(),
            outage_id: OutageId::parse("o-1").unwrap(),
            revision: 2,
            stage: AlertStage::Advance,
            label: "48h".into(),
        }
    }

    #[test]
    fn each_shape_reads_back_as_it_was_written() {
        let deadline =
            ComplaintDeadlineDue { tenant_id: TenantId::parse("t-1").unwrap(), reference: "CLM-1".into(), version: 3 };
        let chunk = AlertChunk { alert: alert(), part: 3, contracts: vec![ContractId::parse("CT-1").unwrap()] };
        let announced = AnnouncementChunk {
            tenant_id: TenantId::parse("t-1").unwrap(),
            announcement_id: AnnouncementId::parse("new-sms-service").unwrap(),
            part: 0,
            contracts: vec![ContractId::parse("CT-2").unwrap()],
        };
        for message in [
            ComposeMessage::OutageAlert(alert()),
            ComposeMessage::ComplaintDeadline(deadline),
            ComposeMessage::AlertChunk(chunk),
            ComposeMessage::AnnouncementChunk(announced),
        ] {
            let body = serde_json::to_string(&message).unwrap();
            assert_eq!(ComposeMessage::parse(&body).unwrap(), message, "{body}");
        }
        let body = serde_json::to_string(&ComposeMessage::OutageAlert(alert())).unwrap();
        assert!(body.starts_with(r#"{"outage_alert":{"#), "{body}");
    }

    #[test]
    fn a_body_of_no_shape_is_refused_naming_the_one_it_looked_like() {
        let refused = |body: &str| ComposeMessage::parse(body).unwrap_err().detail;
        assert!(refused("not json").starts_with("body is not JSON"));
        assert!(refused(r#"{"outage_alert": {"tenant_id": "t"}}"#).starts_with("body is not an outage alert"));
        assert!(refused(r#"{"complaint_deadline": 1}"#).starts_with("body is not a complaint reminder"));
        assert!(refused(r#"{"alert_chunk": {"part": 1}}"#).starts_with("body is not a chunk of an outage alert"));
        assert!(refused(r#"{"announcement_chunk": {}}"#).starts_with("body is not a chunk of an announcement"));
        assert!(refused(r#"{"tenant_id": "t"}"#).starts_with("body is not a ComposeJob"));
        let extra = r#"{"outage_alert": {"tenant_id": "t-1", "outage_id": "o-1", "revision": 1, "stage": "advance", "label": "48h"}, "x": 1}"#;
        assert!(refused(extra).contains("unknown field `x`"), "{}", refused(extra));
    }

    #[test]
    fn jobs_serialize_without_personal_data() {
        let job = DeliveryJob::new(TenantId::parse("t").unwrap(), NoticeId::parse("n-1").unwrap(), Channel::Sms, false);
        assert_eq!(
            serde_json::to_value(&job).unwrap(),
            serde_json::json!({"tenant_id": "t", "notice_id": "n-1", "channel": "sms"})
        );
    }
}
