//! delivery-feedback: SES delivery events in; delivery status and suppression list
//!
//! Not built yet: SES bounce, complaint and delivery events are not processed yet (see the dispatcher and delivery-feedback issue).

/// What this function will do, as its "not implemented yet" answer says.
pub const PENDING: &str =
    "SES bounce, complaint and delivery events are not processed yet (see the dispatcher and delivery-feedback issue)";
