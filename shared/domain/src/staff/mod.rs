//! Staff who work in the console: who they are (their tenant, name and roles, as the sign-in
//! service vouches for them), what each role may open, their sessions, and the audit log of what
//! they did.

mod audit;
mod canned;
pub mod citizen;
mod directory;
mod roles;
mod session;

pub use audit::{AuditEntry, AuditLog};
pub use canned::{CannedReplies, CannedReply, PLACEHOLDERS};
pub use directory::{Invitation, Membership, StaffAccount, StaffDirectory, temporary_password};
pub use roles::{Area, Role, StaffMember, TEAM_GROUP_PREFIX};
pub use session::{SESSION_HOURS, Session, SessionStore, SignInRefusal, SignInStep, SignedIn, StaffSignIn};
