//! Customers by the words of their names: an item per word under the customer's partition
//! (`NAME#{word}`), listed in gsi3 under `T#{t}#NAMES` as `{word}#{customer}`. They go when the
//! customer is erased, with the partition, and expire with the profile.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::account::CustomerProfile;
use avisa_domain::ids::{CustomerId, TenantId};
use avisa_domain::staff::citizen::CustomerNames;

use super::accounts::customer_pk;
use super::{DynamoStore, Item, s};
use crate::error::classify;

fn names_pk(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#NAMES")
}

impl DynamoStore {
    /// Lists the customer under each word of their name. A word of an older name stays listed
    /// until the profile is erased or expires; searches check the name itself.
    pub(super) async fn index_name(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.BatchWriteItem(customer name)";
        let pk = customer_pk(&profile.tenant_id, &profile.customer_id);
        let mut items = Vec::new();
        for word in avisa_domain::names::words(profile.name.as_str()) {
            let mut item = Item::from([
                ("pk".to_owned(), s(&pk)),
                ("sk".to_owned(), s(format!("NAME#{word}"))),
                ("gsi3pk".to_owned(), s(names_pk(&profile.tenant_id))),
                ("gsi3sk".to_owned(), s(format!("{word}#{}", profile.customer_id))),
            ]);
            self.stamp_expiry(&mut item).await?;
            items.push(item);
        }
        self.batch_put(OPERATION, items).await
    }
}

#[async_trait]
impl CustomerNames for DynamoStore {
    async fn customers_named(
        &self,
        tenant_id: &TenantId,
        word: &str,
        limit: usize,
    ) -> Result<Vec<CustomerId>, PortError> {
        const OPERATION: &str = "dynamodb.Query(gsi3 names)";
        let output = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk AND begins_with(gsi3sk, :word)")
            .expression_attribute_values(":pk", s(names_pk(tenant_id)))
            .expression_attribute_values(":word", s(word))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        let mut customers: Vec<CustomerId> = output
            .items()
            .iter()
            .filter_map(|item| item.get("gsi3sk")?.as_s().ok()?.rsplit_once('#'))
            .filter_map(|(_, id)| CustomerId::parse(id).ok())
            .collect();
        // A customer is listed once per word that begins so ("mar" → "maria", "martinez").
        customers.sort();
        customers.dedup();
        Ok(customers)
    }
}
