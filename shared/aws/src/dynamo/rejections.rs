use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::{RejectedMessage, RejectionLog};
use jiff::SignedDuration;

use super::{DynamoStore, n, s};
use crate::error::classify;

/// Rejected messages are kept for three months for upstream to inspect.
const RETENTION: SignedDuration = SignedDuration::from_hours(90 * 24);

#[async_trait]
impl RejectionLog for DynamoStore {
    async fn record(&self, rejected: &RejectedMessage) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(rejection)";
        // The tenant id of a rejected message is unparsed input: only a valid one goes in a key.
        let tenant = rejected.tenant_id.as_deref().and_then(|t| TenantId::parse(t).ok());
        let tenant = tenant.as_ref().map_or("unknown", TenantId::as_str);
        let code = serde_json::to_value(rejected.rejection.code).map_err(|e| PortError::permanent(OPERATION, e))?;
        let expires = rejected.at.checked_add(RETENTION).map_err(|e| PortError::permanent(OPERATION, e))?;
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("T#{tenant}#REJECTED")))
            .item("sk", s(format!("{}#{}", rejected.at, rejected.message_id)))
            .item("source", s(rejected.source))
            .item("message_id", s(&rejected.message_id))
            .item("rejection_code", s(code.as_str().unwrap_or_default()))
            .item("rejection_detail", s(&rejected.rejection.detail))
            .item("at", s(rejected.at.to_string()))
            .item("expires_at", n(expires.as_second()));
        if let Some(event_id) = &rejected.event_id {
            put = put.item("event_id", s(event_id.chars().take(128).collect::<String>()));
        }
        put.send().await.map_err(|e| classify(OPERATION, e))?;
        Ok(())
    }
}
