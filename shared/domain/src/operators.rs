//! Staff who use the operator APIs: each holds a bearer token that belongs to one tenant. Only a
//! digest of the token is stored, so a leaked table does not leak access.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::PortError;
use crate::ids::TenantId;
use crate::text::Text;

/// Who is calling, as their token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub tenant_id: TenantId,
    /// How changes are attributed (`maria.puig`, `cli:ops`).
    pub name: Text<100>,
    pub issued_at: Timestamp,
    /// After this the token opens nothing. A token stored before tokens expired has none, and
    /// counts as expired.
    #[serde(default = "expired")]
    pub valid_until: Timestamp,
    /// May also do what only a tenant's administrator may: erase a person.
    #[serde(default)]
    pub admin: bool,
}

fn expired() -> Timestamp {
    Timestamp::UNIX_EPOCH
}

/// How long a token is good for unless its issuer says otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// The longest a token may be issued for: a year (and a day, for a leap year).
pub const MAX_TOKEN_DAYS: i64 = 366;

impl Operator {
    /// An operator whose token is good from `now` for `days`.
    pub fn issued(tenant_id: TenantId, name: Text<100>, now: Timestamp, days: i64) -> Self {
        let valid_until = now.saturating_add(jiff::SignedDuration::from_hours(days.saturating_mul(24))).unwrap_or(now);
        Self { tenant_id, name, issued_at: now, valid_until, admin: false }
    }

    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        now < self.valid_until
    }
}

/// A token as its tenant's administrators see it: never the token, only the first characters of
/// its digest (its id), whose it is, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    pub id: String,
    #[serde(flatten)]
    pub operator: Operator,
}

/// The id a token is listed and revoked by.
pub fn token_id(token_digest: &str) -> String {
    token_digest.chars().take(12).collect()
}

/// The stored form of a token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[async_trait]
pub trait OperatorDirectory: Send + Sync {
    /// The operator a token digest belongs to.
    async fn operator(&self, token_digest: &str) -> Result<Option<Operator>, PortError>;
    async fn register(&self, token_digest: &str, operator: &Operator) -> Result<(), PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_nothing_after_it_expires_and_an_old_one_without_expiry_is_expired() {
        let now: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let operator = Operator::issued(TenantId::parse("t").unwrap(), Text::parse("jordi").unwrap(), now, 90);
        assert!(operator.is_valid_at(now));
        assert!(!operator.is_valid_at("2027-03-01T10:00:00Z".parse().unwrap()));
        let old: Operator =
            serde_json::from_str(r#"{"tenant_id":"t","name":"jordi","issued_at":"2026-01-01T00:00:00Z"}"#).unwrap();
        assert!(!old.is_valid_at(now));
    }

    #[test]
    fn digests_are_stable_and_never_the_token() {
        let digest = token_digest("avisa_op_0123");
        assert_eq!(digest, token_digest("avisa_op_0123"));
        assert_ne!(digest, token_digest("avisa_op_0124"));
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("avisa"));
    }
}
