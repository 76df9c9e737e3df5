use std::collections::HashMap;

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::notice::Destination;
use avisa_domain::ports::Suppressions;
use jiff::Timestamp;

use super::{DynamoStore, s};
use crate::error::classify;

/// Suppressed addresses are keyed by their fingerprint: no address appears in a key.
fn keys(tenant_id: &TenantId, destination: &Destination) -> (String, String) {
    (format!("T#{tenant_id}#SUPPRESSED"), format!("{}#{}", destination.channel().as_str(), destination.fingerprint()))
}

#[async_trait]
impl Suppressions for DynamoStore {
    async fn is_suppressed(&self, tenant_id: &TenantId, destination: &Destination) -> Result<bool, PortError> {
        #[derive(serde::Deserialize)]
        struct Suppressed {}
        let (pk, sk) = keys(tenant_id, destination);
        Ok(self.get::<Suppressed>("dynamodb.GetItem(suppression)", &pk, &sk).await?.is_some())
    }

    async fn suppressed_among(
        &self,
        tenant_id: &TenantId,
        destinations: &[Destination],
    ) -> Result<Vec<Destination>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(suppressions)";
        let by_key: HashMap<(String, String), &Destination> =
            destinations.iter().map(|d| (keys(tenant_id, d), d)).collect();
        let found = self.batch_get(OPERATION, by_key.keys().cloned().collect()).await?;
        Ok(found
            .iter()
            .filter_map(|item| {
                let key = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                by_key.get(&(key("pk")?, key("sk")?)).map(|d| (*d).clone())
            })
            .collect())
    }

    async fn suppress(
        &self,
        tenant_id: &TenantId,
        destination: &Destination,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(suppression)";
        let (pk, sk) = keys(tenant_id, destination);
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(pk))
            .item("sk", s(sk))
            .item("channel", s(destination.channel().as_str()))
            .item("reason", s(reason))
            .item("at", s(at.to_string()))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        Ok(())
    }
}
