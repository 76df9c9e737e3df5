//! The stored accounts as they would be once the file was ingested, with nothing written: the
//! customers and holders every `customer.upserted` of the file states (read in a first pass, as
//! ingestion waits for a contract's late `customer.upserted`), and the facts of a contract's
//! lines before this one. Newer wins per item and slot, the file's on a tie, as the store keeps it.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::PortError;
use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile};
use crate::ids::{ContractId, CustomerId, TenantId};
use crate::ports::AccountStore;

/// What the file's `customer.upserted` lines state: a few hundred bytes per customer, so a file of
/// invoices alone holds nothing here.
#[derive(Debug, Default)]
pub struct FileCustomers {
    customers: HashMap<(TenantId, CustomerId), CustomerProfile>,
    holders: HashMap<(TenantId, ContractId), ContractHolder>,
}

impl FileCustomers {
    /// Keeps what a `customer.upserted` states, unless the file stated something newer already
    /// (a later line wins a tie, as a later write does in the store).
    pub fn add(&mut self, profile: CustomerProfile, holder: ContractHolder) {
        let customer = (profile.tenant_id.clone(), profile.customer_id.clone());
        keep_newer(self.customers.entry(customer).or_insert_with(|| profile.clone()), profile, |p| p.as_of);
        let contract = (holder.tenant_id.clone(), holder.contract_id.clone());
        keep_newer(self.holders.entry(contract).or_insert_with(|| holder.clone()), holder, |h| h.as_of);
    }

    pub fn len(&self) -> usize {
        self.holders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.holders.is_empty()
    }
}

fn keep_newer<T>(kept: &mut T, given: T, as_of: impl Fn(&T) -> Timestamp) {
    if as_of(kept) <= as_of(&given) {
        *kept = given;
    }
}

/// The newer of what is stored and what the file said; the file's when they are as new, as the
/// store's conditional write (`as_of <= :as_of`) keeps it.
fn newer<T>(stored: Option<T>, said: Option<T>, as_of: impl Fn(&T) -> Timestamp) -> Option<T> {
    match (stored, said) {
        (Some(stored), Some(said)) if as_of(&said) < as_of(&stored) => Some(stored),
        (stored, None) => stored,
        (_, said) => said,
    }
}

#[allow(missing_debug_implementations)] // trait objects only
pub struct Overlay<'a> {
    stored: &'a dyn AccountStore,
    file: &'a FileCustomers,
    /// The facts of this contract's lines so far (a handful).
    facts: Mutex<Vec<AccountFact>>,
}

impl<'a> Overlay<'a> {
    pub fn new(stored: &'a dyn AccountStore, file: &'a FileCustomers) -> Self {
        Self { stored, file, facts: Mutex::new(Vec::new()) }
    }

    fn facts(&self) -> std::sync::MutexGuard<'_, Vec<AccountFact>> {
        // Each change is one push: a panic elsewhere leaves the list whole.
        self.facts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn file_holder(&self, tenant_id: &TenantId, contract_id: &ContractId) -> Option<ContractHolder> {
        self.file.holders.get(&(tenant_id.clone(), contract_id.clone())).cloned()
    }
}

#[async_trait]
impl AccountStore for Overlay<'_> {
    /// Already in [`FileCustomers`], from the first pass.
    async fn upsert_customer(&self, _: &CustomerProfile) -> Result<(), PortError> {
        Ok(())
    }

    /// Already in [`FileCustomers`], from the first pass.
    async fn upsert_holder(&self, _: &ContractHolder) -> Result<(), PortError> {
        Ok(())
    }

    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError> {
        self.facts().push(fact.clone());
        Ok(())
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        let stored = self.stored.customer(tenant_id, customer_id).await?;
        let said = self.file.customers.get(&(tenant_id.clone(), customer_id.clone())).cloned();
        Ok(newer(stored, said, |p| p.as_of))
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        let stored = self.stored.holder(tenant_id, contract_id).await?;
        Ok(newer(stored, self.file_holder(tenant_id, contract_id), |h| h.as_of))
    }

    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError> {
        let stored = self.stored.account(tenant_id, contract_id).await?;
        let said_holder = self.file_holder(tenant_id, contract_id);
        let Some(holder) = newer(stored.as_ref().map(|a| a.holder.clone()), said_holder, |h| h.as_of) else {
            return Ok(None);
        };
        let mut account = match stored {
            Some(account) => ContractAccount { holder, ..account },
            None => ContractAccount::assemble(holder, []).map_err(|e| PortError::permanent("preview(account)", e))?,
        };
        let facts: Vec<AccountFact> = self
            .facts()
            .iter()
            .filter(|f| &f.tenant_id == tenant_id && &f.contract_id == contract_id)
            .cloned()
            .collect();
        for fact in facts {
            account.record(fact.stored()).map_err(|e| PortError::permanent("preview(account)", e))?;
        }
        Ok(Some(account))
    }
}
