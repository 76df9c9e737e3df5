//! The copies of the tenants' information feeds (`T#{tenant}#FEED#{item}`), and the tenants that
//! have feeds (their settings items, listed in gsi3 under `FEEDS`).

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::chat::feeds::{FeedCopies, FeedCopy};
use avisa_domain::ids::TenantId;
use avisa_domain::tenant::TenantSettings;

use super::tenants::{FEEDS_LIST, Stored};
use super::{DynamoStore, from_item, s, to_item};

fn feed_pk(tenant_id: &TenantId, item_id: &str) -> String {
    format!("T#{tenant_id}#FEED#{item_id}")
}

#[async_trait]
impl FeedCopies for DynamoStore {
    async fn copy(&self, tenant_id: &TenantId, item_id: &str) -> Result<Option<FeedCopy>, PortError> {
        self.get("dynamodb.GetItem(feed copy)", &feed_pk(tenant_id, item_id), "COPY").await
    }

    async fn keep(&self, tenant_id: &TenantId, item_id: &str, copy: &FeedCopy) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(feed copy)";
        let item = to_item(OPERATION, copy, &[("pk", feed_pk(tenant_id, item_id)), ("sk", "COPY".to_owned())])?;
        self.put(OPERATION, item).await
    }

    async fn tenants_with_feeds(&self) -> Result<Vec<(TenantId, TenantSettings)>, PortError> {
        const OPERATION: &str = "dynamodb.Query(tenants with feeds)";
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk")
            .expression_attribute_values(":pk", s(FEEDS_LIST));
        let mut tenants = Vec::new();
        for item in Self::query_all(OPERATION, query).await? {
            let tenant = item.get("gsi3sk").and_then(|v| v.as_s().ok()).and_then(|t| TenantId::parse(t).ok());
            let Some(tenant_id) = tenant else { continue };
            let Stored { settings } = from_item(OPERATION, item)?;
            tenants.push((tenant_id, settings));
        }
        Ok(tenants)
    }
}
