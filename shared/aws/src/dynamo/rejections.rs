use async_trait::async_trait;
use avisa_domain::error::RejectionCode;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::{RejectedMessage, RejectionLog};
use avisa_domain::{PortError, Rejection};
use jiff::{SignedDuration, Timestamp};

use super::{DynamoStore, Item, n, s};
use crate::error::classify;

/// Rejected messages are kept for three months for upstream to inspect.
const RETENTION: SignedDuration = SignedDuration::from_hours(90 * 24);

/// The partition of a tenant's rejections; messages whose tenant could not be read go to `unknown`.
fn rejections_pk(tenant: Option<&TenantId>) -> String {
    format!("T#{}#REJECTED", tenant.map_or("unknown", TenantId::as_str))
}

#[async_trait]
impl RejectionLog for DynamoStore {
    async fn record(&self, rejected: &RejectedMessage) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(rejection)";
        // The tenant id of a rejected message is unparsed input: only a valid one goes in a key.
        let tenant = rejected.tenant_id.as_deref().and_then(|t| TenantId::parse(t).ok());
        let code = serde_json::to_value(rejected.rejection.code).map_err(|e| PortError::permanent(OPERATION, e))?;
        let expires = rejected.at.checked_add(RETENTION).map_err(|e| PortError::permanent(OPERATION, e))?;
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(rejections_pk(tenant.as_ref())))
            .item("sk", s(format!("{}#{}", rejected.at, rejected.message_id)))
            .item("source", s(&rejected.source))
            .item("message_id", s(&rejected.message_id))
            .item("rejection_code", s(code.as_str().unwrap_or_default()))
            .item("rejection_detail", s(&rejected.rejection.detail))
            .item("at", s(rejected.at.to_string()))
            .item("expires_at", n(expires.as_second()));
        if let Some(tenant) = &tenant {
            put = put.item("tenant_id", s(tenant.as_str()));
        }
        if let Some(event_id) = &rejected.event_id {
            put = put.item("event_id", s(event_id.chars().take(128).collect::<String>()));
        }
        put.send().await.map_err(|e| classify(OPERATION, e))?;
        Ok(())
    }

    async fn list(&self, tenant_id: Option<&TenantId>, limit: usize) -> Result<Vec<RejectedMessage>, PortError> {
        const OPERATION: &str = "dynamodb.Query(rejections)";
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(rejections_pk(tenant_id)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        Ok(output.items.unwrap_or_default().iter().map(rejected_message).collect())
    }
}

fn rejected_message(item: &Item) -> RejectedMessage {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let code = text("rejection_code")
        .and_then(|code| serde_json::from_value::<RejectionCode>(serde_json::Value::String(code)).ok())
        .unwrap_or(RejectionCode::InvalidField);
    RejectedMessage {
        source: text("source").unwrap_or_default(),
        message_id: text("message_id").unwrap_or_default(),
        tenant_id: text("tenant_id"),
        event_id: text("event_id"),
        rejection: Rejection::new(code, text("rejection_detail").unwrap_or_default()),
        at: text("at").and_then(|at| at.parse::<Timestamp>().ok()).unwrap_or_default(),
    }
}
