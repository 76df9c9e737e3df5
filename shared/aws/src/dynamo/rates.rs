use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::channel::Channel;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::RateLimiter;
use jiff::Timestamp;

use super::{DynamoStore, n, s};
use crate::error::{classify, is_condition_failure};

/// A second's budget item lives a minute (TTL), long enough for every invocation of that second.
const BUDGET_TTL_SECONDS: i64 = 60;

/// One counter per tenant, channel and second, shared by every concurrent dispatcher.
#[async_trait]
impl RateLimiter for DynamoStore {
    async fn take(
        &self,
        tenant_id: &TenantId,
        channel: Channel,
        units: u32,
        per_second: u32,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(rate)";
        if units > per_second {
            return Ok(false);
        }
        let second = now.as_second();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("T#{tenant_id}#RATE#{}", channel.as_str())))
            .key("sk", s(second.to_string()))
            .update_expression("ADD used :units SET expires_at = :expires")
            .condition_expression("attribute_not_exists(used) OR used <= :room")
            .expression_attribute_values(":units", n(i64::from(units)))
            .expression_attribute_values(":room", n(i64::from(per_second - units)))
            .expression_attribute_values(":expires", n(second + BUDGET_TTL_SECONDS))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(classify(OPERATION, e)),
        }
    }
}
