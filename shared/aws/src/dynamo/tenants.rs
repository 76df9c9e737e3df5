use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;
use avisa_domain::tenant::TenantSettings;

use super::{DynamoStore, to_item};

/// The gsi3 list of the tenants with information feeds.
pub(super) const FEEDS_LIST: &str = "FEEDS";

pub(super) fn tenant_pk(tenant_id: &TenantId) -> String {
    format!("TENANT#{tenant_id}")
}

fn number_pk(phone_number_id: &str) -> String {
    format!("WANUMBER#{phone_number_id}")
}

/// Which tenant a WhatsApp Business number belongs to.
#[derive(serde::Serialize, serde::Deserialize)]
struct NumberOwner {
    tenant_id: TenantId,
}

/// The settings sit in one map attribute: they refuse unknown fields, the item has its keys.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Stored {
    pub(super) settings: TenantSettings,
}

#[async_trait]
impl TenantDirectory for DynamoStore {
    async fn settings(&self, tenant_id: &TenantId) -> Result<Option<TenantSettings>, PortError> {
        const OPERATION: &str = "dynamodb.GetItem(tenant)";
        if let Some(settings) = self.recent.settings.get(tenant_id.as_str()) {
            return Ok(settings);
        }
        let stored: Option<Stored> = self.get(OPERATION, &tenant_pk(tenant_id), "CONFIG").await?;
        let Some(Stored { settings }) = stored else {
            self.recent.settings.put(tenant_id.as_str(), None);
            return Ok(None);
        };
        // Stored by hand, perhaps: unusable settings are the deployment's to fix, not a reason to
        // guess; the messages wait (and are dead-lettered with this reason) until they are.
        settings.check().map_err(|reason| {
            PortError::misconfigured(
                OPERATION,
                std::io::Error::other(format!("tenant {tenant_id}'s settings: {reason}")),
            )
        })?;
        self.recent.settings.put(tenant_id.as_str(), Some(settings.clone()));
        Ok(Some(settings))
    }

    async fn put_settings(&self, tenant_id: &TenantId, settings: &TenantSettings) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(tenant)";
        settings.check().map_err(|reason| PortError::permanent(OPERATION, std::io::Error::other(reason)))?;
        let stored = Stored { settings: settings.clone() };
        let mut keys = vec![("pk", tenant_pk(tenant_id)), ("sk", "CONFIG".to_owned())];
        // A tenant with information feeds is listed for the feeds' refresh.
        let information = settings.chat.iter().flat_map(|chat| &chat.information);
        if information.into_iter().any(|item| item.feed.is_some()) {
            keys.extend([("gsi3pk", FEEDS_LIST.to_owned()), ("gsi3sk", tenant_id.to_string())]);
        }
        let item = to_item(OPERATION, &stored, &keys)?;
        self.put(OPERATION, item).await?;
        self.recent.settings.forget(tenant_id.as_str());
        // Inbound WhatsApp messages name the business number, not the tenant.
        if let Some(whatsapp) = &settings.whatsapp {
            let number = NumberOwner { tenant_id: tenant_id.clone() };
            let keys = [("pk", number_pk(&whatsapp.phone_number_id)), ("sk", "TENANT".to_owned())];
            self.put("dynamodb.PutItem(whatsapp number)", to_item(OPERATION, &number, &keys)?).await?;
        }
        Ok(())
    }

    async fn tenant_by_whatsapp_number(&self, phone_number_id: &str) -> Result<Option<TenantId>, PortError> {
        let owner: Option<NumberOwner> =
            self.get("dynamodb.GetItem(whatsapp number)", &number_pk(phone_number_id), "TENANT").await?;
        Ok(owner.map(|o| o.tenant_id))
    }
}
