use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::notice::Notice;
use avisa_domain::ports::NoticeStore;

use super::{DynamoStore, to_item};

fn notice_pk(tenant_id: &TenantId, notice_id: &NoticeId) -> String {
    format!("T#{tenant_id}#NOTICE#{notice_id}")
}

#[async_trait]
impl NoticeStore for DynamoStore {
    async fn create(&self, notice: &Notice) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(notice)";
        let keys = [
            ("pk", notice_pk(&notice.tenant_id, &notice.notice_id)),
            ("sk", "NOTICE".to_owned()),
            ("gsi3pk", format!("T#{}#CONTRACT#{}#NOTICES", notice.tenant_id, notice.contract_id)),
            ("gsi3sk", format!("{}#{}", notice.created_at, notice.notice_id)),
        ];
        self.put_new(OPERATION, to_item(OPERATION, notice, &keys)?).await
    }

    async fn notice(&self, tenant_id: &TenantId, notice_id: &NoticeId) -> Result<Option<Notice>, PortError> {
        self.get("dynamodb.GetItem(notice)", &notice_pk(tenant_id, notice_id), "NOTICE").await
    }
}
