//! In-memory outages, alert subscriptions, and the network index over the in-memory accounts.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::ids::{OutageId, SectorId, SubscriberId};
use crate::outage::geo::GridCell;
use crate::outage::ports::{AlertSubscriptions, NetworkIndex, OutageStore};
use crate::outage::{AlertSubscription, Outage};

#[derive(Debug, Default)]
pub struct InMemoryOutages {
    outages: Mutex<HashMap<(TenantId, OutageId), Outage>>,
    subscriptions: Mutex<Vec<AlertSubscription>>,
    /// How many times an outage was read.
    reads: Mutex<usize>,
    /// How many times one contract's subscribers were asked for.
    subscriber_reads: Mutex<usize>,
}

impl InMemoryOutages {
    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }

    pub fn subscriber_reads(&self) -> usize {
        *self.subscriber_reads.lock().unwrap()
    }
}

#[async_trait]
impl OutageStore for InMemoryOutages {
    async fn create(&self, outage: &Outage) -> Result<bool, PortError> {
        let mut outages = self.outages.lock().unwrap();
        let key = (outage.tenant_id.clone(), outage.outage_id.clone());
        if outages.contains_key(&key) {
            return Ok(false);
        }
        outages.insert(key, outage.clone());
        Ok(true)
    }

    async fn outage(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Option<Outage>, PortError> {
        *self.reads.lock().unwrap() += 1;
        Ok(self.outages.lock().unwrap().get(&(tenant_id.clone(), outage_id.clone())).cloned())
    }

    async fn save(&self, outage: &Outage) -> Result<bool, PortError> {
        let mut outages = self.outages.lock().unwrap();
        let key = (outage.tenant_id.clone(), outage.outage_id.clone());
        if outages.get(&key).is_none_or(|stored| stored.version != outage.version) {
            return Ok(false);
        }
        let mut saved = outage.clone();
        saved.version += 1;
        outages.insert(key, saved);
        Ok(true)
    }

    async fn list(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Outage>, PortError> {
        let mut listed: Vec<Outage> =
            self.outages.lock().unwrap().values().filter(|o| &o.tenant_id == tenant_id).cloned().collect();
        // As the table's index orders them: by start, then id, the latest first.
        listed.sort_by(|a, b| (&b.window.start, &b.outage_id).cmp(&(&a.window.start, &a.outage_id)));
        listed.truncate(limit);
        Ok(listed)
    }
}

#[async_trait]
impl AlertSubscriptions for InMemoryOutages {
    async fn subscribe(&self, subscription: &AlertSubscription) -> Result<(), PortError> {
        let mut subscriptions = self.subscriptions.lock().unwrap();
        subscriptions.retain(|s| s.subscriber_id != subscription.subscriber_id);
        subscriptions.push(subscription.clone());
        Ok(())
    }

    async fn unsubscribe(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        subscriber_id: &SubscriberId,
    ) -> Result<bool, PortError> {
        let mut subscriptions = self.subscriptions.lock().unwrap();
        let before = subscriptions.len();
        subscriptions.retain(|s| {
            !(&s.tenant_id == tenant_id && &s.contract_id == contract_id && &s.subscriber_id == subscriber_id)
        });
        Ok(subscriptions.len() < before)
    }

    async fn subscribers(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Vec<AlertSubscription>, PortError> {
        *self.subscriber_reads.lock().unwrap() += 1;
        let subscriptions = self.subscriptions.lock().unwrap();
        Ok(subscriptions
            .iter()
            .filter(|s| &s.tenant_id == tenant_id && &s.contract_id == contract_id)
            .cloned()
            .collect())
    }

    async fn subscribers_of(
        &self,
        tenant_id: &TenantId,
        contracts: &[ContractId],
    ) -> Result<BTreeMap<ContractId, Vec<AlertSubscription>>, PortError> {
        let subscriptions = self.subscriptions.lock().unwrap();
        let mut found: BTreeMap<ContractId, Vec<AlertSubscription>> = BTreeMap::new();
        for s in subscriptions.iter().filter(|s| &s.tenant_id == tenant_id && contracts.contains(&s.contract_id)) {
            found.entry(s.contract_id.clone()).or_default().push(s.clone());
        }
        Ok(found)
    }
}

#[async_trait]
impl NetworkIndex for InMemoryAccounts {
    async fn contracts_in_sectors(
        &self,
        tenant_id: &TenantId,
        sectors: &[SectorId],
    ) -> Result<Vec<ContractHolder>, PortError> {
        Ok(self
            .holders()
            .into_iter()
            .filter(|h| &h.tenant_id == tenant_id && sectors.contains(&h.supply_point.network_sector))
            .collect())
    }

    async fn supply_points_in_cells(
        &self,
        tenant_id: &TenantId,
        cells: &[GridCell],
    ) -> Result<Vec<ContractHolder>, PortError> {
        Ok(self
            .holders()
            .into_iter()
            .filter(|h| &h.tenant_id == tenant_id)
            .filter(|h| h.supply_point.coordinates.is_some_and(|at| cells.contains(&GridCell::of(at))))
            .collect())
    }
}
