//! Planned outages' ports: the outages, the subscribers without a contract, and the network.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::geo::GridCell;
use super::{AlertSubscription, Outage};
use crate::PortError;
use crate::account::ContractHolder;
use crate::ids::{ContractId, OutageId, SectorId, SubscriberId, TenantId};

/// Planned outages.
#[async_trait]
pub trait OutageStore: Send + Sync {
    /// Records a new outage; `false` when one with its id exists (left as it was).
    async fn create(&self, outage: &Outage) -> Result<bool, PortError>;
    async fn outage(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Option<Outage>, PortError>;
    /// Saves `outage` (its `version` raised by one) if the stored one still has `outage.version`;
    /// `false` when someone changed it meanwhile.
    async fn save(&self, outage: &Outage) -> Result<bool, PortError>;
    /// A tenant's outages, the latest start first, at most `limit`.
    async fn list(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Outage>, PortError>;
}

/// Citizens without a contract who asked for a supply point's outage alerts.
#[async_trait]
pub trait AlertSubscriptions: Send + Sync {
    /// Creates or replaces the subscription.
    async fn subscribe(&self, subscription: &AlertSubscription) -> Result<(), PortError>;
    /// `false` when there was none.
    async fn unsubscribe(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        subscriber_id: &SubscriberId,
    ) -> Result<bool, PortError>;
    async fn subscribers(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Vec<AlertSubscription>, PortError>;
    /// The subscribers at each of these contracts' supply points, contracts without any left out:
    /// an outage's audience in a few requests rather than one per supply point.
    async fn subscribers_of(
        &self,
        tenant_id: &TenantId,
        contracts: &[ContractId],
    ) -> Result<BTreeMap<ContractId, Vec<AlertSubscription>>, PortError>;
}

/// Where supply points are on the network and on the map (indexes, never a table scan).
#[async_trait]
pub trait NetworkIndex: Send + Sync {
    /// The holders of the contracts in these sectors, with their supply points.
    async fn contracts_in_sectors(
        &self,
        tenant_id: &TenantId,
        sectors: &[SectorId],
    ) -> Result<Vec<ContractHolder>, PortError>;
    /// The holders of the contracts whose supply point (with coordinates) lies in one of `cells`.
    async fn supply_points_in_cells(
        &self,
        tenant_id: &TenantId,
        cells: &[GridCell],
    ) -> Result<Vec<ContractHolder>, PortError>;
}
