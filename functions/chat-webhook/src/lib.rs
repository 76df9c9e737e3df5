//! chat-webhook: the WhatsApp Cloud API webhook
//!
//! Not built yet: the WhatsApp webhook is not served yet (see the chat line issue).

/// What this function will do, as its "not implemented yet" answer says.
pub const PENDING: &str = "the WhatsApp webhook is not served yet (see the chat line issue)";
