//! Citizens' ratings: one item per rated question, listed by when it was given (gsi3) so a
//! period's ratings are one query.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::chat::Rating;
use avisa_domain::chat::ports::RatingStore;
use avisa_domain::ids::TenantId;
use jiff::Timestamp;

use super::chat::listed;
use super::{DynamoStore, from_item, s};

const LIST: &str = "RATINGS";

#[async_trait]
impl RatingStore for DynamoStore {
    async fn rate(&self, rating: &Rating) -> Result<bool, PortError> {
        let question = format!("{}#{}", rating.conversation, rating.asked_at.as_millisecond());
        let mut keys = vec![("pk", format!("T#{}#RATING#{question}", rating.tenant_id)), ("sk", "META".to_owned())];
        keys.extend(listed(&rating.tenant_id, LIST, rating.at.as_millisecond(), &question));
        self.file_record("dynamodb.PutItem(rating)", rating, &keys).await
    }

    async fn ratings(
        &self,
        tenant_id: &TenantId,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Rating>, PortError> {
        const OPERATION: &str = "dynamodb.Query(ratings)";
        // `#` sorts before every digit: `{ms}#` bounds all of a millisecond's ratings.
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk AND gsi3sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(format!("T#{tenant_id}#{LIST}")))
            .expression_attribute_values(":from", s(format!("{:015}#", since.as_millisecond())))
            .expression_attribute_values(":to", s(format!("{:015}#", until.as_millisecond())));
        let items = Self::query_all(OPERATION, query).await?;
        items.into_iter().map(|item| from_item(OPERATION, item)).collect()
    }
}
