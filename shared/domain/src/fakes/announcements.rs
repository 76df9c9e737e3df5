//! In-memory announcements.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::announcements::{Announcement, AnnouncementStore};
use crate::ids::AnnouncementId;

#[derive(Debug, Default)]
pub struct InMemoryAnnouncements {
    announcements: Mutex<HashMap<(TenantId, AnnouncementId), Announcement>>,
    /// How many times an announcement was read.
    reads: Mutex<usize>,
}

impl InMemoryAnnouncements {
    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }
}

#[async_trait]
impl AnnouncementStore for InMemoryAnnouncements {
    async fn create(&self, announcement: &Announcement) -> Result<bool, PortError> {
        let key = (announcement.tenant_id.clone(), announcement.announcement_id.clone());
        let mut announcements = self.announcements.lock().unwrap();
        if announcements.contains_key(&key) {
            return Ok(false);
        }
        announcements.insert(key, announcement.clone());
        Ok(true)
    }

    async fn announcement(
        &self,
        tenant_id: &TenantId,
        announcement_id: &AnnouncementId,
    ) -> Result<Option<Announcement>, PortError> {
        *self.reads.lock().unwrap() += 1;
        Ok(self.announcements.lock().unwrap().get(&(tenant_id.clone(), announcement_id.clone())).cloned())
    }
}
