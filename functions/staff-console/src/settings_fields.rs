//! The settings administrators change most, as form fields: office and quiet hours, the hour
//! scheduled notices go, SMS limits, outage alert hours and the approval threshold. What is typed
//! is applied onto the stored settings' JSON and checked as a whole, as `avisa tenant-settings
//! --put` checks it: one set of rules, whichever form changes them.

use avisa_domain::tenant::TenantSettings;
use serde::Serialize;
use serde_json::{Value, json};

use crate::web::Request;

/// ISO weekdays, as the office-hours checkboxes show them.
const DAYS: [(i8, &str); 7] = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")];

/// Each field as typed (or as stored), so a refused form comes back as it was.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Fields {
    office_days: Vec<i8>,
    office_opens: String,
    office_closes: String,
    quiet_start: String,
    quiet_end: String,
    send_hour: String,
    sms_max: String,
    sms_critical: String,
    transliterate: bool,
    alert_hours: String,
    priority_hours: String,
    approval_threshold: String,
    call_centre: String,
}

fn hhmm(time: jiff::civil::Time) -> String {
    time.strftime("%H:%M").to_string()
}

fn listed(hours: &[u32]) -> String {
    hours.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl Fields {
    pub(crate) fn days() -> Vec<(i8, &'static str)> {
        DAYS.to_vec()
    }

    pub(crate) fn of_settings(settings: &TenantSettings) -> Self {
        let office = settings.chat.as_ref().map(|chat| &chat.office_hours);
        Self {
            office_days: office.map(|o| o.days.clone()).unwrap_or_default(),
            office_opens: office.map(|o| hhmm(o.opens)).unwrap_or_default(),
            office_closes: office.map(|o| hhmm(o.closes)).unwrap_or_default(),
            quiet_start: settings.quiet_hours.as_ref().map(|q| hhmm(q.start)).unwrap_or_default(),
            quiet_end: settings.quiet_hours.as_ref().map(|q| hhmm(q.end)).unwrap_or_default(),
            send_hour: settings.send_hour.to_string(),
            sms_max: settings.sms.max_segments.to_string(),
            sms_critical: settings.sms.critical_max_segments.map(|n| n.to_string()).unwrap_or_default(),
            transliterate: settings.sms.transliterate,
            alert_hours: listed(&settings.outages.alert_hours_before),
            priority_hours: listed(&settings.outages.priority_alert_hours_before),
            approval_threshold: settings.outages.approval_threshold.map(|n| n.to_string()).unwrap_or_default(),
            call_centre: settings.outages.call_centre_email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        }
    }

    pub(crate) fn of_request(request: &Request<'_>) -> Self {
        let field = |name: &str| request.form(name).unwrap_or_default().trim().to_owned();
        Self {
            office_days: DAYS.iter().map(|(n, _)| *n).filter(|n| request.form(&format!("day_{n}")).is_some()).collect(),
            office_opens: field("office_opens"),
            office_closes: field("office_closes"),
            quiet_start: field("quiet_start"),
            quiet_end: field("quiet_end"),
            send_hour: field("send_hour"),
            sms_max: field("sms_max"),
            sms_critical: field("sms_critical"),
            transliterate: request.form("transliterate").is_some(),
            alert_hours: field("alert_hours"),
            priority_hours: field("priority_hours"),
            approval_threshold: field("approval_threshold"),
            call_centre: field("call_centre"),
        }
    }

    /// The stored settings' JSON with these fields in it; what to correct when one is not even the
    /// right kind of value (the settings' own checks come after, on the whole).
    pub(crate) fn applied(&self, settings: &TenantSettings) -> Result<String, String> {
        let mut value = serde_json::to_value(settings).map_err(|e| e.to_string())?;
        let number = |text: &str, label: &str| -> Result<Value, String> {
            text.parse::<u32>().map(Value::from).map_err(|_| format!("{label}: give a whole number, not {text:?}."))
        };
        let optional = |text: &str, label: &str| if text.is_empty() { Ok(Value::Null) } else { number(text, label) };
        let hours = |text: &str, label: &str| -> Result<Value, String> {
            text.split([',', ' '])
                .filter(|h| !h.is_empty())
                .map(|h| number(h, label))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::from)
        };
        let time = |text: &str| format!("{text}:00");
        if self.office_days.is_empty() != self.office_opens.is_empty()
            || self.office_opens.is_empty() != self.office_closes.is_empty()
        {
            return Err("Office hours: tick the days and give both the opening and the closing time.".into());
        }
        if !self.office_opens.is_empty() {
            if value["chat"].is_null() {
                value["chat"] =
                    serde_json::to_value(avisa_domain::chat::ChatSettings::default()).map_err(|e| e.to_string())?;
            }
            value["chat"]["office_hours"] = json!({ "days": self.office_days, "opens": time(&self.office_opens), "closes": time(&self.office_closes) });
        }
        value["quiet_hours"] = match (self.quiet_start.is_empty(), self.quiet_end.is_empty()) {
            (true, true) => Value::Null,
            (false, false) => json!({ "start": time(&self.quiet_start), "end": time(&self.quiet_end) }),
            _ => return Err("Quiet hours: give both times, or neither for none.".into()),
        };
        value["send_hour"] = number(&self.send_hour, "Hour scheduled notices go")?;
        value["sms"]["max_segments"] = number(&self.sms_max, "SMS parts")?;
        value["sms"]["critical_max_segments"] = optional(&self.sms_critical, "SMS parts for critical notices")?;
        value["sms"]["transliterate"] = json!(self.transliterate);
        value["outages"]["alert_hours_before"] = hours(&self.alert_hours, "Outage alert hours")?;
        value["outages"]["priority_alert_hours_before"] = hours(&self.priority_hours, "Priority alert hours")?;
        value["outages"]["approval_threshold"] = optional(&self.approval_threshold, "Approval threshold")?;
        value["outages"]["call_centre_email"] =
            if self.call_centre.is_empty() { Value::Null } else { json!(self.call_centre) };
        Ok(value.to_string())
    }
}
