//! Billing complaints, as a water regulator's procedure runs them: filed → inspection scheduled →
//! inspected (leak / no leak / meter fault) → conciliation proposed (accepted, or not) →
//! first-instance resolution (upheld / partly upheld / rejected, with the corrected amount) →
//! reconsideration → appeal to the regulator → closed. Each step is recorded with who and when,
//! has a deadline from the tenant's settings, and tells the citizen through the composer; a
//! resolution that corrects the amount updates the contract's account.

mod board;
mod desk;
pub mod ports;
mod recipients;

pub use board::Board;
pub use desk::{ComplaintDesk, ComplaintReminders, FileComplaint, Reminded};
pub use recipients::ComplaintRecipients;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contact::Email;
use crate::ids::{ContractId, InvoiceNumber, TenantId};
use crate::money::Money;
use crate::text::Text;

/// What the inspection found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    LeakFound,
    NoLeak,
    MeterFault,
}

/// A resolution's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Upheld,
    PartlyUpheld,
    Rejected,
}

/// How a complaint accepted in conciliation is closed: a code the templates say in words.
pub const CONCILIATED: &str = "conciliated";

/// Where a complaint stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ComplaintState {
    Filed,
    /// The citizen is told when.
    InspectionScheduled {
        at: Text<100>,
    },
    Inspected {
        finding: Finding,
    },
    /// The citizen accepts it or not (by the deadline).
    ConciliationProposed {
        proposal: Text<500>,
        corrected_amount: Option<Money>,
    },
    /// Not accepted: staff resolve in first instance.
    ConciliationRejected,
    Resolved {
        outcome: Outcome,
        corrected_amount: Option<Money>,
    },
    ReconsiderationRequested,
    Reconsidered {
        outcome: Outcome,
        corrected_amount: Option<Money>,
    },
    /// With the regulator.
    Appealed,
    Closed {
        how: Text<200>,
    },
}

impl ComplaintState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Filed => "filed",
            Self::InspectionScheduled { .. } => "inspection_scheduled",
            Self::Inspected { .. } => "inspected",
            Self::ConciliationProposed { .. } => "conciliation_proposed",
            Self::ConciliationRejected => "conciliation_rejected",
            Self::Resolved { .. } => "resolved",
            Self::ReconsiderationRequested => "reconsideration_requested",
            Self::Reconsidered { .. } => "reconsidered",
            Self::Appealed => "appealed",
            Self::Closed { .. } => "closed",
        }
    }

    /// Whose move it is until the deadline: staff are reminded of theirs.
    pub fn staff_to_act(&self) -> bool {
        matches!(
            self,
            Self::Filed
                | Self::InspectionScheduled { .. }
                | Self::Inspected { .. }
                | Self::ConciliationRejected
                | Self::ReconsiderationRequested
        )
    }
}

/// What staff (or the citizen, through staff) do to a complaint: `POST /complaints/{ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    ScheduleInspection {
        at: Text<100>,
    },
    RecordInspection {
        finding: Finding,
        #[serde(default)]
        notes: Option<Text<1000>>,
    },
    ProposeConciliation {
        proposal: Text<500>,
        #[serde(default)]
        corrected_amount: Option<Money>,
    },
    AcceptConciliation,
    RejectConciliation,
    Resolve {
        outcome: Outcome,
        #[serde(default)]
        corrected_amount: Option<Money>,
    },
    RequestReconsideration,
    Reconsider {
        outcome: Outcome,
        #[serde(default)]
        corrected_amount: Option<Money>,
    },
    Appeal,
    Close {
        how: Text<200>,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ScheduleInspection { .. } => "schedule_inspection",
            Self::RecordInspection { .. } => "record_inspection",
            Self::ProposeConciliation { .. } => "propose_conciliation",
            Self::AcceptConciliation => "accept_conciliation",
            Self::RejectConciliation => "reject_conciliation",
            Self::Resolve { .. } => "resolve",
            Self::RequestReconsideration => "request_reconsideration",
            Self::Reconsider { .. } => "reconsider",
            Self::Appeal => "appeal",
            Self::Close { .. } => "close",
        }
    }
}

/// The next state, or why this action does not apply now.
pub fn transition(state: &ComplaintState, action: &Action) -> Result<ComplaintState, String> {
    use ComplaintState as S;
    let amount_fits = |outcome: Outcome, amount: &Option<Money>| match (outcome, amount) {
        (Outcome::Rejected, Some(_)) => Err("a rejected complaint corrects no amount".to_owned()),
        (Outcome::Upheld | Outcome::PartlyUpheld, None) => {
            Err("an upheld complaint says the corrected amount (corrected_amount)".to_owned())
        }
        _ => Ok(()),
    };
    match (state, action) {
        (S::Filed | S::InspectionScheduled { .. }, Action::ScheduleInspection { at }) => {
            Ok(S::InspectionScheduled { at: at.clone() })
        }
        (S::InspectionScheduled { .. }, Action::RecordInspection { finding, .. }) => {
            Ok(S::Inspected { finding: *finding })
        }
        (S::Inspected { .. }, Action::ProposeConciliation { proposal, corrected_amount }) => {
            Ok(S::ConciliationProposed { proposal: proposal.clone(), corrected_amount: corrected_amount.clone() })
        }
        (S::ConciliationProposed { .. }, Action::AcceptConciliation) => {
            Ok(S::Closed { how: Text::parse(CONCILIATED).expect("a short text") })
        }
        (S::ConciliationProposed { .. }, Action::RejectConciliation) => Ok(S::ConciliationRejected),
        (S::ConciliationRejected, Action::Resolve { outcome, corrected_amount }) => {
            amount_fits(*outcome, corrected_amount)?;
            Ok(S::Resolved { outcome: *outcome, corrected_amount: corrected_amount.clone() })
        }
        (S::Resolved { .. }, Action::RequestReconsideration) => Ok(S::ReconsiderationRequested),
        (S::ReconsiderationRequested, Action::Reconsider { outcome, corrected_amount }) => {
            amount_fits(*outcome, corrected_amount)?;
            Ok(S::Reconsidered { outcome: *outcome, corrected_amount: corrected_amount.clone() })
        }
        (S::Resolved { .. } | S::Reconsidered { .. }, Action::Appeal) => Ok(S::Appealed),
        (S::Resolved { .. } | S::Reconsidered { .. } | S::Appealed, Action::Close { how }) => {
            Ok(S::Closed { how: how.clone() })
        }
        (state, action) => Err(format!("a complaint that is {} cannot {}", state.name(), action.name())),
    }
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintStep {
    pub at: Timestamp,
    pub by: String,
    pub action: String,
    pub to: String,
    pub notes: Option<Text<1000>>,
    /// Where the step left the complaint (absent on steps recorded before it was kept).
    #[serde(default)]
    pub became: Option<StepResult>,
}

/// Where a step left a complaint: what that step's notice tells the citizen, even when it is
/// composed after a later step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub state: ComplaintState,
    pub deadline: Option<Timestamp>,
    pub corrected_amount: Option<Money>,
}

/// A billing complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub tenant_id: TenantId,
    /// `CLM-…`, what the citizen is told.
    pub reference: String,
    pub contract_id: ContractId,
    pub invoice_number: InvoiceNumber,
    pub reason: Text<1000>,
    /// `chat` or `operator`.
    pub filed_via: String,
    pub state: ComplaintState,
    pub filed_at: Timestamp,
    /// When the current step is due (by staff, or by the citizen).
    pub deadline: Option<Timestamp>,
    pub steps: Vec<ComplaintStep>,
    /// The amount due now, if a step corrected it.
    pub corrected_amount: Option<Money>,
    pub version: u32,
}

impl Complaint {
    /// The complaint as its `step`th step (from 1) left it.
    #[must_use]
    pub fn as_of_step(&self, step: usize) -> Complaint {
        let mut then = self.clone();
        if let Some(became) = step.checked_sub(1).and_then(|i| self.steps.get(i)).and_then(|s| s.became.clone()) {
            then.steps.truncate(step);
            then.state = became.state;
            then.deadline = became.deadline;
            then.corrected_amount = became.corrected_amount;
        }
        then
    }

    /// The same invoice disputed with the same words on the same day is one complaint.
    pub fn derive_reference(tenant_id: &TenantId, invoice: &InvoiceNumber, reason: &str, at: Timestamp) -> String {
        let digest = Sha256::new()
            .chain_update(tenant_id.as_str())
            .chain_update([0])
            .chain_update(invoice.as_str())
            .chain_update([0])
            .chain_update(reason)
            .chain_update([0])
            .chain_update(at.strftime("%F").to_string())
            .finalize();
        format!("CLM-{}-{}", at.strftime("%y%m"), hex::encode_upper(&digest[..3]))
    }
}

/// Days each step may take, and who hears of one about to be late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintSettings {
    #[serde(default = "days_10")]
    pub inspection_days: u16,
    #[serde(default = "days_15")]
    pub conciliation_days: u16,
    #[serde(default = "days_30")]
    pub resolution_days: u16,
    #[serde(default = "days_15")]
    pub reconsideration_days: u16,
    #[serde(default = "days_15")]
    pub appeal_days: u16,
    /// Staff are reminded this many days before one of their steps is due.
    #[serde(default = "days_2")]
    pub remind_days_before: u16,
    #[serde(default)]
    pub staff_email: Option<Email>,
}

fn days_2() -> u16 {
    2
}
fn days_10() -> u16 {
    10
}
fn days_15() -> u16 {
    15
}
fn days_30() -> u16 {
    30
}

impl Default for ComplaintSettings {
    fn default() -> Self {
        Self {
            inspection_days: days_10(),
            conciliation_days: days_15(),
            resolution_days: days_30(),
            reconsideration_days: days_15(),
            appeal_days: days_15(),
            remind_days_before: days_2(),
            staff_email: None,
        }
    }
}

impl ComplaintSettings {
    /// How long the step that starts in `state` may take; `None` when nobody here is waited for.
    pub fn days_for(&self, state: &ComplaintState) -> Option<u16> {
        use ComplaintState as S;
        match state {
            S::Filed | S::InspectionScheduled { .. } => Some(self.inspection_days),
            S::Inspected { .. } | S::ConciliationProposed { .. } => Some(self.conciliation_days),
            S::ConciliationRejected | S::ReconsiderationRequested => Some(self.resolution_days),
            S::Resolved { .. } => Some(self.reconsideration_days),
            S::Reconsidered { .. } => Some(self.appeal_days),
            S::Appealed | S::Closed { .. } => None,
        }
    }
}

/// What a complaint's templates get: where it stands, in the tenant's local dates.
pub fn template_values(complaint: &Complaint, zone: &crate::clock::TimeZoneName) -> serde_json::Value {
    let local_date = |at: Timestamp| at.to_zoned(zone.zone()).date();
    let mut values = serde_json::json!({
        "reference": complaint.reference,
        "invoice_number": complaint.invoice_number,
        "step": complaint.state.name(),
        "filed_on": local_date(complaint.filed_at),
        "deadline": complaint.deadline.map(local_date),
        "corrected_amount": complaint.corrected_amount,
        "inspection_at": null,
        "finding": null,
        "proposal": null,
        "outcome": null,
        "how": null,
    });
    let state = serde_json::to_value(&complaint.state).unwrap_or_default();
    for key in ["at", "finding", "proposal", "outcome", "how"] {
        let name = if key == "at" { "inspection_at" } else { key };
        if let Some(value) = state.get(key) {
            values[name] = value.clone();
        }
    }
    if let Some(amount) = state.get("corrected_amount").filter(|v| !v.is_null()) {
        values["corrected_amount"] = amount.clone();
    }
    values
}

#[cfg(test)]
mod tests;
