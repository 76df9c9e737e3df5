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
    fn digests_are_stable_and_never_the_token() {
        let digest = token_digest("avisa_op_0123");
        assert_eq!(digest, token_digest("avisa_op_0123"));
        assert_ne!(digest, token_digest("avisa_op_0124"));
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("avisa"));
    }
}
