//! Which tenants each upstream billing system may act for, by the queue it sends on.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::Upstreams;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{DynamoStore, s};
use crate::error::classify;

fn upstream_pk(source: &str) -> String {
    format!("UPSTREAM#{source}")
}

const SK: &str = "TENANTS";

#[async_trait]
impl Upstreams for DynamoStore {
    /// Read once a minute per container: a binding undone takes up to that long to apply.
    async fn tenants_of(&self, source: &str) -> Result<Vec<TenantId>, PortError> {
        const OPERATION: &str = "dynamodb.GetItem(upstream)";
        if let Some(tenants) = self.recent.upstreams.get(source) {
            return Ok(tenants);
        }
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(upstream_pk(source)))
            .key("sk", s(SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        let tenants = output.item.as_ref().and_then(|item| item.get("tenants")).and_then(|v| v.as_ss().ok());
        let tenants: Vec<TenantId> = tenants.into_iter().flatten().filter_map(|t| TenantId::parse(t).ok()).collect();
        self.recent.upstreams.put(source, tenants.clone());
        Ok(tenants)
    }
}

impl DynamoStore {
    /// Lets the upstream sending on `source` (a queue's ARN) act for `tenant`.
    pub async fn bind_upstream(&self, source: &str, tenant: &TenantId) -> Result<(), PortError> {
        self.change_upstream("ADD", source, tenant).await
    }

    /// Stops the upstream sending on `source` from acting for `tenant`.
    pub async fn unbind_upstream(&self, source: &str, tenant: &TenantId) -> Result<(), PortError> {
        self.change_upstream("DELETE", source, tenant).await
    }

    async fn change_upstream(&self, verb: &str, source: &str, tenant: &TenantId) -> Result<(), PortError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(upstream_pk(source)))
            .key("sk", s(SK))
            .update_expression(format!("{verb} tenants :tenant"))
            .expression_attribute_values(":tenant", AttributeValue::Ss(vec![tenant.as_str().to_owned()]))
            .send()
            .await
            .map_err(|e| classify("dynamodb.UpdateItem(upstream)", e))?;
        self.recent.upstreams.forget(source);
        Ok(())
    }
}
