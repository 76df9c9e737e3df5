use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::print::{PrintLetter, PrintQueue};
use jiff::civil::Date;

use super::{DynamoStore, from_item, s, to_item};

/// Every tenant's letters of a day share a partition: the night's job reads it in one query.
fn day_pk(day: Date) -> String {
    format!("PRINT#{day}")
}

#[async_trait]
impl PrintQueue for DynamoStore {
    async fn add(&self, letter: &PrintLetter) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(letter)";
        let keys = [("pk", day_pk(letter.queued_on)), ("sk", format!("T#{}#{}", letter.tenant_id, letter.notice_id))];
        let item = to_item(OPERATION, letter, &keys)?;
        self.put(OPERATION, item).await
    }

    async fn letters_of(&self, day: Date) -> Result<Vec<PrintLetter>, PortError> {
        const OPERATION: &str = "dynamodb.Query(letters)";
        let query =
            self.query().key_condition_expression("pk = :pk").expression_attribute_values(":pk", s(day_pk(day)));
        let items = Self::query_all(OPERATION, query).await?;
        items.into_iter().map(|item| from_item(OPERATION, item)).collect()
    }
}
