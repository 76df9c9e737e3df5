use std::collections::BTreeMap;

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::account::ContractHolder;
use avisa_domain::contact::PhoneE164;
use avisa_domain::ids::{ContractId, OutageId, SectorId, SubscriberId, TenantId};
use avisa_domain::outage::geo::GridCell;
use avisa_domain::outage::ports::{AlertSubscriptions, NetworkIndex, OutageStore};
use avisa_domain::outage::{AlertSubscription, Outage};
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::{DynamoStore, Item, from_item, s, to_item};
use crate::error::{classify, condition_held};

/// Index queries in flight at once (one per sector or grid cell).
const CONCURRENCY: usize = 8;

fn outage_pk(tenant_id: &TenantId, outage_id: &OutageId) -> String {
    format!("T#{tenant_id}#OUTAGE#{outage_id}")
}

/// The tenant's outages by start (gsi3), so they can be listed without a scan.
fn outages_by_start(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#OUTAGES")
}

fn contract_pk(tenant_id: &TenantId, contract_id: &ContractId) -> String {
    format!("T#{tenant_id}#CONTRACT#{contract_id}")
}

/// The grid index key of a supply point (gsi4).
pub(crate) fn cell_key(tenant_id: &TenantId, cell: GridCell) -> String {
    format!("T#{tenant_id}#CELL#{cell}")
}

impl DynamoStore {
    fn outage_item(operation: &'static str, outage: &Outage) -> Result<Item, PortError> {
        to_item(
            operation,
            outage,
            &[
                ("pk", outage_pk(&outage.tenant_id, &outage.outage_id)),
                ("sk", "META".to_owned()),
                ("gsi3pk", outages_by_start(&outage.tenant_id)),
                ("gsi3sk", format!("{}#{}", outage.window.start.strftime("%Y-%m-%dT%H:%M:%SZ"), outage.outage_id)),
            ],
        )
    }

    /// Every item of one index partition.
    pub(super) async fn query_index(
        &self,
        operation: &'static str,
        index: &str,
        pk: String,
    ) -> Result<Vec<Item>, PortError> {
        let query = self
            .query()
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", format!("{index}pk"))
            .expression_attribute_values(":pk", s(pk));
        Self::query_all(operation, query).await
    }
}

#[async_trait]
impl OutageStore for DynamoStore {
    async fn create(&self, outage: &Outage) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(outage)";
        self.put_new(OPERATION, Self::outage_item(OPERATION, outage)?).await
    }

    async fn outage(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Option<Outage>, PortError> {
        self.get("dynamodb.GetItem(outage)", &outage_pk(tenant_id, outage_id), "META").await
    }

    async fn save(&self, outage: &Outage) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(outage save)";
        let mut saved = outage.clone();
        saved.version += 1;
        self.put_versioned(OPERATION, Self::outage_item(OPERATION, &saved)?, Some(outage.version)).await
    }

    async fn list(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Outage>, PortError> {
        const OPERATION: &str = "dynamodb.Query(gsi3 outages)";
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk")
            .expression_attribute_values(":pk", s(outages_by_start(tenant_id)))
            .scan_index_forward(false);
        // Page after page (a page stops at 1 MB) until `limit` outages are read.
        let mut pages = query.into_paginator().items().send();
        let mut listed = Vec::new();
        while listed.len() < limit {
            let Some(item) = pages.next().await else { break };
            listed.push(from_item(OPERATION, item.map_err(|e| classify(OPERATION, e))?)?);
        }
        Ok(listed)
    }
}

/// The holder item's set of the subscriber ids at its supply point: read with the holders, it
/// tells which supply points have subscribers without a query per supply point. It may name a
/// subscription that is gone (written before it, removed after it), never miss one.
const SUBSCRIBERS_MARK: &str = "alert_subscribers";

/// The sort key prefix of a contract's alert subscriptions.
const SUBSCRIPTION_PREFIX: &str = "ALERTSUB#";

/// A subscription's sort key: the subscriber's id (read back from the holder's mark as text).
pub(super) fn subscription_sk(subscriber_id: &impl std::fmt::Display) -> String {
    format!("{SUBSCRIPTION_PREFIX}{subscriber_id}")
}

/// Where a number's subscriptions are listed (one item per contract, naming the subscription's
/// keys), so that erasing the number finds them: they live under their contracts.
pub(super) fn subscriber_pk(tenant_id: &TenantId, mobile: &PhoneE164) -> String {
    format!("T#{tenant_id}#SUBSCRIBER#{}", mobile.as_str())
}

/// A number's entry for one contract (not `ALERTSUB#…`: the backfill scans for those).
fn listed_sk(contract_id: &ContractId) -> String {
    format!("CONTRACT#{contract_id}")
}

impl DynamoStore {
    /// Adds (`ADD`) or removes (`DELETE`) a subscriber from the mark on its contract's holder item
    /// (`holder_pk`); `false` when the contract has no holder item (never creates one).
    pub(super) async fn mark_subscriber(
        &self,
        operation: &'static str,
        action: &str,
        holder_pk: String,
        subscriber_id: &str,
    ) -> Result<bool, PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(holder_pk))
            .key("sk", s("ACCOUNT"))
            .update_expression(format!("{action} #mark :subscriber"))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#mark", SUBSCRIBERS_MARK)
            .expression_attribute_values(":subscriber", AttributeValue::Ss(vec![subscriber_id.to_owned()]))
            .send()
            .await;
        condition_held(operation, result)
    }

    /// Lists a subscription with a mobile number under that number (see [`subscriber_pk`]).
    async fn list_under_number(
        &self,
        operation: &'static str,
        subscription: &AlertSubscription,
    ) -> Result<(), PortError> {
        let AlertSubscription { tenant_id, contract_id, subscriber_id, mobile, .. } = subscription;
        let Some(mobile) = mobile else { return Ok(()) };
        let entry = Item::from([
            ("pk".to_owned(), s(subscriber_pk(tenant_id, mobile))),
            ("sk".to_owned(), s(listed_sk(contract_id))),
            ("subscription_pk".to_owned(), s(contract_pk(tenant_id, contract_id))),
            ("subscriber_id".to_owned(), s(subscriber_id.to_string())),
        ]);
        self.put(operation, entry).await
    }

    /// Marks every stored subscription on its holder item, and lists it under its number; returns
    /// how many it marked. For subscriptions written before the mark and the list existed: run once
    /// after upgrading, safe to rerun. Scans the whole table.
    pub async fn mark_existing_subscriptions(&self) -> Result<usize, PortError> {
        const OPERATION: &str = "dynamodb.Scan(alert subscriptions)";
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(sk, :prefix)")
            .expression_attribute_values(":prefix", s(SUBSCRIPTION_PREFIX))
            .into_paginator()
            .items()
            .send();
        let mut marked = 0;
        while let Some(item) = pages.next().await {
            let subscription: AlertSubscription = from_item(OPERATION, item.map_err(|e| classify(OPERATION, e))?)?;
            let AlertSubscription { tenant_id, contract_id, subscriber_id, .. } = &subscription;
            if self
                .mark_subscriber(OPERATION, "ADD", contract_pk(tenant_id, contract_id), subscriber_id.as_str())
                .await?
            {
                self.list_under_number(OPERATION, &subscription).await?;
                marked += 1;
            }
        }
        Ok(marked)
    }
}

#[async_trait]
impl AlertSubscriptions for DynamoStore {
    async fn subscribe(&self, subscription: &AlertSubscription) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(alert subscription)";
        let AlertSubscription { tenant_id, contract_id, subscriber_id, .. } = subscription;
        // The mark first: a subscription stored without it would be missed by every outage.
        if !self.mark_subscriber(OPERATION, "ADD", contract_pk(tenant_id, contract_id), subscriber_id.as_str()).await? {
            return Err(PortError::permanent(
                OPERATION,
                std::io::Error::other(format!("contract {contract_id} has no holder: subscribe to a known contract")),
            ));
        }
        // Listed under the number before it is stored: erasing the number must find it.
        self.list_under_number(OPERATION, subscription).await?;
        let keys = [("pk", contract_pk(tenant_id, contract_id)), ("sk", subscription_sk(subscriber_id))];
        self.put(OPERATION, to_item(OPERATION, subscription, &keys)?).await
    }

    async fn unsubscribe(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        subscriber_id: &SubscriberId,
    ) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.DeleteItem(alert subscription)";
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(contract_pk(tenant_id, contract_id)))
            .key("sk", s(subscription_sk(subscriber_id)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        // Unmarked and unlisted after: a mark or an entry left by a failure here costs a read,
        // never a missed subscriber or one erasure cannot find.
        self.mark_subscriber(OPERATION, "DELETE", contract_pk(tenant_id, contract_id), subscriber_id.as_str()).await?;
        let old = deleted.attributes.unwrap_or_default();
        if let Some(mobile) = old.get("mobile").and_then(|v| v.as_s().ok()).and_then(|m| PhoneE164::parse(m).ok()) {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(subscriber_pk(tenant_id, &mobile)))
                .key("sk", s(listed_sk(contract_id)))
                .send()
                .await
                .map_err(|e| classify(OPERATION, e))?;
        }
        Ok(!old.is_empty())
    }

    async fn subscribers(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Vec<AlertSubscription>, PortError> {
        const OPERATION: &str = "dynamodb.Query(alert subscriptions)";
        let query = self
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(contract_pk(tenant_id, contract_id)))
            .expression_attribute_values(":prefix", s(SUBSCRIPTION_PREFIX));
        let items = Self::query_all(OPERATION, query).await?;
        items.into_iter().map(|item| from_item(OPERATION, item)).collect()
    }

    /// Two batch reads a hundred contracts: their holder items' marks, then the subscriptions
    /// they name.
    async fn subscribers_of(
        &self,
        tenant_id: &TenantId,
        contracts: &[ContractId],
    ) -> Result<BTreeMap<ContractId, Vec<AlertSubscription>>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(alert subscriptions)";
        let holders = contracts.iter().map(|id| (contract_pk(tenant_id, id), "ACCOUNT".to_owned())).collect();
        let mut marked = Vec::new();
        for holder in self.batch_get(OPERATION, holders).await? {
            let (Some(AttributeValue::S(pk)), Some(AttributeValue::Ss(subscribers))) =
                (holder.get("pk"), holder.get(SUBSCRIBERS_MARK))
            else {
                continue;
            };
            marked.extend(subscribers.iter().map(|id| (pk.clone(), subscription_sk(id))));
        }
        let mut found: BTreeMap<ContractId, Vec<AlertSubscription>> = BTreeMap::new();
        for item in self.batch_get(OPERATION, marked).await? {
            let subscription: AlertSubscription = from_item(OPERATION, item)?;
            found.entry(subscription.contract_id.clone()).or_default().push(subscription);
        }
        for subscribers in found.values_mut() {
            subscribers.sort_by(|a, b| a.subscriber_id.cmp(&b.subscriber_id));
        }
        Ok(found)
    }
}

#[async_trait]
impl NetworkIndex for DynamoStore {
    async fn contracts_in_sectors(
        &self,
        tenant_id: &TenantId,
        sectors: &[SectorId],
    ) -> Result<Vec<ContractHolder>, PortError> {
        const OPERATION: &str = "dynamodb.Query(gsi1 sector)";
        let keys: Vec<String> = sectors.iter().map(|sector| format!("T#{tenant_id}#SECTOR#{sector}")).collect();
        let per_sector: Vec<Vec<Item>> = stream::iter(keys)
            .map(|key| self.query_index(OPERATION, "gsi1", key))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        per_sector.into_iter().flatten().map(|item| from_item::<ContractHolder>(OPERATION, item)).collect()
    }

    async fn supply_points_in_cells(
        &self,
        tenant_id: &TenantId,
        cells: &[GridCell],
    ) -> Result<Vec<ContractHolder>, PortError> {
        const OPERATION: &str = "dynamodb.Query(gsi4 grid cell)";
        let keys: Vec<String> = cells.iter().map(|cell| cell_key(tenant_id, *cell)).collect();
        let per_cell: Vec<Vec<Item>> = stream::iter(keys)
            .map(|key| self.query_index(OPERATION, "gsi4", key))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut points = Vec::new();
        for item in per_cell.into_iter().flatten() {
            let holder: ContractHolder = from_item(OPERATION, item)?;
            if holder.supply_point.coordinates.is_some() {
                points.push(holder);
            }
        }
        Ok(points)
    }
}
