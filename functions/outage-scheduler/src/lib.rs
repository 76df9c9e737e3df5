//! outage-scheduler: the operator API for planned outages
//!
//! Not built yet: planned outages cannot be scheduled yet (see the planned outage alerts issue).

/// What this function will do, as its "not implemented yet" answer says.
pub const PENDING: &str = "planned outages cannot be scheduled yet (see the planned outage alerts issue)";
