//! Sends' records, two items per send: its plan with the chunks done (a number set) and the
//! chunks' counters; and its deliveries' counters, which every dispatcher batch adds to. The
//! deliveries' item stays small however large the send, so each of those many writes costs one
//! write unit (a write is charged by the size of the item it changes, and the plan's grows with
//! its chunks). A send's status is one query. Counters are added with `ADD`, which DynamoDB
//! applies atomically under any number of concurrent composers and dispatchers.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::sends::{Counts, DeliveryTally, SendLog, SendPlan, SendRecord, SendStatuses};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use jiff::Timestamp;

use super::{DynamoStore, Item, n, s};
use crate::error::{AdapterError, classify, is_condition_failure};

/// A send's status is kept three months after it starts (it names contracts, never people).
const KEPT_SECONDS: i64 = 90 * 24 * 3600;
const COUNTER: &str = "count:";
/// The deliveries' item's sort key is the send's id and this.
const DELIVERIES: &str = "#deliveries";

fn sends_pk(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#SENDS")
}

/// A placeholder for a name, one for its value, the name and the value.
type Bound = (String, String, String, AttributeValue);

/// `ADD` of each counter (and of the chunk's part, when given), `SET` of the time and of `also`.
fn add_expression(counts: &Counts, part: Option<u32>, also: &str) -> (String, Vec<Bound>) {
    let mut bound: Vec<Bound> = counts
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let value = n(i64::try_from(*value).unwrap_or(i64::MAX));
            (format!("#c{i}"), format!(":c{i}"), format!("{COUNTER}{name}"), value)
        })
        .collect();
    if let Some(part) = part {
        bound.push(("#done".into(), ":part".into(), "done".into(), AttributeValue::Ns(vec![part.to_string()])));
    }
    let adds: Vec<String> = bound.iter().map(|(name, value, _, _)| format!("{name} {value}")).collect();
    let add = if adds.is_empty() { String::new() } else { format!(" ADD {}", adds.join(", ")) };
    (format!("SET last_at = :at{also}{add}"), bound)
}

fn number(value: &AttributeValue) -> Option<i64> {
    value.as_n().ok().and_then(|n| n.parse::<i64>().ok())
}

fn last_at(item: &Item) -> Option<Timestamp> {
    item.get("last_at").and_then(number).and_then(|ms| Timestamp::from_millisecond(ms).ok())
}

/// Adds an item's counters to `counts`.
fn add_counts_of(item: &Item, counts: &mut Counts) {
    for (name, value) in item {
        if let Some((name, n)) = name.strip_prefix(COUNTER).zip(number(value).and_then(|n| u64::try_from(n).ok())) {
            *counts.entry(name.to_owned()).or_insert(0) += n;
        }
    }
}

/// A send from its plan's item and, once a delivery is counted, its deliveries' item.
fn record_of(operation: &'static str, item: &Item, deliveries: Option<&Item>) -> Result<SendRecord, PortError> {
    let corrupt = |why: String| AdapterError::Corrupt(why).into_port(operation);
    let plan = item.get("plan").and_then(|v| v.as_s().ok()).ok_or_else(|| corrupt("a send without its plan".into()))?;
    let plan: SendPlan = serde_json::from_str(plan).map_err(|e| corrupt(format!("a send's plan: {e}")))?;
    let mut counts = Counts::new();
    add_counts_of(item, &mut counts);
    deliveries.inspect(|d| add_counts_of(d, &mut counts));
    let parts_done = item.get("done").and_then(|v| v.as_ns().ok()).map_or(0, Vec::len);
    let last_at = last_at(item).max(deliveries.and_then(last_at));
    Ok(SendRecord {
        parts_done: u32::try_from(parts_done).unwrap_or(u32::MAX),
        counts,
        last_at: last_at.unwrap_or(plan.started_at),
        plan,
    })
}

/// The record of each send among `items` (plans' and deliveries' items, told apart by sort key).
fn records_of(operation: &'static str, items: &[Item]) -> Result<Vec<SendRecord>, PortError> {
    let sort_key = |item: &Item| item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    let deliveries: std::collections::HashMap<String, &Item> =
        items.iter().filter_map(|item| Some((sort_key(item).strip_suffix(DELIVERIES)?.to_owned(), item))).collect();
    items
        .iter()
        .filter(|item| !sort_key(item).ends_with(DELIVERIES))
        .map(|item| record_of(operation, item, deliveries.get(&sort_key(item)).copied()))
        .collect()
}

/// Binds each of `bound`'s placeholders.
fn bind(
    mut update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    bound: Vec<Bound>,
) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
    for (name_placeholder, value_placeholder, name, value) in bound {
        update = update
            .expression_attribute_names(name_placeholder, name)
            .expression_attribute_values(value_placeholder, value);
    }
    update
}

impl DynamoStore {
    /// Adds a chunk's counters to its send's plan, once per part: the plan's item as it stands
    /// after (the chunk that completes the send briefs the call centre).
    async fn add_chunk(
        &self,
        operation: &'static str,
        (tenant_id, send_id): (&TenantId, &str),
        counts: &Counts,
        part: u32,
        at: Timestamp,
    ) -> Result<Option<SendRecord>, PortError> {
        let (expression, bound) = add_expression(counts, Some(part), "");
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(sends_pk(tenant_id)))
            .key("sk", s(send_id))
            .update_expression(expression)
            // A retried chunk finds its part among those done.
            .condition_expression("attribute_exists(pk) AND NOT contains(#done, :one_part)")
            .expression_attribute_values(":one_part", n(i64::from(part)))
            .expression_attribute_values(":at", n(at.as_millisecond()))
            .return_values(ReturnValue::AllNew);
        match bind(update, bound).send().await {
            Ok(output) => output.attributes.as_ref().map(|item| record_of(operation, item, None)).transpose(),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(classify(operation, e)),
        }
    }
}

#[async_trait]
impl SendLog for DynamoStore {
    async fn start(&self, plan: &SendPlan) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(send)";
        let json = serde_json::to_string(plan).map_err(|e| PortError::permanent(OPERATION, e))?;
        let started = plan.started_at.as_second();
        let item = Item::from([
            ("pk".to_owned(), s(sends_pk(&plan.tenant_id))),
            ("sk".to_owned(), s(plan.send_id.clone())),
            ("plan".to_owned(), s(json)),
            ("last_at".to_owned(), n(plan.started_at.as_millisecond())),
            ("expires_at".to_owned(), n(started + KEPT_SECONDS)),
        ]);
        self.put_new(OPERATION, item).await
    }

    async fn chunk_done(
        &self,
        tenant_id: &TenantId,
        send_id: &str,
        part: u32,
        counts: &Counts,
        at: Timestamp,
    ) -> Result<Option<SendRecord>, PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(send chunk)";
        if let Some(record) = self.add_chunk(OPERATION, (tenant_id, send_id), counts, part, at).await? {
            return Ok(Some(record));
        }
        // Counted before (a retried chunk), or no such send.
        SendStatuses::send(self, tenant_id, send_id).await
    }
}

#[async_trait]
impl DeliveryTally for DynamoStore {
    async fn add(&self, tenant_id: &TenantId, send_id: &str, counts: &Counts, at: Timestamp) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(send delivery)";
        let (expression, bound) = add_expression(counts, None, ", expires_at = if_not_exists(expires_at, :expires)");
        // No condition can see the plan's item from this one: a delivery of a send never started
        // (none is queued before its send starts) would leave an item no read returns, and it
        // expires.
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(sends_pk(tenant_id)))
            .key("sk", s(format!("{send_id}{DELIVERIES}")))
            .update_expression(expression)
            .expression_attribute_values(":at", n(at.as_millisecond()))
            .expression_attribute_values(":expires", n(at.as_second() + KEPT_SECONDS));
        bind(update, bound).send().await.map(|_| ()).map_err(|e| classify(OPERATION, e))
    }
}

#[async_trait]
impl SendStatuses for DynamoStore {
    async fn send(&self, tenant_id: &TenantId, send_id: &str) -> Result<Option<SendRecord>, PortError> {
        const OPERATION: &str = "dynamodb.Query(send)";
        // The plan's item and the deliveries' sort together: nothing else sorts between them but
        // another send whose id is this one's and more (never here: ids end in a label).
        let query = self
            .query()
            .key_condition_expression("pk = :pk AND sk BETWEEN :plan AND :deliveries")
            .expression_attribute_values(":pk", s(sends_pk(tenant_id)))
            .expression_attribute_values(":plan", s(send_id))
            .expression_attribute_values(":deliveries", s(format!("{send_id}{DELIVERIES}")))
            .consistent_read(true);
        let items = Self::query_all(OPERATION, query).await?;
        Ok(records_of(OPERATION, &items)?.into_iter().find(|record| record.plan.send_id == send_id))
    }

    async fn sends(&self, tenant_id: &TenantId, prefix: &str) -> Result<Vec<SendRecord>, PortError> {
        const OPERATION: &str = "dynamodb.Query(sends)";
        let query = self
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(sends_pk(tenant_id)))
            .expression_attribute_values(":prefix", s(prefix));
        let items = Self::query_all(OPERATION, query).await?;
        let mut records = records_of(OPERATION, &items)?;
        records.sort_by(|a, b| (a.plan.started_at, &a.plan.send_id).cmp(&(b.plan.started_at, &b.plan.send_id)));
        Ok(records)
    }
}
