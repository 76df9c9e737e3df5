use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::StaffMember;
use crate::PortError;

/// A session lasts a shift at most, and never longer than the sign-in that started it.
pub const SESSION_HOURS: i64 = 8;

/// A signed-in member of staff. Stored under a digest of its id, so a leaked table opens nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub member: StaffMember,
    /// Every form that changes something carries it back.
    pub csrf_token: String,
    pub started_at: Timestamp,
    /// After this it opens nothing (and the table lets it go).
    pub ends_at: Timestamp,
}

impl Session {
    /// A session from `now` until the sign-in expires, or [`SESSION_HOURS`] if sooner.
    pub fn start(signed_in: SignedIn, csrf_token: String, now: Timestamp) -> Self {
        let shift = now.saturating_add(SignedDuration::from_hours(SESSION_HOURS)).unwrap_or(now);
        Self { member: signed_in.member, csrf_token, started_at: now, ends_at: shift.min(signed_in.expires_at) }
    }

    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        now < self.ends_at
    }

    /// Whether a form's token is this session's, compared in constant time.
    pub fn accepts(&self, csrf_token: &str) -> bool {
        // Equal digests of equal length: no early exit reveals how much of a guess was right.
        let (expected, given) = (Sha256::digest(self.csrf_token.as_bytes()), Sha256::digest(csrf_token.as_bytes()));
        !self.csrf_token.is_empty() && expected.iter().zip(given.iter()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }

    /// The stored form of a session id.
    pub fn digest(id: &str) -> String {
        hex::encode(Sha256::digest(id.as_bytes()))
    }
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn start(&self, digest: &str, session: &Session) -> Result<(), PortError>;
    async fn session(&self, digest: &str) -> Result<Option<Session>, PortError>;
    async fn end(&self, digest: &str) -> Result<(), PortError>;
    /// Ends every session of a member (disabled by an administrator).
    async fn end_all(&self, tenant_id: &crate::ids::TenantId, username: &str) -> Result<usize, PortError>;
}

/// What the sign-in service vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub member: StaffMember,
    /// When its token expires.
    pub expires_at: Timestamp,
}

/// Why a sign-in was refused, in words for the person signing in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInRefusal {
    /// Unknown user or wrong password: the same answer for both, so names cannot be guessed.
    #[error("The username or password is not right.")]
    WrongCredentials,
    #[error("This account is disabled: ask your administrator.")]
    Disabled,
    /// Cognito wants the password reset (an administrator asked for it).
    #[error("This account's password must be reset: ask your administrator.")]
    ResetRequired,
    /// A first password Cognito's policy refuses, in its words.
    #[error("Choose another password: {0}")]
    WeakPassword(String),
    /// The first-sign-in form was left open too long (Cognito's challenge lasts minutes).
    #[error("This form has expired: sign in again with your temporary password.")]
    ChallengeExpired,
    /// Signed in, but not as a tenant's staff (no tenant, or no role).
    #[error("This account is not set up for the console: {0}. Ask your administrator.")]
    NotStaff(&'static str),
}

/// Where a sign-in got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    SignedIn(SignedIn),
    /// Invited with a temporary password: they choose their own before anything else.
    NewPassword {
        /// What the sign-in service needs back with the new password (valid for minutes).
        challenge: String,
    },
}

#[async_trait]
pub trait StaffSignIn: Send + Sync {
    /// The outer error is the service failing; the inner one, the person refused.
    async fn sign_in(&self, username: &str, password: &str) -> Result<Result<SignInStep, SignInRefusal>, PortError>;
    /// Sets an invited member's own password, answering [`SignInStep::NewPassword`].
    async fn first_password(
        &self,
        username: &str,
        challenge: &str,
        new_password: &str,
    ) -> Result<Result<SignedIn, SignInRefusal>, PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TenantId;
    use crate::text::Text;

    fn signed_in(expires_at: Timestamp) -> SignedIn {
        let member = StaffMember {
            tenant_id: TenantId::parse("aigues-reus").unwrap(),
            username: "jordi".into(),
            name: Text::parse("Jordi").unwrap(),
            roles: [super::super::Role::Agent].into(),
            teams: std::collections::BTreeSet::new(),
        };
        SignedIn { member, expires_at }
    }

    #[test]
    fn a_session_ends_with_its_sign_in_or_its_shift_whichever_is_sooner() {
        let now: Timestamp = "2026-12-02T08:00:00Z".parse().unwrap();
        let in_an_hour = now + SignedDuration::from_hours(1);
        assert_eq!(Session::start(signed_in(in_an_hour), "t".into(), now).ends_at, in_an_hour);
        let in_a_day = now + SignedDuration::from_hours(24);
        let session = Session::start(signed_in(in_a_day), "t".into(), now);
        assert_eq!(session.ends_at, now + SignedDuration::from_hours(SESSION_HOURS));
        assert!(session.is_valid_at(now));
        assert!(!session.is_valid_at(session.ends_at));
    }

    #[test]
    fn only_the_sessions_own_token_is_accepted() {
        let now: Timestamp = "2026-12-02T08:00:00Z".parse().unwrap();
        let session = Session::start(signed_in(now + SignedDuration::from_hours(1)), "s3cr3t".into(), now);
        assert!(session.accepts("s3cr3t"));
        assert!(!session.accepts("s3cr3"));
        assert!(!session.accepts(""));
        let empty = Session { csrf_token: String::new(), ..session };
        assert!(!empty.accepts(""), "a session without a token accepts nothing");
    }
}
