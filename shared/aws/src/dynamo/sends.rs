//! Sends' records: a plan, the chunks done (a number set) and counters, one item per send, so a
//! send's status is one read. Counters are added with `ADD`, which DynamoDB applies atomically
//! under any number of concurrent composers and dispatchers.

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

fn sends_pk(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#SENDS")
}

/// A placeholder for a name, one for its value, the name and the value.
type Bound = (String, String, String, AttributeValue);

/// `ADD` of each counter (and of the chunk's part, when given), `SET` of the time.
fn add_expression(counts: &Counts, part: Option<u32>) -> (String, Vec<Bound>) {
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
    (format!("SET last_at = :at{add}"), bound)
}

fn record_of(operation: &'static str, item: &Item) -> Result<SendRecord, PortError> {
    let corrupt = |why: String| AdapterError::Corrupt(why).into_port(operation);
    let plan = item.get("plan").and_then(|v| v.as_s().ok()).ok_or_else(|| corrupt("a send without its plan".into()))?;
    let plan: SendPlan = serde_json::from_str(plan).map_err(|e| corrupt(format!("a send's plan: {e}")))?;
    let number = |v: &AttributeValue| v.as_n().ok().and_then(|n| n.parse::<i64>().ok());
    let counts = item
        .iter()
        .filter_map(|(name, v)| Some((name.strip_prefix(COUNTER)?.to_owned(), u64::try_from(number(v)?).ok()?)))
        .collect();
    let parts_done = item.get("done").and_then(|v| v.as_ns().ok()).map_or(0, Vec::len);
    let last_at = item.get("last_at").and_then(number).and_then(|ms| Timestamp::from_millisecond(ms).ok());
    Ok(SendRecord {
        parts_done: u32::try_from(parts_done).unwrap_or(u32::MAX),
        counts,
        last_at: last_at.unwrap_or(plan.started_at),
        plan,
    })
}

impl DynamoStore {
    async fn add_counts(
        &self,
        operation: &'static str,
        (tenant_id, send_id): (&TenantId, &str),
        counts: &Counts,
        part: Option<u32>,
        at: Timestamp,
    ) -> Result<Option<SendRecord>, PortError> {
        let (expression, bound) = add_expression(counts, part);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(sends_pk(tenant_id)))
            .key("sk", s(send_id))
            .update_expression(expression)
            .expression_attribute_values(":at", n(at.as_millisecond()))
            .return_values(ReturnValue::AllNew);
        update = match part {
            // A chunk counts once: a retried chunk finds its part among those done.
            Some(part) => update
                .condition_expression("attribute_exists(pk) AND NOT contains(#done, :one_part)")
                .expression_attribute_values(":one_part", n(i64::from(part))),
            None => update.condition_expression("attribute_exists(pk)"),
        };
        for (name_placeholder, value_placeholder, name, value) in bound {
            update = update
                .expression_attribute_names(name_placeholder, name)
                .expression_attribute_values(value_placeholder, value);
        }
        match update.send().await {
            Ok(output) => output.attributes.as_ref().map(|item| record_of(operation, item)).transpose(),
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
        if let Some(record) = self.add_counts(OPERATION, (tenant_id, send_id), counts, Some(part), at).await? {
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
        self.add_counts(OPERATION, (tenant_id, send_id), counts, None, at).await.map(|_| ())
    }
}

#[async_trait]
impl SendStatuses for DynamoStore {
    async fn send(&self, tenant_id: &TenantId, send_id: &str) -> Result<Option<SendRecord>, PortError> {
        const OPERATION: &str = "dynamodb.GetItem(send)";
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(sends_pk(tenant_id)))
            .key("sk", s(send_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        output.item.as_ref().map(|item| record_of(OPERATION, item)).transpose()
    }

    async fn sends(&self, tenant_id: &TenantId, prefix: &str) -> Result<Vec<SendRecord>, PortError> {
        const OPERATION: &str = "dynamodb.Query(sends)";
        let query = self
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(sends_pk(tenant_id)))
            .expression_attribute_values(":prefix", s(prefix));
        let items = Self::query_all(OPERATION, query).await?;
        let mut records: Vec<SendRecord> =
            items.iter().map(|item| record_of(OPERATION, item)).collect::<Result<_, _>>()?;
        records.sort_by(|a, b| (a.plan.started_at, &a.plan.send_id).cmp(&(b.plan.started_at, &b.plan.send_id)));
        Ok(records)
    }
}
