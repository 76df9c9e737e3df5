//! One function per fuzz target: each takes any bytes as the untrusted input it stands for,
//! parses them as avisa does at the edge, and exercises what parsing let through. A panic is the
//! finding; an error is the expected answer to bad input.
//!
//! `make fuzz` runs each under cargo-fuzz (`fuzz/libfuzzer`); the corpus (`fuzz/corpus`) and the
//! inputs that once crashed (`fuzz/regressions`) are replayed by `make test`.

use avisa_domain::billing::BillingEvent;
use avisa_domain::complaints::{Action, FileComplaint};
use avisa_domain::outage::{OutagePlan, Reschedule, parse_body};
use avisa_domain::queues::{ChatJob, ComposeMessage, DeliveryJob};
use avisa_domain::tenant::TenantSettings;
use jiff::Timestamp;

/// A fuzz target: any bytes in, a panic out if something is wrong.
pub type Target = fn(&[u8]);

/// Every target, by the name `cargo fuzz run` knows it by.
pub const TARGETS: [(&str, Target); 6] = [
    ("billing_event", billing_event),
    ("queue_job", queue_job),
    ("ses_event", ses_event),
    ("whatsapp_webhook", whatsapp_webhook),
    ("http_body", http_body),
    ("tenant_settings", tenant_settings),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A message on the billing-events queue, from an upstream billing system.
pub fn billing_event(data: &[u8]) {
    let Some(body) = text(data) else { return };
    if let Ok(event) = BillingEvent::parse(body) {
        let _ = format!("{event:?}");
    }
}

/// A message on the compose, dispatch or chat-timer queues: each queue's own type, parsed as its
/// consumer parses it.
pub fn queue_job(data: &[u8]) {
    if let Some(body) = text(data) {
        match ComposeMessage::parse(body) {
            Ok(ComposeMessage::Notice(job)) => {
                let _ = job.subject.kind().channels();
                let _ = job.subject.schedule_name(&job.tenant_id, &job.contract_id);
            }
            Ok(ComposeMessage::OutageAlert(due)) => {
                let _ = due.key();
            }
            Ok(ComposeMessage::AlertChunk(chunk)) => {
                let _ = (chunk.alert.key(), chunk.contracts.len());
            }
            Ok(ComposeMessage::ComplaintDeadline(due)) => {
                let _ = format!("{due:?}");
            }
            Ok(ComposeMessage::AnnouncementChunk(chunk)) => {
                let _ = (avisa_domain::sends::announcement_send_id(&chunk.announcement_id), chunk.contracts.len());
            }
            Err(rejection) => {
                let _ = rejection.to_string();
            }
        }
    }
    if let Ok(job) = serde_json::from_slice::<DeliveryJob>(data) {
        let _ = job.claim_key().to_string();
    }
    match serde_json::from_slice::<ChatJob>(data) {
        Ok(ChatJob::ChatTimer(due)) => drop(due.schedule_name()),
        Ok(ChatJob::KeepPhoto(due)) => drop(due.schedule_name()),
        Err(_) => {}
    }
}

/// An SES event (bounce, complaint, delivery) through its SNS topic.
pub fn ses_event(data: &[u8]) {
    if let Some(body) = text(data) {
        let _ = avisa_domain::feedback::ses_event::parse(body);
    }
}

/// A notification from the WhatsApp Cloud API (its signature checked before, which a fuzzer
/// would never pass: the payload is fuzzed as if signed).
pub fn whatsapp_webhook(data: &[u8]) {
    let _ = avisa_domain::chat::webhook::parse(data);
}

/// A body of the operator and staff APIs: an outage plan (checked against a clock), a new
/// window, a complaint and each action on one.
pub fn http_body(data: &[u8]) {
    if let Ok(plan) = OutagePlan::parse(data) {
        let _ = plan.check(Timestamp::UNIX_EPOCH);
    }
    let _ = parse_body::<Reschedule>(data, "a reschedule");
    let _ = parse_body::<FileComplaint>(data, "a complaint");
    let _ = parse_body::<Action>(data, "a complaint action");
}

/// A tenant's settings as stored: checked, then used as the functions use them.
pub fn tenant_settings(data: &[u8]) {
    let Ok(settings) = serde_json::from_slice::<TenantSettings>(data) else { return };
    if settings.check().is_err() {
        return;
    }
    let _ = settings.send_time(jiff::civil::date(2026, 12, 1), settings.invoice_notice_days);
    if let Some(quiet) = settings.quiet_hours {
        let now = Timestamp::UNIX_EPOCH.to_zoned(settings.time_zone.zone());
        let _ = quiet.reopening(&now);
    }
    if let Some(chat) = &settings.chat {
        let _ = chat.first_language(settings.default_locale);
    }
}
