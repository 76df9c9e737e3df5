//! The stored accounts as they would be once a contract's earlier lines in the file were
//! ingested: what those lines said is kept in memory, newer-wins per slot as the store keeps it,
//! and nothing is written.

use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::PortError;
use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile};
use crate::ids::{ContractId, CustomerId, TenantId};
use crate::ports::AccountStore;

#[allow(missing_debug_implementations)] // trait objects only
pub struct Overlay<'a> {
    stored: &'a dyn AccountStore,
    said: Mutex<Said>,
}

/// What the file's lines said so far (one contract's: a handful of items).
#[derive(Default)]
struct Said {
    customers: Vec<CustomerProfile>,
    holders: Vec<ContractHolder>,
    facts: Vec<AccountFact>,
}

impl<'a> Overlay<'a> {
    pub fn new(stored: &'a dyn AccountStore) -> Self {
        Self { stored, said: Mutex::new(Said::default()) }
    }

    fn said<T>(&self, read: impl FnOnce(&mut Said) -> T) -> T {
        // A panic elsewhere cannot leave these lists half-written: each change is one push or swap.
        let mut said = self.said.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        read(&mut said)
    }
}

/// The newer of what is stored and what the file said; the stored one when they are as new,
/// as the store's conditional write keeps it.
fn newer<T>(stored: Option<T>, said: Option<T>, as_of: impl Fn(&T) -> Timestamp) -> Option<T> {
    match (stored, said) {
        (Some(stored), Some(said)) if as_of(&said) > as_of(&stored) => Some(said),
        (Some(stored), _) => Some(stored),
        (None, said) => said,
    }
}

fn keep_newer<T>(kept: &mut Vec<T>, given: &T, same: impl Fn(&T) -> bool, as_of: impl Fn(&T) -> Timestamp)
where
    T: Clone,
{
    match kept.iter_mut().find(|k| same(k)) {
        Some(k) if as_of(k) < as_of(given) => *k = given.clone(),
        Some(_) => {}
        None => kept.push(given.clone()),
    }
}

#[async_trait]
impl AccountStore for Overlay<'_> {
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        self.said(|said| {
            let same = |p: &CustomerProfile| p.tenant_id == profile.tenant_id && p.customer_id == profile.customer_id;
            keep_newer(&mut said.customers, profile, same, |p| p.as_of);
        });
        Ok(())
    }

    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError> {
        self.said(|said| {
            let same = |h: &ContractHolder| h.tenant_id == holder.tenant_id && h.contract_id == holder.contract_id;
            keep_newer(&mut said.holders, holder, same, |h| h.as_of);
        });
        Ok(())
    }

    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError> {
        self.said(|said| said.facts.push(fact.clone()));
        Ok(())
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        let stored = self.stored.customer(tenant_id, customer_id).await?;
        let said = self.said(|said| {
            said.customers.iter().find(|p| &p.tenant_id == tenant_id && &p.customer_id == customer_id).cloned()
        });
        Ok(newer(stored, said, |p| p.as_of))
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        let stored = self.stored.holder(tenant_id, contract_id).await?;
        Ok(newer(stored, self.said_holder(tenant_id, contract_id), |h| h.as_of))
    }

    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError> {
        let stored = self.stored.account(tenant_id, contract_id).await?;
        let said_holder = self.said_holder(tenant_id, contract_id);
        let Some(holder) = newer(stored.as_ref().map(|a| a.holder.clone()), said_holder, |h| h.as_of) else {
            return Ok(None);
        };
        let mut account = match stored {
            Some(account) => ContractAccount { holder, ..account },
            None => ContractAccount::assemble(holder, []).map_err(|e| PortError::permanent("preview(account)", e))?,
        };
        let facts: Vec<AccountFact> = self.said(|said| {
            said.facts.iter().filter(|f| &f.tenant_id == tenant_id && &f.contract_id == contract_id).cloned().collect()
        });
        for fact in facts {
            account.record(fact.stored()).map_err(|e| PortError::permanent("preview(account)", e))?;
        }
        Ok(Some(account))
    }
}

impl Overlay<'_> {
    fn said_holder(&self, tenant_id: &TenantId, contract_id: &ContractId) -> Option<ContractHolder> {
        self.said(|said| {
            said.holders.iter().find(|h| &h.tenant_id == tenant_id && &h.contract_id == contract_id).cloned()
        })
    }
}
