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
