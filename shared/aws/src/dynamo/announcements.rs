use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::announcements::{Announcement, AnnouncementStore};
use avisa_domain::ids::{AnnouncementId, TenantId};

use super::{DynamoStore, to_item};

fn announcement_pk(tenant_id: &TenantId, announcement_id: &AnnouncementId) -> String {
    format!("T#{tenant_id}#ANNOUNCEMENT#{announcement_id}")
}

#[async_trait]
impl AnnouncementStore for DynamoStore {
    async fn create(&self, announcement: &Announcement) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(announcement)";
        let keys = [
            ("pk", announcement_pk(&announcement.tenant_id, &announcement.announcement_id)),
            ("sk", "META".to_owned()),
        ];
        self.put_new(OPERATION, to_item(OPERATION, announcement, &keys)?).await
    }

    async fn announcement(
        &self,
        tenant_id: &TenantId,
        announcement_id: &AnnouncementId,
    ) -> Result<Option<Announcement>, PortError> {
        self.get("dynamodb.GetItem(announcement)", &announcement_pk(tenant_id, announcement_id), "META").await
    }
}
