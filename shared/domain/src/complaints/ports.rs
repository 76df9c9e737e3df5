//! Billing complaints' port: the complaints, each with the version it was read at.

use async_trait::async_trait;

use super::Complaint;
use crate::PortError;
use crate::ids::TenantId;

/// Billing complaints.
#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// `false` when one with its reference exists (left as it was).
    async fn file(&self, complaint: &Complaint) -> Result<bool, PortError>;
    async fn complaint(&self, tenant_id: &TenantId, reference: &str) -> Result<Option<Complaint>, PortError>;
    /// Every complaint of the tenant, newest first.
    async fn complaints(&self, tenant_id: &TenantId) -> Result<Vec<Complaint>, PortError>;
    /// Saves over the version read; `false` when changed meanwhile.
    async fn update(&self, complaint: &Complaint) -> Result<bool, PortError>;
}
