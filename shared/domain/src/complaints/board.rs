//! The complaints board staff work from: what is late first, and for each complaint only the
//! steps that apply now.

use jiff::Timestamp;

use super::{Complaint, ComplaintState};

impl ComplaintState {
    /// The actions that apply in this state (each [`super::transition`] accepts), in the order a
    /// form offers them.
    pub fn actions(&self) -> &'static [&'static str] {
        match self {
            Self::Filed => &["schedule_inspection"],
            Self::InspectionScheduled { .. } => &["record_inspection", "schedule_inspection"],
            Self::Inspected { .. } => &["propose_conciliation"],
            Self::ConciliationProposed { .. } => &["accept_conciliation", "reject_conciliation"],
            Self::ConciliationRejected => &["resolve"],
            Self::Resolved { .. } => &["request_reconsideration", "appeal", "close"],
            Self::ReconsiderationRequested => &["reconsider"],
            Self::Reconsidered { .. } => &["appeal", "close"],
            Self::Appealed => &["close"],
            Self::Closed { .. } => &[],
        }
    }
}

impl Complaint {
    /// Whether its step's deadline has passed.
    pub fn overdue(&self, now: Timestamp) -> bool {
        !matches!(self.state, ComplaintState::Closed { .. }) && self.deadline.is_some_and(|due| due < now)
    }
}

/// A tenant's complaints as the board shows them.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// Overdue first, then by due date (those with none last), then oldest filed.
    pub open: Vec<Complaint>,
    /// Newest closed first.
    pub closed: Vec<Complaint>,
}

impl Board {
    pub fn of(complaints: Vec<Complaint>, now: Timestamp) -> Self {
        let (mut closed, mut open): (Vec<_>, Vec<_>) =
            complaints.into_iter().partition(|c| matches!(c.state, ComplaintState::Closed { .. }));
        open.sort_by_key(|c| (!c.overdue(now), c.deadline.is_none(), c.deadline, c.filed_at));
        closed.sort_by_key(|c| std::cmp::Reverse(c.steps.last().map_or(c.filed_at, |s| s.at)));
        Self { open, closed }
    }
}
