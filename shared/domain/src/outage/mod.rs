//! Planned outages: who a cut reaches, when they are told, and what they are told.
//!
//! An operator plans an outage (type, window, area as network sectors or a GeoJSON polygon), looks
//! at the dry run (who is reached on which channel, the SMS in each language, the cost), and
//! confirms it. Confirming creates one-time schedules at the tenant's alert times; each one, when
//! it fires, has the composer write the alert to every affected citizen and brief the call centre.
//! Rescheduling, cancelling and ending tell those already told.

mod alerts;
mod audience;
mod desk;
pub mod geo;
mod plan;
pub mod ports;
mod recipients;

pub use alerts::{AlertsFired, ChunkDone, FannedOut, OutageAlerts};
pub use audience::{Audience, AudienceMember, DryRun, PriorityContract, SmsPreview, template_values};
pub use desk::{Changed, OutageDesk, Subscribe};
pub use plan::{OutagePlan, Reschedule, is_priority_only, parse_body};
pub use recipients::OutageRecipients;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::channel::Channel;
use crate::clock::TimeZoneName;
use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::{ContractId, CustomerId, OutageId, SectorId, SubscriberId, TenantId};
use crate::money::Money;
use crate::notice::AlertStage;
use crate::queues::OutageAlertDue;
use crate::text::Text;

use geo::Polygon;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutageType {
    /// No water at all.
    Interruption,
    /// Water, at low pressure.
    PressureDrop,
}

/// Which supply points a cut reaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OutageArea {
    /// What the valves close off: every contract in these sectors.
    NetworkSectors(Vec<SectorId>),
    /// Every supply point with coordinates inside this GeoJSON polygon.
    Polygon(Polygon),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageStatus {
    /// Planned, not announced: the dry run can be looked at; nothing is scheduled.
    Planned,
    /// Confirmed by its planner, but it reaches more people than the tenant lets one person
    /// alert: nothing is scheduled until a second planner approves.
    AwaitingApproval,
    /// Alerts are scheduled.
    Confirmed,
    Cancelled,
    /// The works are over.
    Ended,
}

impl OutageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Ended => "ended",
        }
    }
}

/// A start and an expected end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: Timestamp,
    pub expected_end: Timestamp,
}

/// One alert of an outage: a one-time schedule, named after the outage, its revision and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAlert {
    pub stage: AlertStage,
    /// `48h`, `2h`, `now` (an alert time already past), or the stage of a one-off message.
    pub label: String,
    pub at: Timestamp,
    pub schedule_name: String,
}

/// A second planner's approval of an outage that reaches many people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The planner who confirmed it, and the recipients it reached then.
    pub requested_by: String,
    pub requested_at: Timestamp,
    pub recipients: usize,
    /// The tenant's threshold it went over.
    pub threshold: u32,
    pub approved_by: Option<String>,
    pub approved_at: Option<Timestamp>,
}

/// Who did what to an outage, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageChange {
    pub at: Timestamp,
    pub by: String,
    pub action: String,
}

/// A planned outage as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    pub tenant_id: TenantId,
    pub outage_id: OutageId,
    #[serde(rename = "type")]
    pub kind: OutageType,
    pub window: Window,
    pub area: OutageArea,
    pub note: Option<Text<160>>,
    pub status: OutageStatus,
    /// Raised by every reschedule: alerts of an older revision are stale when they fire.
    pub revision: u32,
    /// This revision's alerts.
    pub alerts: Vec<PlannedAlert>,
    /// Whether any citizen was told (an advance alert fired): only then do changes go out.
    pub announced: bool,
    /// The window before the last reschedule (what a correction says moved).
    pub previous_window: Option<Window>,
    /// The tenant's zone when planned: the times citizens read.
    pub time_zone: TimeZoneName,
    pub changes: Vec<OutageChange>,
    /// Asked for when it reached more recipients than the tenant's threshold.
    #[serde(default)]
    pub approval: Option<Approval>,
    /// Optimistic lock: every save must name the version it read.
    pub version: u32,
}

impl Outage {
    /// The one-time schedule of one alert: unique per outage, revision and label.
    pub fn schedule_name(&self, revision: u32, label: &str) -> String {
        format!("outage-{}-r{revision}-{label}", self.outage_id)
    }

    pub fn due(&self, alert: &PlannedAlert) -> OutageAlertDue {
        OutageAlertDue {
            tenant_id: self.tenant_id.clone(),
            outage_id: self.outage_id.clone(),
            revision: self.revision,
            stage: alert.stage,
            label: alert.label.clone(),
        }
    }
}

/// A citizen with no contract of their own (a flat behind a building's shared meter) who asked
/// to be told about outages at a contract's supply point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSubscription {
    pub tenant_id: TenantId,
    /// The contract whose supply point this is.
    pub contract_id: ContractId,
    pub subscriber_id: SubscriberId,
    pub name: Option<Text<200>>,
    pub mobile: Option<PhoneE164>,
    pub email: Option<Email>,
    pub language: Locale,
    pub subscribed_at: Timestamp,
}

impl AlertSubscription {
    /// One subscription per supply point and contact: subscribing twice changes nothing.
    pub fn derive_id(
        tenant_id: &TenantId,
        contract_id: &ContractId,
        mobile: Option<&PhoneE164>,
        email: Option<&Email>,
    ) -> SubscriberId {
        let digest = Sha256::new()
            .chain_update(tenant_id.as_str())
            .chain_update([0])
            .chain_update(contract_id.as_str())
            .chain_update([0])
            .chain_update(mobile.map_or("", PhoneE164::as_str))
            .chain_update([0])
            .chain_update(email.map_or(String::new(), |e| e.as_str().to_lowercase()))
            .finalize();
        SubscriberId::parse(&format!("s-{}", &hex::encode(digest)[..20])).expect("hex is a valid subscriber id")
    }

    /// The subscriber as the channel chooser sees a customer: service messages only, by SMS then
    /// email (they asked for exactly these alerts).
    pub fn as_profile(&self) -> crate::account::CustomerProfile {
        crate::account::CustomerProfile {
            tenant_id: self.tenant_id.clone(),
            customer_id: CustomerId::parse(self.subscriber_id.as_str()).expect("subscriber ids are valid customer ids"),
            // Outage alerts greet no one by name; the profile needs one.
            name: self.name.clone().unwrap_or_else(|| Text::parse("subscriber").expect("a short name fits")),
            language: Some(self.language),
            email: self.email.clone(),
            mobile: self.mobile.clone(),
            channels: vec![Channel::Sms, Channel::Email],
            consents: crate::billing::Consents { service: true, marketing: false },
            e_invoice: false,
            as_of: self.subscribed_at,
        }
    }
}

/// How a tenant announces planned outages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSettings {
    /// Hours before the start at which citizens are alerted (48 and 2 by default).
    #[serde(default = "default_alert_hours")]
    pub alert_hours_before: Vec<u32>,
    /// Told of every alert, with the outage and how many were notified.
    #[serde(default)]
    pub call_centre_email: Option<Email>,
    /// What one SMS part costs the tenant, for the dry run's estimate.
    #[serde(default)]
    pub sms_part_price: Option<Money>,
    /// Where the console's outage map opens: the middle of the tenant's network.
    #[serde(default)]
    pub map_center: Option<MapCenter>,
    /// Hours before the start at which priority supply points (hospitals, care homes, medically
    /// dependent households) are alerted, ahead of everyone (e.g. 96 and 72); they hear the
    /// ordinary alerts too. Empty: they are alerted with everyone.
    #[serde(default)]
    pub priority_alert_hours_before: Vec<u32>,
    /// An outage reaching more recipients than this waits for a second planner's approval
    /// before its alerts are scheduled. Absent: the planner who confirms it is enough.
    #[serde(default)]
    pub approval_threshold: Option<u32>,
}

/// Where a map opens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MapCenter(pub crate::billing::Coordinates);

// Coordinates are checked in range when read (never NaN): equality is total.
impl Eq for MapCenter {}

impl Default for OutageSettings {
    fn default() -> Self {
        Self {
            alert_hours_before: default_alert_hours(),
            call_centre_email: None,
            sms_part_price: None,
            map_center: None,
            priority_alert_hours_before: Vec::new(),
            approval_threshold: None,
        }
    }
}

fn default_alert_hours() -> Vec<u32> {
    vec![48, 2]
}

#[cfg(test)]
mod tests;
