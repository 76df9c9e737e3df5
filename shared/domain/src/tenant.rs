//! What each tenant (utility or council) decides for itself, with the deployment's defaults for
//! a tenant that has not said.

use jiff::civil::{Date, DateTime, Time};
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::clock::TimeZoneName;
use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::TenantId;
use crate::notice::NoticeKind;
use crate::outage::OutageSettings;
use crate::retention::Retention;

mod rates;

pub use rates::{RateLimits, SharedRates};

/// A tenant's settings, as stored in its `CONFIG` item (`events/demo/tenant.json` is one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// The language of a notice when the citizen chose none.
    pub default_locale: Locale,
    /// IANA time zone of the tenant: scheduled notices go out at `send_hour` there.
    pub time_zone: TimeZoneName,
    pub sms: SmsRules,
    /// How many days before the bank charge (or issue date) the invoice pre-notice SMS goes.
    #[serde(default = "default_invoice_notice_days")]
    pub invoice_notice_days: u8,
    /// How many days before an instalment is due its reminder goes.
    #[serde(default = "default_plan_reminder_days")]
    pub plan_reminder_days: u8,
    /// Local hour at which scheduled notices go out.
    #[serde(default = "default_send_hour")]
    pub send_hour: u8,
    /// No SMS between these local times (deferred to the end, never dropped); urgent ones go.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// Who the tenant's messages come from; the deployment's sender where unset.
    #[serde(default)]
    pub sender: SenderIdentity,
    /// How fast a billing run may go, below the providers' own limits.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// The tenant's WhatsApp Business number and its approved templates; no WhatsApp without it.
    #[serde(default)]
    pub whatsapp: Option<WhatsAppSettings>,
    /// Planned-outage alerts: when they go, and who in the call centre hears of them.
    #[serde(default)]
    pub outages: OutageSettings,
    /// The WhatsApp chat line: menu, texts, office hours (a council's default line when unset).
    #[serde(default)]
    pub chat: Option<crate::chat::ChatSettings>,
    /// Who the tenant's chat line speaks for: a council or a utility, its name, its own greeting.
    #[serde(default)]
    pub voice: crate::chat::Voice,
    /// Billing complaints: days per step, and who hears of one about to be late.
    #[serde(default)]
    pub complaints: crate::complaints::ComplaintSettings,
    /// Where the tenant's upstream puts its documents (invoice PDFs); the deployment's bucket,
    /// under the tenant's id, where unset. A document named anywhere else is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<DocumentPlace>,
    /// How long records about people are kept, by kind (documented defaults where unset).
    #[serde(default)]
    pub retention: Retention,
}

/// A bucket and a key prefix: the one place a tenant's documents may come from, so that no
/// tenant can have another's PDF attached to its notices or printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentPlace {
    pub bucket: String,
    /// The tenant's id and `/` where unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

impl DocumentPlace {
    /// Whether `uri` (`s3://bucket/key`) names a document in this place, for `tenant`; the refusal
    /// says where documents must be, never what was named.
    pub fn admits(&self, tenant: &TenantId, uri: &str) -> Result<(), String> {
        let default_prefix = format!("{tenant}/");
        let prefix = self.prefix.as_deref().unwrap_or(&default_prefix);
        let inside = uri.strip_prefix("s3://").and_then(|rest| rest.split_once('/')).is_some_and(|(bucket, key)| {
            bucket == self.bucket
                && key.starts_with(prefix)
                && key.len() > prefix.len()
                && !key.split('/').any(|segment| segment == ".." || segment == ".")
        });
        if inside {
            Ok(())
        } else {
            Err(format!("documents of tenant {tenant} must be under s3://{}/{prefix}", self.bucket))
        }
    }
}

/// A tenant's rules for SMS: how many parts one message may cost, and whether to transliterate
/// to the GSM-7 alphabet (á → a) so that one accent does not switch it to UCS-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmsRules {
    pub max_segments: usize,
    pub transliterate: bool,
    /// A higher cap for service-critical notices (outage alerts, complaint steps) that do not fit
    /// `max_segments` even in their short variant: one long SMS is better than none. Unset: no
    /// exception, and such a notice goes by the citizen's next channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_max_segments: Option<usize>,
}

impl Default for SmsRules {
    fn default() -> Self {
        Self { max_segments: 3, transliterate: false, critical_max_segments: None }
    }
}

/// The most SMS parts a message may ever take (carriers concatenate up to about ten).
pub const MAX_SMS_SEGMENTS: usize = 10;
/// How long before an outage its earliest alert may go: 30 days.
pub const MAX_ALERT_HOURS_BEFORE: u32 = 720;

impl TenantSettings {
    /// Settings written as JSON by a person (a file for the CLI, the console's form), checked; or
    /// what to correct, naming the field.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let mut reader = serde_json::Deserializer::from_str(text);
        let settings: Self = serde_path_to_error::deserialize(&mut reader).map_err(|e| match e.path().to_string() {
            path if path == "." => format!("not tenant settings: {}", e.inner()),
            path => format!("not tenant settings: {path}: {}", e.inner()),
        })?;
        settings.check()?;
        Ok(settings)
    }

    /// Whether these settings can be used as they are: what is stored unchecked could otherwise
    /// stop every message of the tenant (an empty list of languages, an alert centuries ahead).
    pub fn check(&self) -> Result<(), String> {
        let sms = self.sms;
        if !(1..=MAX_SMS_SEGMENTS).contains(&sms.max_segments) {
            return Err(format!("sms.max_segments must be 1 to {MAX_SMS_SEGMENTS}, not {}", sms.max_segments));
        }
        if let Some(cap) = sms.critical_max_segments
            && !(sms.max_segments..=MAX_SMS_SEGMENTS).contains(&cap)
        {
            return Err(format!(
                "sms.critical_max_segments must be {} to {MAX_SMS_SEGMENTS} (at least max_segments), not {cap}",
                sms.max_segments
            ));
        }
        if self.send_hour > 23 {
            return Err(format!("send_hour must be 0 to 23, not {}", self.send_hour));
        }
        for (field, hours) in [
            ("alert_hours_before", &self.outages.alert_hours_before),
            ("priority_alert_hours_before", &self.outages.priority_alert_hours_before),
        ] {
            if let Some(hours) = hours.iter().find(|h| **h > MAX_ALERT_HOURS_BEFORE) {
                return Err(format!("outages.{field}: {hours} is more than {MAX_ALERT_HOURS_BEFORE} hours"));
            }
        }
        if self.outages.approval_threshold == Some(0) {
            return Err("outages.approval_threshold must be 1 or more (leave it out for no approval)".to_owned());
        }
        self.retention.check()?;
        self.voice.check()?;
        self.chat.as_ref().map_or(Ok(()), crate::chat::ChatSettings::check)
    }
}

/// A WhatsApp Business number and, per notice kind, the approved template that carries it (its
/// body is one `{{1}}` parameter: the notice's short text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppSettings {
    pub phone_number_id: String,
    pub templates: std::collections::BTreeMap<NoticeKind, String>,
}

/// A tenant's own sending identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderIdentity {
    /// A verified SES identity of the tenant's.
    #[serde(default)]
    pub email_from: Option<Email>,
    /// Alphanumeric SMS sender ID, where the destination country allows one.
    #[serde(default)]
    pub sms_sender_id: Option<SmsSenderId>,
    /// The tenant's own long code or short code, where one is registered.
    #[serde(default)]
    pub sms_origination_number: Option<PhoneE164>,
}

/// 1 to 11 letters and digits, with at least one letter (what carriers accept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SmsSenderId(String);

impl SmsSenderId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=11).contains(&raw.len())
            && raw.chars().all(|c| c.is_ascii_alphanumeric())
            && raw.chars().any(|c| c.is_ascii_alphabetic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("SMS sender ID {raw:?} must be 1 to 11 letters and digits, with a letter"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SmsSenderId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<SmsSenderId> for String {
    fn from(id: SmsSenderId) -> String {
        id.0
    }
}

/// A nightly window, e.g. 21:00 to 09:00 (it may wrap midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    /// When the window that `now` falls in opens again, or `None` outside the window.
    pub fn reopening(&self, now: &jiff::Zoned) -> Option<DateTime> {
        let time = now.time();
        let inside = if self.start <= self.end {
            time >= self.start && time < self.end
        } else {
            time >= self.start || time < self.end
        };
        if !inside {
            return None;
        }
        let today = now.date();
        let day = if time >= self.end { today.tomorrow().ok()? } else { today };
        Some(day.to_datetime(self.end))
    }
}

fn default_invoice_notice_days() -> u8 {
    8
}

fn default_plan_reminder_days() -> u8 {
    3
}

fn default_send_hour() -> u8 {
    10
}

impl TenantSettings {
    /// The deployment's defaults, for tenants with no settings of their own.
    pub fn defaults(default_locale: Locale, time_zone: TimeZoneName, sms: SmsRules) -> Self {
        Self {
            default_locale,
            time_zone,
            sms,
            invoice_notice_days: default_invoice_notice_days(),
            plan_reminder_days: default_plan_reminder_days(),
            send_hour: default_send_hour(),
            quiet_hours: None,
            sender: SenderIdentity::default(),
            rate_limits: RateLimits::default(),
            whatsapp: None,
            outages: OutageSettings::default(),
            chat: None,
            voice: crate::chat::Voice::default(),
            complaints: crate::complaints::ComplaintSettings::default(),
            documents: None,
            retention: Retention::default(),
        }
    }

    /// When a notice about `date` goes out: `days_before` it, at the send hour, in the tenant's
    /// time zone.
    pub fn send_time(&self, date: Date, days_before: u8) -> Result<(DateTime, Timestamp), jiff::Error> {
        let day = date.checked_sub(i64::from(days_before).days())?;
        let local = day.to_datetime(Time::new(i8::try_from(self.send_hour.min(23)).unwrap_or(10), 0, 0, 0)?);
        let instant = local.to_zoned(self.time_zone.zone())?.timestamp();
        Ok((local, instant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_notices_go_out_at_the_send_hour_in_the_tenants_zone() {
        let madrid = TimeZoneName::parse("Europe/Madrid").unwrap();
        let settings = TenantSettings::defaults(Locale::Ca, madrid, SmsRules::default());
        let (local, instant) = settings.send_time(jiff::civil::date(2026, 12, 1), 8).unwrap();
        assert_eq!(local.to_string(), "2026-11-23T10:00:00");
        assert_eq!(instant.to_string(), "2026-11-23T09:00:00Z", "Madrid is UTC+1 in November");
        let (_, summer) = settings.send_time(jiff::civil::date(2026, 7, 10), 8).unwrap();
        assert_eq!(summer.to_string(), "2026-07-02T08:00:00Z", "and UTC+2 in summer");
    }

    #[test]
    fn the_sample_tenant_settings_parse() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/demo/tenant.json");
        let settings: TenantSettings = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!((settings.sms.max_segments, settings.invoice_notice_days), (2, 8));
        settings.check().unwrap();
    }

    #[test]
    fn settings_that_would_stop_the_tenants_messages_are_refused_with_the_reason() {
        let valid =
            || TenantSettings::defaults(Locale::Ca, TimeZoneName::parse("Europe/Madrid").unwrap(), SmsRules::default());
        valid().check().unwrap();
        let mut no_parts = valid();
        no_parts.sms.max_segments = 0;
        assert!(no_parts.check().unwrap_err().contains("sms.max_segments must be 1 to 10"));
        let mut centuries = valid();
        centuries.outages.alert_hours_before = vec![48, 105_000_000];
        assert!(centuries.check().unwrap_err().contains("105000000 is more than 720 hours"));
        let mut mute = valid();
        let mut chat = crate::chat::ChatSettings::default();
        chat.languages.clear();
        mute.chat = Some(chat);
        assert_eq!(mute.check().unwrap_err(), "chat.languages is empty");
        let mut forever = valid();
        forever.chat = Some(crate::chat::ChatSettings { no_reply_minutes: u32::MAX, ..Default::default() });
        assert!(forever.check().unwrap_err().contains("chat.no_reply_minutes must be 1 to 1440"));
    }

    #[test]
    fn quiet_hours_reopen_at_their_end_in_the_tenants_zone() {
        let quiet = QuietHours { start: jiff::civil::time(21, 0, 0, 0), end: jiff::civil::time(9, 0, 0, 0) };
        let at = |s: &str| s.parse::<jiff::Zoned>().unwrap();
        assert_eq!(
            quiet.reopening(&at("2026-11-20T22:30:00+01:00[Europe/Madrid]")).unwrap().to_string(),
            "2026-11-21T09:00:00"
        );
        assert_eq!(
            quiet.reopening(&at("2026-11-21T06:00:00+01:00[Europe/Madrid]")).unwrap().to_string(),
            "2026-11-21T09:00:00"
        );
        assert_eq!(quiet.reopening(&at("2026-11-21T09:00:00+01:00[Europe/Madrid]")), None);
        assert_eq!(quiet.reopening(&at("2026-11-21T20:59:59+01:00[Europe/Madrid]")), None);
        let daytime = QuietHours { start: jiff::civil::time(13, 0, 0, 0), end: jiff::civil::time(15, 0, 0, 0) };
        assert_eq!(
            daytime.reopening(&at("2026-11-21T14:00:00+01:00[Europe/Madrid]")).unwrap().to_string(),
            "2026-11-21T15:00:00"
        );
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert!(TimeZoneName::parse("Europe/Atlantis").is_err());
        let json =
            r#"{"default_locale":"ca","time_zone":"Mars/Olympus","sms":{"max_segments":2,"transliterate":true}}"#;
        assert!(
            serde_json::from_str::<TenantSettings>(json)
                .unwrap_err()
                .to_string()
                .contains("not a known IANA time zone")
        );
    }
}
