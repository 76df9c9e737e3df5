use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::operators::{Operator, OperatorDirectory};

use super::{DynamoStore, to_item};

fn operator_pk(token_digest: &str) -> String {
    format!("OPERATOR#{token_digest}")
}

#[async_trait]
impl OperatorDirectory for DynamoStore {
    async fn operator(&self, token_digest: &str) -> Result<Option<Operator>, PortError> {
        self.get("dynamodb.GetItem(operator)", &operator_pk(token_digest), "OPERATOR").await
    }

    async fn register(&self, token_digest: &str, operator: &Operator) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(operator)";
        let item = to_item(OPERATION, operator, &[("pk", operator_pk(token_digest)), ("sk", "OPERATOR".to_owned())])?;
        self.put(OPERATION, item).await
    }
}
