use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::operators::{IssuedToken, Operator, OperatorDirectory, token_id};

use super::{DynamoStore, n, s, to_item};
use crate::error::classify;

fn operator_pk(token_digest: &str) -> String {
    format!("OPERATOR#{token_digest}")
}

/// A tenant's tokens, listed on gsi3 (newest first).
fn tenant_operators(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#OPERATORS")
}

/// Expired tokens leave the table a week after they stop opening anything.
const KEPT_AFTER_EXPIRY_SECONDS: i64 = 7 * 24 * 3600;

#[async_trait]
impl OperatorDirectory for DynamoStore {
    async fn operator(&self, token_digest: &str) -> Result<Option<Operator>, PortError> {
        self.get("dynamodb.GetItem(operator)", &operator_pk(token_digest), "OPERATOR").await
    }

    async fn register(&self, token_digest: &str, operator: &Operator) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(operator)";
        let mut item = to_item(
            OPERATION,
            operator,
            &[
                ("pk", operator_pk(token_digest)),
                ("sk", "OPERATOR".to_owned()),
                ("gsi3pk", tenant_operators(&operator.tenant_id)),
                ("gsi3sk", format!("{}#{}", operator.issued_at, token_id(token_digest))),
                ("token_id", token_id(token_digest)),
            ],
        )?;
        item.insert("expires_at".to_owned(), n(operator.valid_until.as_second() + KEPT_AFTER_EXPIRY_SECONDS));
        self.put(OPERATION, item).await
    }
}

impl DynamoStore {
    /// A tenant's operator tokens, newest first, expired ones included until they leave the table.
    pub async fn operators(&self, tenant_id: &TenantId) -> Result<Vec<IssuedToken>, PortError> {
        const OPERATION: &str = "dynamodb.Query(operators)";
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk")
            .expression_attribute_values(":pk", s(tenant_operators(tenant_id)))
            .scan_index_forward(false);
        let items = Self::query_all(OPERATION, query).await?;
        items
            .into_iter()
            .map(|item| {
                let id = item.get("token_id").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                Ok(IssuedToken { id, operator: super::from_item(OPERATION, item)? })
            })
            .collect()
    }

    /// Revokes the tenant's token `id`: it opens nothing from now on. `false` when the tenant has
    /// no such token.
    pub async fn revoke_operator(&self, tenant_id: &TenantId, id: &str) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.DeleteItem(operator)";
        let listed = self.operators(tenant_id).await?;
        let Some(token) = listed.iter().find(|token| token.id == id) else { return Ok(false) };
        // The digest is in the key only: find the item by its listing keys.
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk AND gsi3sk = :sk")
            .expression_attribute_values(":pk", s(tenant_operators(tenant_id)))
            .expression_attribute_values(":sk", s(format!("{}#{}", token.operator.issued_at, token.id)));
        for item in Self::query_all(OPERATION, query).await? {
            let Some(pk) = item.get("pk").cloned() else { continue };
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", pk)
                .key("sk", s("OPERATOR"))
                .send()
                .await
                .map_err(|e| classify(OPERATION, e))?;
        }
        Ok(true)
    }
}
