use async_trait::async_trait;

use super::Announcement;
use crate::PortError;
use crate::ids::{AnnouncementId, TenantId};

/// Announcements as first submitted.
#[async_trait]
pub trait AnnouncementStore: Send + Sync {
    /// Records a new announcement; `false` when one with its id exists (left as it was).
    async fn create(&self, announcement: &Announcement) -> Result<bool, PortError>;
    async fn announcement(
        &self,
        tenant_id: &TenantId,
        announcement_id: &AnnouncementId,
    ) -> Result<Option<Announcement>, PortError>;
}
