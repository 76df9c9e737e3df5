use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::account::{
    AccountFact, ContractAccount, ContractHolder, CustomerProfile, Record, SLOT_NAMES, Slot, StaffPriority, StoredSlot,
};
use avisa_domain::ids::{ContractId, CustomerId, InvoiceNumber, PlanId, TenantId};
use avisa_domain::outage::geo::GridCell;
use avisa_domain::ports::{AccountStore, PriorityMarks};
use jiff::Timestamp;

use super::{AS_OF_SUFFIX, DynamoStore, Item, from_item, s, to_item};
use crate::error::condition_held;

pub(crate) fn customer_pk(tenant_id: &TenantId, customer_id: &CustomerId) -> String {
    format!("T#{tenant_id}#CUST#{customer_id}")
}

pub(crate) fn contracts_of_pk(tenant_id: &TenantId, customer_id: &CustomerId) -> String {
    format!("T#{tenant_id}#CUST#{customer_id}#CONTRACTS")
}

pub(crate) fn contract_pk(tenant_id: &TenantId, contract_id: &ContractId) -> String {
    format!("T#{tenant_id}#CONTRACT#{contract_id}")
}

/// Staff's mark is its own attribute of the holder's item: upstream's updates SET only the
/// holder's fields, so they leave it as it is.
#[async_trait]
impl PriorityMarks for DynamoStore {
    async fn mark_priority(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        mark: Option<&StaffPriority>,
    ) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(priority mark)";
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(contract_pk(tenant_id, contract_id)))
            .key("sk", s("ACCOUNT"))
            // The holder's item, not an account only facts created.
            .condition_expression("attribute_exists(customer_id)");
        let update = match mark {
            Some(mark) => update.update_expression("SET staff_priority = :mark").expression_attribute_values(
                ":mark",
                serde_dynamo::to_attribute_value(mark).map_err(|e| PortError::permanent(OPERATION, e))?,
            ),
            None => update.update_expression("REMOVE staff_priority"),
        };
        condition_held(OPERATION, update.send().await)
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(customer)";
        let mut keys =
            vec![("pk", customer_pk(&profile.tenant_id, &profile.customer_id)), ("sk", "PROFILE".to_owned())];
        if let Some(mobile) = &profile.mobile {
            keys.push(("gsi2pk", format!("T#{}#PHONE#{}", profile.tenant_id, mobile.as_str())));
            keys.push(("gsi2sk", format!("CUST#{}", profile.customer_id)));
        }
        let item = to_item(OPERATION, profile, &keys)?;
        self.update_if_newer(OPERATION, item, profile.as_of.as_millisecond()).await?;
        self.index_name(profile).await
    }

    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(account)";
        let mut keys = vec![
            ("pk", contract_pk(&holder.tenant_id, &holder.contract_id)),
            ("sk", "ACCOUNT".to_owned()),
            ("gsi1pk", format!("T#{}#SECTOR#{}", holder.tenant_id, holder.supply_point.network_sector)),
            ("gsi1sk", format!("CONTRACT#{}", holder.contract_id)),
            // A customer's contracts (the chat line's billing answers).
            ("gsi2pk", contracts_of_pk(&holder.tenant_id, &holder.customer_id)),
            ("gsi2sk", format!("CONTRACT#{}", holder.contract_id)),
        ];
        // Supply points on the map are found by polygon through the grid cell they are in.
        if let Some(at) = holder.supply_point.coordinates {
            keys.push(("gsi4pk", super::outages::cell_key(&holder.tenant_id, GridCell::of(at))));
            keys.push(("gsi4sk", format!("CONTRACT#{}", holder.contract_id)));
        }
        let item = to_item(OPERATION, holder, &keys)?;
        self.update_if_newer(OPERATION, item, holder.as_of.as_millisecond()).await
    }

    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(fact)";
        let slot = fact.fact.slot();
        let value =
            serde_dynamo::to_attribute_value(fact.fact.value()).map_err(|e| PortError::permanent(OPERATION, e))?;
        let key = (contract_pk(&fact.tenant_id, &fact.contract_id), record_sk(&slot.record));
        self.update_slot(OPERATION, key, slot.name, value, fact.as_of.as_millisecond()).await
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        self.get("dynamodb.GetItem(customer)", &customer_pk(tenant_id, customer_id), "PROFILE").await
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        self.get("dynamodb.GetItem(account)", &contract_pk(tenant_id, contract_id), "ACCOUNT").await
    }

    async fn holders(&self, tenant_id: &TenantId, contracts: &[ContractId]) -> Result<Vec<ContractHolder>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(accounts)";
        let keys = contracts.iter().map(|id| (contract_pk(tenant_id, id), "ACCOUNT".to_owned())).collect();
        self.batch_get(OPERATION, keys).await?.into_iter().map(|item| from_item(OPERATION, item)).collect()
    }

    async fn customers(
        &self,
        tenant_id: &TenantId,
        customers: &[CustomerId],
    ) -> Result<Vec<CustomerProfile>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(customers)";
        let keys = customers.iter().map(|id| (customer_pk(tenant_id, id), "PROFILE".to_owned())).collect();
        self.batch_get(OPERATION, keys).await?.into_iter().map(|item| from_item(OPERATION, item)).collect()
    }

    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError> {
        const OPERATION: &str = "dynamodb.Query(account)";
        let query = self
            .query()
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(contract_pk(tenant_id, contract_id)))
            .consistent_read(true);
        let items = Self::query_all(OPERATION, query).await?;
        let mut holder = None;
        let mut slots = Vec::new();
        for item in items {
            let Some(record) = item.get("sk").and_then(|sk| sk.as_s().ok()).and_then(|sk| parse_record_sk(sk)) else {
                continue;
            };
            slots.extend(stored_slots(OPERATION, &record, &item)?);
            // The ACCOUNT item exists once a fact about the account arrived; the holder once
            // its customer.upserted did.
            if record == Record::Account && item.contains_key("as_of_ms") {
                holder = Some(from_item::<ContractHolder>(OPERATION, item)?);
            }
        }
        let Some(holder) = holder else { return Ok(None) };
        ContractAccount::assemble(holder, slots).map(Some).map_err(|e| PortError::permanent(OPERATION, e))
    }
}

fn record_sk(record: &Record) -> String {
    match record {
        Record::Account => "ACCOUNT".to_owned(),
        Record::Invoice(number) => format!("INVOICE#{number}"),
        Record::Plan(plan_id) => format!("PLAN#{plan_id}"),
    }
}

fn parse_record_sk(sk: &str) -> Option<Record> {
    if sk == "ACCOUNT" {
        return Some(Record::Account);
    }
    if let Some(number) = sk.strip_prefix("INVOICE#") {
        return InvoiceNumber::parse(number).ok().map(Record::Invoice);
    }
    sk.strip_prefix("PLAN#").and_then(|id| PlanId::parse(id).ok()).map(Record::Plan)
}

/// Every slot of an item: an attribute `x` beside its `x_as_of_ms`.
fn stored_slots(operation: &'static str, record: &Record, item: &Item) -> Result<Vec<StoredSlot>, PortError> {
    let mut slots = Vec::new();
    for name in SLOT_NAMES {
        let (Some(value), Some(as_of)) = (item.get(*name), item.get(&format!("{name}{AS_OF_SUFFIX}"))) else {
            continue;
        };
        let millis: i64 = as_of.as_n().ok().and_then(|n| n.parse().ok()).unwrap_or_default();
        let as_of = Timestamp::from_millisecond(millis).map_err(|e| PortError::permanent(operation, e))?;
        let value: serde_json::Value =
            serde_dynamo::from_attribute_value(value.clone()).map_err(|e| PortError::permanent(operation, e))?;
        slots.push(StoredSlot { slot: Slot { record: record.clone(), name }, as_of, value });
    }
    Ok(slots)
}

/// What DynamoDB does that moto never does: leave some of a batch's keys unprocessed when it
/// throttles. Against a mocked client (the batch reads themselves are tested against moto).
#[cfg(test)]
mod tests {
    use avisa_domain::fakes;
    use avisa_domain::ids::{ContractId, TenantId};
    use avisa_domain::ports::AccountStore;
    use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::{DynamoStore, to_item};

    fn asked(request: &aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput) -> usize {
        request.request_items().and_then(|r| r.get("t")).map_or(0, |k| k.keys().len())
    }

    #[tokio::test]
    async fn keys_left_unprocessed_by_a_throttled_batch_are_asked_for_again_and_a_repeated_key_once() {
        let tenant = TenantId::parse("aigues-reus").unwrap();
        let holder_item = |n: u32| {
            let mut holder = fakes::contract_holder();
            holder.contract_id = ContractId::parse(&format!("CT-{n}")).unwrap();
            to_item(
                "test",
                &holder,
                &[("pk", super::contract_pk(&tenant, &holder.contract_id)), ("sk", "ACCOUNT".to_owned())],
            )
            .unwrap()
        };
        let (first, second) = (holder_item(1), holder_item(2));
        let unprocessed = KeysAndAttributes::builder()
            .keys(
                second.iter().filter(|(k, _)| *k == "pk" || *k == "sk").map(|(k, v)| (k.clone(), v.clone())).collect(),
            )
            .build()
            .unwrap();
        // GIVEN DynamoDB answers the two-key request with one item and the other key unprocessed
        let throttled =
            mock!(aws_sdk_dynamodb::Client::batch_get_item).match_requests(|r| asked(r) == 2).then_output(move || {
                BatchGetItemOutput::builder()
                    .responses("t", vec![first.clone()])
                    .unprocessed_keys("t", unprocessed.clone())
                    .build()
            });
        let again = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .match_requests(|r| asked(r) == 1)
            .then_output(move || BatchGetItemOutput::builder().responses("t", vec![second.clone()]).build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&throttled, &again]);
        let store = DynamoStore::new(client, "t");
        // WHEN three contracts are asked for, one of them twice
        let contracts = ["CT-1", "CT-2", "CT-1"].map(|c| ContractId::parse(c).unwrap());
        let holders = store.holders(&tenant, &contracts).await.unwrap();
        // THEN the repeat was asked for once, the unprocessed key again, and both holders found
        let mut found: Vec<String> = holders.iter().map(|h| h.contract_id.to_string()).collect();
        found.sort();
        assert_eq!(found, ["CT-1", "CT-2"]);
        assert_eq!((throttled.num_calls(), again.num_calls()), (1, 1));
    }
}
