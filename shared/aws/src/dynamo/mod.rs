//! The single DynamoDB table: keys, and the small set of operations every port uses.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | customer profile | `T#{t}#CUST#{id}` | `PROFILE` (gsi2: `T#{t}#PHONE#{e164}`) |
//! | a word of a customer's name | `T#{t}#CUST#{id}` | `NAME#{word}` (gsi3: `T#{t}#NAMES`, `{word}#{id}`) |
//! | conversation (chat line) | `T#{t}#CONV#{e164}` | `STATE` (gsi3 while waiting: `T#{t}#WAITING`) |
//! | incident / appointment | `T#{t}#INCIDENT#{ref}` / `T#{t}#APPOINTMENT#{ref}` | `META` (gsi3: `T#{t}#INCIDENTS` / `…APPOINTMENTS`) |
//! | billing complaint | `T#{t}#COMPLAINT#{ref}` | `META` (gsi3: `T#{t}#COMPLAINTS`) |
//! | inbound WhatsApp message claim | `T#{t}#INBOUND#{wamid}` | `INBOUND` (TTL 35 days) |
//! | WhatsApp number → tenant | `WANUMBER#{phone_number_id}` | `TENANT` |
//! | contract holder / account | `T#{t}#CONTRACT#{id}` | `ACCOUNT` (gsi1: `T#{t}#SECTOR#{sector}`; gsi2: `T#{t}#CUST#{customer}#CONTRACTS`; gsi4: `T#{t}#CELL#{lat}:{lon}`; `alert_subscribers`: its subscribers' ids) |
//! | outage alert subscriber | `T#{t}#CONTRACT#{id}` | `ALERTSUB#{subscriber_id}` |
//! | a number's outage alert subscription (to find it when the number is erased) | `T#{t}#SUBSCRIBER#{e164}` | `CONTRACT#{id}` (`subscription_pk`, `subscriber_id`) |
//! | planned outage | `T#{t}#OUTAGE#{id}` | `META` |
//! | operator (API token) | `OPERATOR#{sha256 of token}` | `OPERATOR` |
//! | invoice facts (slots) | `T#{t}#CONTRACT#{id}` | `INVOICE#{number}` |
//! | payment plan (slot) | `T#{t}#CONTRACT#{id}` | `PLAN#{plan_id}` |
//! | billing-event claim | `T#{t}#EVENT#{event_id}` | `EVENT` |
//! | notice | `T#{t}#NOTICE#{id}` | `NOTICE` (gsi2, keys only: `T#{t}#CONTRACT#{id}#NOTICES` or `T#{t}#PHONE#{e164}#NOTICES`, `{created_at ms}#{id}`; gsi5, with `channels`: `T#{t}#NOTICES#{day}#{shard}`) |
//! | delivery claim and record | `T#{t}#NOTICE#{id}` | `DELIVERY#{channel}` |
//! | rejected message | `T#{t}#REJECTED` | `{at}#{message_id}` |
//! | letter for the print batch | `PRINT#{day}` | `T#{t}#{notice_id}` |
//! | send-rate budget | `T#{t}#RATE#{channel}` | `{epoch second}` (TTL a minute; `urgent` when kept for urgent sends) |
//! | a send's status (an outage alert's) | `T#{t}#SENDS` | `{send id}`: `outage/{id}/r{rev}/{stage}/{label}` (TTL 90 days) |
//! | its deliveries' counters | `T#{t}#SENDS` | `{send id}#deliveries` (TTL 90 days) |
//! | provider message id → delivery | `PROVIDER#{id}` | `DELIVERY` (WhatsApp receipts) |
//! | tenant settings | `TENANT#{t}` | `CONFIG` |
//! | suppressed address | `T#{t}#SUPPRESSED` | `{channel}#{fingerprint}` |
//! | upstream → the tenants it may act for | `UPSTREAM#{queue arn}` | `TENANTS` |

mod accounts;
mod announcements;
mod chat;
mod claims;
mod erasure;
mod feeds;
mod ledger;
mod names;
mod notice_item;
mod notices;
mod operators;
mod outages;
mod print;
mod rates;
mod ratings;
mod recent;
mod rejections;
mod retention;
mod sends;
mod staff;
mod suppressions;
mod tenants;
mod upstreams;

use std::collections::HashMap;
use std::time::Duration;

use avisa_domain::PortError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{AdapterError, classify, condition_held, is_condition_failure};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// A slot `x` is kept beside `x_as_of_ms`, the time upstream stated it.
pub(crate) const AS_OF_SUFFIX: &str = "_as_of_ms";

/// Every port that keeps state, on one table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    recent: std::sync::Arc<Remembered>,
}

/// What this container read recently (see [`recent`]).
#[derive(Debug)]
struct Remembered {
    retention: recent::Recent<avisa_domain::retention::Retention>,
    upstreams: recent::Recent<Vec<avisa_domain::ids::TenantId>>,
    /// Kept only when the function asks ([`DynamoStore::caching_settings_for`]).
    settings: recent::Recent<Option<avisa_domain::tenant::TenantSettings>>,
    /// What this container reserved of the current second's send budgets (see `rates`).
    budgets: rates::Reserved,
}

impl Default for Remembered {
    fn default() -> Self {
        Self {
            retention: recent::Recent::new(retention::FRESH_FOR),
            upstreams: recent::Recent::new(Duration::from_mins(1)),
            settings: recent::Recent::new(Duration::ZERO),
            budgets: rates::Reserved::default(),
        }
    }
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), recent: std::sync::Arc::default() }
    }

    /// Tenants' settings read once per `fresh_for` in this container, not once per record: a
    /// change an admin makes reaches every warm container within that time.
    #[must_use]
    pub fn caching_settings_for(self, fresh_for: Duration) -> Self {
        let recent = Remembered { settings: recent::Recent::new(fresh_for), ..Remembered::default() };
        Self { recent: std::sync::Arc::new(recent), ..self }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        pk: &str,
        sk: &str,
    ) -> Result<Option<T>, PortError> {
        self.get_item(operation, pk, sk).await?.map(|item| from_item(operation, item)).transpose()
    }

    /// The item under `pk`/`sk`, as stored (strongly consistent).
    async fn get_item(&self, operation: &'static str, pk: &str, sk: &str) -> Result<Option<Item>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(operation, e))?;
        Ok(output.item)
    }

    /// The items with these keys that exist, a hundred keys a request; keys DynamoDB leaves
    /// unprocessed (throttled) are asked for again, backing off. A key given twice is asked for
    /// once (DynamoDB refuses a request that names a key twice).
    pub(crate) async fn batch_get(
        &self,
        operation: &'static str,
        mut keys: Vec<(String, String)>,
    ) -> Result<Vec<Item>, PortError> {
        let mut seen = std::collections::HashSet::new();
        keys.retain(|key| seen.insert(key.clone()));
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending: Vec<Item> =
                chunk.iter().map(|(pk, sk)| Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])).collect();
            for round in 0_u32.. {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| PortError::permanent(operation, e))?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| classify(operation, e))?;
                found.extend(output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
                pending =
                    output.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                back_off(operation, round, "keys").await?;
            }
        }
        Ok(found)
    }

    /// Puts these whole items, twenty-five a request; writes DynamoDB leaves unprocessed
    /// (throttled) are sent again, backing off. A put keeps no condition: for items no other
    /// writer changes, or whose every writer writes the same.
    pub(crate) async fn batch_put(&self, operation: &'static str, items: Vec<Item>) -> Result<(), PortError> {
        let mut puts = Vec::with_capacity(items.len());
        for item in items {
            let put =
                PutRequest::builder().set_item(Some(item)).build().map_err(|e| PortError::permanent(operation, e))?;
            puts.push(WriteRequest::builder().put_request(put).build());
        }
        while !puts.is_empty() {
            let rest = puts.split_off(puts.len().min(25));
            let mut pending = std::mem::replace(&mut puts, rest);
            for round in 0_u32.. {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| classify(operation, e))?;
                pending = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                back_off(operation, round, "writes").await?;
            }
        }
        Ok(())
    }

    /// A query on the table, to be narrowed by the caller.
    fn query(&self) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client.query().table_name(&self.table)
    }

    /// Every item `query` matches, page after page.
    async fn query_all(
        operation: &'static str,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, PortError> {
        query.into_paginator().items().send().collect::<Result<_, _>>().await.map_err(|e| classify(operation, e))
    }

    /// Puts `item`, replacing any with its key (writes that are the same whenever repeated).
    async fn put(&self, operation: &'static str, mut item: Item) -> Result<(), PortError> {
        self.stamp_expiry(&mut item).await?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify(operation, e))?;
        Ok(())
    }

    /// Puts `item` over the stored one if that still has version `read` (`None`: only if none is
    /// stored); `false` when someone changed it meanwhile.
    async fn put_versioned(
        &self,
        operation: &'static str,
        mut item: Item,
        read: Option<u32>,
    ) -> Result<bool, PortError> {
        self.stamp_expiry(&mut item).await?;
        let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let put = match read {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(read) => put
                .condition_expression("#version = :read")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":read", n(i64::from(read))),
        };
        condition_held(operation, put.send().await)
    }

    /// Puts `item` unless one exists with its key; `false` when one did.
    async fn put_new(&self, operation: &'static str, mut item: Item) -> Result<bool, PortError> {
        self.stamp_expiry(&mut item).await?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        condition_held(operation, result)
    }

    /// Sets every attribute of `item` on its key, unless the stored item is newer (`as_of_ms`):
    /// events about one record that arrive out of order leave the newest state.
    async fn update_if_newer(&self, operation: &'static str, mut item: Item, as_of_ms: i64) -> Result<(), PortError> {
        self.stamp_expiry(&mut item).await?;
        let pk = item.remove("pk").unwrap_or_else(|| s(""));
        let sk = item.remove("sk").unwrap_or_else(|| s(""));
        item.insert("as_of_ms".to_owned(), n(as_of_ms));
        let mut update = self.client.update_item().table_name(&self.table).key("pk", pk).key("sk", sk);
        let mut sets = Vec::with_capacity(item.len());
        for (i, (name, value)) in item.into_iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":a{i}"), value);
            sets.push(format!("#a{i} = :a{i}"));
        }
        let result = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_not_exists(pk) OR #as_of_ms <= :as_of_ms")
            .expression_attribute_names("#as_of_ms", "as_of_ms")
            .expression_attribute_values(":as_of_ms", n(as_of_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                tracing::info!(operation, "stored state is newer than this event; left as it is");
                Ok(())
            }
            Err(e) => Err(classify(operation, e)),
        }
    }
}

impl DynamoStore {
    /// Sets one slot of an item unless the stored slot is newer: facts that arrive out of order
    /// leave the newest in place.
    async fn update_slot(
        &self,
        operation: &'static str,
        (pk, sk): (String, String),
        slot: &str,
        value: AttributeValue,
        as_of_ms: i64,
    ) -> Result<(), PortError> {
        let expires_at = self.expiry_of(&pk, &sk).await?;
        let update = self.client.update_item().table_name(&self.table).key("pk", s(pk)).key("sk", s(sk));
        let update = match expires_at {
            Some(at) => update
                .update_expression("SET #slot = :value, #as_of = :as_of, expires_at = :expires_at")
                .expression_attribute_values(":expires_at", n(at)),
            None => update.update_expression("SET #slot = :value, #as_of = :as_of"),
        };
        let result = update
            .condition_expression("attribute_not_exists(#as_of) OR #as_of <= :as_of")
            .expression_attribute_names("#slot", slot)
            .expression_attribute_names("#as_of", format!("{slot}{AS_OF_SUFFIX}"))
            .expression_attribute_values(":value", value)
            .expression_attribute_values(":as_of", n(as_of_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                tracing::info!(operation, slot, "stored fact is newer than this event; left as it is");
                Ok(())
            }
            Err(e) => Err(classify(operation, e)),
        }
    }
}

/// Waits before sending again what DynamoDB left unprocessed (throttled) in a batch's `round`;
/// an error, worth retrying later, once it kept doing so.
async fn back_off(operation: &'static str, round: u32, what: &str) -> Result<(), PortError> {
    if round >= 8 {
        let why = format!("DynamoDB kept leaving {what} unprocessed (throttled): try again later");
        return Err(PortError::transient(operation, std::io::Error::other(why)));
    }
    tokio::time::sleep(Duration::from_millis(50 << round)).await;
    Ok(())
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The record's attributes plus its keys.
pub(crate) fn to_item(
    operation: &'static str,
    record: &impl Serialize,
    keys: &[(&str, String)],
) -> Result<Item, PortError> {
    let mut item: Item = serde_dynamo::to_item(record).map_err(|e| PortError::permanent(operation, e))?;
    for (name, value) in keys {
        item.insert((*name).to_owned(), s(value.clone()));
    }
    Ok(item)
}

/// A string attribute of `item`.
pub(crate) fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(crate) fn from_item<T: DeserializeOwned>(operation: &'static str, item: Item) -> Result<T, PortError> {
    let key = |name: &str| text(&item, name).unwrap_or_default().to_owned();
    let (pk, sk) = (key("pk"), key("sk"));
    serde_dynamo::from_item(item).map_err(|source| AdapterError::CorruptItem { pk, sk, source }.into_port(operation))
}
