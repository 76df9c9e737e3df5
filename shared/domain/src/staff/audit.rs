use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::PortError;
use crate::ids::TenantId;

/// One thing a member of staff did: who, what, to what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub tenant_id: TenantId,
    pub at: Timestamp,
    /// The member's username.
    pub actor: String,
    /// `signed_in`, `took`, `replied`, `resolved`…
    pub action: String,
    /// What it was done to, without personal data (a conversation by its digest).
    pub subject: String,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, entry: &AuditEntry) -> Result<(), PortError>;
    /// Newest first.
    async fn recent(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<AuditEntry>, PortError>;
}
