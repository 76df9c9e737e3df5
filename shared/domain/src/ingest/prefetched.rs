//! A billing batch's contracts' holders, read together: one batch read a tenant instead of a read
//! per event. Only holders found are kept: a contract with none is asked of the store again when
//! its event needs it, since an earlier `customer.upserted` of the same batch may have made one.
//! Every write goes to the store.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile};
use crate::error::PortError;
use crate::ids::{ContractId, CustomerId, TenantId, by_tenant};
use crate::ports::AccountStore;

#[allow(missing_debug_implementations)] // trait objects only
pub struct PrefetchedHolders<'a> {
    accounts: &'a dyn AccountStore,
    /// Kept up to date by the holders written through it, so a read never answers an older one.
    holders: Mutex<HashMap<(TenantId, ContractId), ContractHolder>>,
}

impl<'a> PrefetchedHolders<'a> {
    /// The holders of `contracts`. Best-effort: a tenant's batch read that fails is logged, and its
    /// holders are read one at a time when they are needed.
    pub async fn read_for(
        accounts: &'a dyn AccountStore,
        contracts: impl IntoIterator<Item = (TenantId, ContractId)>,
    ) -> Self {
        let mut holders = HashMap::new();
        for (tenant_id, contracts) in by_tenant(contracts) {
            match accounts.holders(&tenant_id, &contracts).await {
                Ok(found) => {
                    holders.extend(found.into_iter().map(|h| ((h.tenant_id.clone(), h.contract_id.clone()), h)));
                }
                Err(error) => {
                    tracing::info!(%tenant_id, error = %error.chain(), "batch read failed: reading one at a time");
                }
            }
        }
        Self { accounts, holders: Mutex::new(holders) }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, ContractId), ContractHolder>> {
        self.holders.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl AccountStore for PrefetchedHolders<'_> {
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        self.accounts.upsert_customer(profile).await
    }

    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError> {
        self.accounts.upsert_holder(holder).await?;
        // The store keeps the newer by `as_of`; which one that is, it does not say.
        self.known().remove(&(holder.tenant_id.clone(), holder.contract_id.clone()));
        Ok(())
    }

    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError> {
        self.accounts.record_fact(fact).await
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        self.accounts.customer(tenant_id, customer_id).await
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        let known = self.known().get(&(tenant_id.clone(), contract_id.clone())).cloned();
        match known {
            Some(holder) => Ok(Some(holder)),
            None => self.accounts.holder(tenant_id, contract_id).await,
        }
    }

    async fn holders(&self, tenant_id: &TenantId, contracts: &[ContractId]) -> Result<Vec<ContractHolder>, PortError> {
        self.accounts.holders(tenant_id, contracts).await
    }

    async fn customers(
        &self,
        tenant_id: &TenantId,
        customers: &[CustomerId],
    ) -> Result<Vec<CustomerProfile>, PortError> {
        self.accounts.customers(tenant_id, customers).await
    }

    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError> {
        self.accounts.account(tenant_id, contract_id).await
    }
}
