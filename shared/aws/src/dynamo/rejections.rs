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
        if let Some(body) = &rejected.body {
            put = put.item("body", s(body));
        }
        put.send().await.map_err(|e| classify(OPERATION, e))?;
        Ok(())
    }

    async fn between(
        &self,
        tenant_id: &TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RejectedMessage>, PortError> {
        // The sort key starts with the time as text, whose fractions do not sort as numbers within
        // one second: query a second wider on each side, then keep what is in range.
        let second = SignedDuration::from_secs(1);
        let (wide_from, wide_to) =
            (from.saturating_sub(second).unwrap_or(from), to.saturating_add(second).unwrap_or(to));
        let query = self
            .query()
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(rejections_pk(Some(tenant_id))))
            .expression_attribute_values(":from", s(wide_from.to_string()))
            .expression_attribute_values(":to", s(format!("{wide_to}~")));
        let items = Self::query_all("dynamodb.Query(rejections between)", query).await?;
        Ok(items.iter().map(rejected_message).filter(|r| (from..=to).contains(&r.at)).collect())
    }

    async fn mark_redriven(&self, rejected: &RejectedMessage, at: Timestamp) -> Result<(), PortError> {
        let tenant = rejected.tenant_id.as_deref().and_then(|t| TenantId::parse(t).ok());
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(rejections_pk(tenant.as_ref())))
            .key("sk", s(format!("{}#{}", rejected.at, rejected.message_id)))
            .update_expression("SET redriven_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await
            .map_err(|e| classify("dynamodb.UpdateItem(rejection redriven)", e))?;
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
        body: text("body"),
        redriven_at: text("redriven_at").and_then(|at| at.parse::<Timestamp>().ok()),
    }
}
