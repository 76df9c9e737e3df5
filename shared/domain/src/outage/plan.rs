//! An operator's request, parsed at the edge, and when its alerts go out.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{Outage, OutageArea, OutageSettings, OutageType, PlannedAlert, Window};
use crate::error::{Error, Rejection, RejectionCode};
use crate::ids::TenantId;
use crate::notice::AlertStage;
use crate::text::Text;

/// The longest outage avisa will announce: anything longer is a mistake in the dates.
const MAX_DURATION: SignedDuration = SignedDuration::from_hours(14 * 24);
const MAX_SECTORS: usize = 200;
/// "At once": the soonest a one-time schedule can be set for.
const AT_ONCE: SignedDuration = SignedDuration::from_mins(1);

/// `POST /outages`: what an operator plans.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutagePlan {
    pub tenant_id: TenantId,
    #[serde(rename = "type")]
    pub kind: OutageType,
    /// RFC 3339 with its offset, e.g. `2026-12-03T08:00:00+01:00`.
    #[schemars(with = "String")]
    pub start: Timestamp,
    #[schemars(with = "String")]
    pub expected_end: Timestamp,
    pub area: OutageArea,
    /// Said in every alert (the street, the reason); at most 160 characters.
    #[serde(default)]
    pub note: Option<Text<160>>,
}

/// `POST /outages/{id}/reschedule`: the new window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    #[schemars(with = "String")]
    pub start: Timestamp,
    #[schemars(with = "String")]
    pub expected_end: Timestamp,
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::Rejected(Rejection::new(RejectionCode::InvalidField, detail))
}

/// Parses a JSON body, naming the field that is wrong.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        Error::Rejected(Rejection::new(RejectionCode::InvalidJson, format!("{what}: {path}: {}", e.inner())))
    })
}

impl OutagePlan {
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        parse_body(body, "not an outage plan")
    }

    /// What no outage can be: in the past, ending before it starts, endless, or nowhere.
    pub fn check(&self, now: Timestamp) -> Result<(), Error> {
        check_window(Window { start: self.start, expected_end: self.expected_end }, now)?;
        match &self.area {
            OutageArea::NetworkSectors(sectors) if sectors.is_empty() || sectors.len() > MAX_SECTORS => {
                Err(invalid(format!("area.network_sectors must list 1 to {MAX_SECTORS} sectors")))
            }
            OutageArea::Polygon(polygon) => polygon.cells().map(|_| ()).map_err(invalid),
            OutageArea::NetworkSectors(_) => Ok(()),
        }
    }
}

pub(super) fn check_window(window: Window, now: Timestamp) -> Result<(), Error> {
    if window.start <= now + AT_ONCE {
        return Err(invalid(format!("start {} is not in the future: plan outages ahead of time", window.start)));
    }
    if window.expected_end <= window.start {
        return Err(invalid("expected_end must come after start"));
    }
    if window.expected_end.duration_since(window.start) > MAX_DURATION {
        return Err(invalid("an outage longer than 14 days is not a planned outage: check the dates"));
    }
    Ok(())
}

/// The label prefix of an alert only priority supply points get (`priority-96h`).
const PRIORITY_ONLY: &str = "priority-";

/// Whether an alert with this label goes to priority supply points only.
pub fn is_priority_only(label: &str) -> bool {
    label.starts_with(PRIORITY_ONLY)
}

impl Outage {
    /// The advance alerts of the current revision, soonest first: everyone's at each of the
    /// tenant's alert times, and the priority supply points' at theirs.
    pub fn advance_alerts(&self, settings: &OutageSettings, now: Timestamp) -> Vec<PlannedAlert> {
        let everyone = self.alerts_at(&settings.alert_hours_before, "", now);
        let mut alerts = self.alerts_at(&settings.priority_alert_hours_before, PRIORITY_ONLY, now);
        // When everyone is told at once, a priority alert at once would be a second message.
        if everyone.iter().any(|a| a.label == "now") {
            alerts.retain(|a| a.label != format!("{PRIORITY_ONLY}now"));
        }
        alerts.extend(everyone);
        alerts.sort_by_key(|a| a.at);
        alerts
    }

    /// One alert at each of these times still ahead, and one at once for those already past (told
    /// late rather than not at all); none when no hours are given but for `prefix` "" (everyone).
    fn alerts_at(&self, hours_before: &[u32], prefix: &str, now: Timestamp) -> Vec<PlannedAlert> {
        let mut hours: Vec<u32> = hours_before.to_vec();
        hours.sort_unstable_by(|a, b| b.cmp(a));
        hours.dedup();
        let mut alerts = Vec::new();
        let mut late = false;
        for hours in hours {
            // Settings bound the hours; a time before the calendar's start counts as past.
            let at =
                self.window.start.checked_sub(SignedDuration::from_hours(i64::from(hours))).unwrap_or(Timestamp::MIN);
            if at > now + AT_ONCE {
                alerts.push(self.alert(AlertStage::Advance, &format!("{prefix}{hours}h"), at));
            } else {
                late = true;
            }
        }
        if late || (alerts.is_empty() && prefix.is_empty()) {
            alerts.insert(0, self.alert(AlertStage::Advance, &format!("{prefix}now"), now + AT_ONCE));
        }
        alerts
    }

    /// A one-off message of this revision, at once.
    pub fn one_off(&self, stage: AlertStage, now: Timestamp) -> PlannedAlert {
        self.alert(stage, stage.as_str(), now + AT_ONCE)
    }

    fn alert(&self, stage: AlertStage, label: &str, at: Timestamp) -> PlannedAlert {
        PlannedAlert { stage, label: label.to_owned(), at, schedule_name: self.schedule_name(self.revision, label) }
    }
}
