use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;
use avisa_domain::tenant::TenantSettings;

use super::{DynamoStore, to_item};

fn tenant_pk(tenant_id: &TenantId) -> String {
    format!("TENANT#{tenant_id}")
}

/// The settings sit in one map attribute: they refuse unknown fields, the item has its keys.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    settings: TenantSettings,
}

#[async_trait]
impl TenantDirectory for DynamoStore {
    async fn settings(&self, tenant_id: &TenantId) -> Result<Option<TenantSettings>, PortError> {
        let stored: Option<Stored> = self.get("dynamodb.GetItem(tenant)", &tenant_pk(tenant_id), "CONFIG").await?;
        Ok(stored.map(|s| s.settings))
    }

    async fn put_settings(&self, tenant_id: &TenantId, settings: &TenantSettings) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(tenant)";
        let stored = Stored { settings: settings.clone() };
        let item = to_item(OPERATION, &stored, &[("pk", tenant_pk(tenant_id)), ("sk", "CONFIG".to_owned())])?;
        self.put(OPERATION, item).await
    }
}
