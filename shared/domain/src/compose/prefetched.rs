//! What notices read about their citizens (the contract's holder, the customer, whether their
//! addresses are suppressed), fetched for many at once in a few batch requests instead of three
//! reads per citizen: a chunk of a send's hundred contracts, a composer batch's ten jobs. Anything
//! not fetched (a subscriber's address, a contract not asked for) and every write still goes to
//! the store.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile};
use crate::error::PortError;
use crate::ids::{ContractId, CustomerId, TenantId, by_tenant};
use crate::notice::Destination;
use crate::ports::{AccountStore, Suppressions};

#[allow(missing_debug_implementations)] // trait objects only
pub struct Prefetched<'a> {
    accounts: &'a dyn AccountStore,
    suppressions: &'a dyn Suppressions,
    /// Every contract asked for: `None` for one with no holder, so that is not asked again.
    holders: HashMap<(TenantId, ContractId), Option<ContractHolder>>,
    customers: HashMap<(TenantId, CustomerId), Option<CustomerProfile>>,
    /// Every address of those customers a notice could use, and whether it is suppressed.
    suppressed: HashMap<(TenantId, Destination), bool>,
}

impl<'a> Prefetched<'a> {
    /// Nothing fetched yet: every read goes to the store.
    pub fn nothing(accounts: &'a dyn AccountStore, suppressions: &'a dyn Suppressions) -> Self {
        Self { accounts, suppressions, holders: HashMap::new(), customers: HashMap::new(), suppressed: HashMap::new() }
    }

    /// The holders of one tenant's `contracts`, their customers and those customers' addresses'
    /// suppressions: three batched reads for the lot.
    pub async fn read(
        accounts: &'a dyn AccountStore,
        suppressions: &'a dyn Suppressions,
        tenant_id: &TenantId,
        contracts: &[ContractId],
    ) -> Result<Self, PortError> {
        let mut prefetched = Self::nothing(accounts, suppressions);
        prefetched.fetch(tenant_id, contracts).await?;
        Ok(prefetched)
    }

    /// The same for contracts of any tenants (a composer batch's jobs), three batched reads a
    /// tenant. Best-effort: what could not be read is read one at a time when it is needed.
    pub async fn read_for(
        accounts: &'a dyn AccountStore,
        suppressions: &'a dyn Suppressions,
        jobs: impl IntoIterator<Item = (TenantId, ContractId)>,
    ) -> Self {
        let mut prefetched = Self::nothing(accounts, suppressions);
        for (tenant_id, contracts) in by_tenant(jobs) {
            if let Err(error) = prefetched.fetch(&tenant_id, &contracts).await {
                tracing::info!(%tenant_id, error = %error.chain(), "batch read failed: reading one at a time");
            }
        }
        prefetched
    }

    async fn fetch(&mut self, tenant_id: &TenantId, contracts: &[ContractId]) -> Result<(), PortError> {
        let holders = self.accounts.holders(tenant_id, contracts).await?;
        let customer_ids: HashSet<&CustomerId> = holders.iter().map(|h| &h.customer_id).collect();
        let customer_ids: Vec<CustomerId> = customer_ids.into_iter().cloned().collect();
        let customers = self.accounts.customers(tenant_id, &customer_ids).await?;
        let addresses: HashSet<Destination> = customers.iter().flat_map(addresses_of).collect();
        let addresses: Vec<Destination> = addresses.into_iter().collect();
        let suppressed: HashSet<Destination> =
            self.suppressions.suppressed_among(tenant_id, &addresses).await?.into_iter().collect();
        // Recorded only once all three reads answered, so nothing is half known.
        let tenant = || tenant_id.clone();
        self.holders.extend(contracts.iter().map(|c| ((tenant(), c.clone()), None)));
        self.holders.extend(holders.into_iter().map(|h| ((tenant(), h.contract_id.clone()), Some(h))));
        self.customers.extend(customer_ids.into_iter().map(|c| ((tenant(), c), None)));
        self.customers.extend(customers.into_iter().map(|c| ((tenant(), c.customer_id.clone()), Some(c))));
        self.suppressed.extend(addresses.into_iter().map(|d| {
            let is_suppressed = suppressed.contains(&d);
            ((tenant(), d), is_suppressed)
        }));
        Ok(())
    }
}

/// The customer's addresses most notices go to: email and SMS. (WhatsApp is a channel only for
/// tenants with a number of their own: read when a notice would use it, not for every citizen.)
fn addresses_of(customer: &CustomerProfile) -> Vec<Destination> {
    let email = customer.email.iter().cloned().map(Destination::Email);
    email.chain(customer.mobile.iter().cloned().map(Destination::Sms)).collect()
}

#[async_trait]
impl AccountStore for Prefetched<'_> {
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        self.accounts.upsert_customer(profile).await
    }

    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError> {
        self.accounts.upsert_holder(holder).await
    }

    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError> {
        self.accounts.record_fact(fact).await
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        match self.customers.get(&(tenant_id.clone(), customer_id.clone())) {
            Some(customer) => Ok(customer.clone()),
            None => self.accounts.customer(tenant_id, customer_id).await,
        }
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        match self.holders.get(&(tenant_id.clone(), contract_id.clone())) {
            Some(holder) => Ok(holder.clone()),
            None => self.accounts.holder(tenant_id, contract_id).await,
        }
    }

    // Batch reads go to the store's own batch reads (a chunk's, made under a composer batch's).
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

#[async_trait]
impl Suppressions for Prefetched<'_> {
    async fn is_suppressed(&self, tenant_id: &TenantId, destination: &Destination) -> Result<bool, PortError> {
        match self.suppressed.get(&(tenant_id.clone(), destination.clone())) {
            Some(suppressed) => Ok(*suppressed),
            None => self.suppressions.is_suppressed(tenant_id, destination).await,
        }
    }

    async fn suppressed_among(
        &self,
        tenant_id: &TenantId,
        destinations: &[Destination],
    ) -> Result<Vec<Destination>, PortError> {
        self.suppressions.suppressed_among(tenant_id, destinations).await
    }

    async fn suppress(
        &self,
        tenant_id: &TenantId,
        destination: &Destination,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), PortError> {
        self.suppressions.suppress(tenant_id, destination, reason, at).await
    }
}

#[cfg(all(test, feature = "fakes"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::contact::Email;
    use crate::fakes::{self, Fakes};

    /// Contract `CT-1` of `tenant`, held by a customer of that tenant with `email`.
    async fn household(f: &Fakes, tenant: &TenantId, customer: &str, email: &str) {
        let mut profile = fakes::customer_profile();
        profile.tenant_id = tenant.clone();
        profile.customer_id = CustomerId::parse(customer).unwrap();
        profile.email = Some(Email::parse(email).unwrap());
        f.accounts.upsert_customer(&profile).await.unwrap();
        let mut holder = fakes::contract_holder();
        holder.tenant_id = tenant.clone();
        holder.contract_id = ContractId::parse("CT-1").unwrap();
        holder.customer_id = profile.customer_id;
        f.accounts.upsert_holder(&holder).await.unwrap();
    }

    #[tokio::test]
    async fn a_batchs_citizens_are_read_together_each_tenants_its_own_and_the_rest_from_the_store() {
        // GIVEN two tenants whose contract CT-1 is held by different customers with the same email,
        // suppressed by the first tenant only
        let f = Fakes::default();
        let (reus, lleida) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
        household(&f, &reus, "CU-R", "same@example.cat").await;
        household(&f, &lleida, "CU-L", "same@example.cat").await;
        let email = Destination::Email(Email::parse("same@example.cat").unwrap());
        f.suppressions.suppress(&reus, &email, "bounced", crate::clock::Clock::now(&f.clock)).await.unwrap();
        // WHEN a batch's jobs are for CT-1 of each, and a contract the first tenant does not have
        let (ct1, ct404) = (ContractId::parse("CT-1").unwrap(), ContractId::parse("CT-404").unwrap());
        let jobs = [(reus.clone(), ct1.clone()), (lleida.clone(), ct1.clone()), (reus.clone(), ct404.clone())];
        let read = Prefetched::read_for(&f.accounts, &f.suppressions, jobs).await;
        // THEN each tenant's holder, customer and suppression are its own, none read one at a time
        let holder = read.holder(&lleida, &ct1).await.unwrap().unwrap();
        assert_eq!(holder.customer_id.as_str(), "CU-L");
        let customer = read.customer(&reus, &CustomerId::parse("CU-R").unwrap()).await.unwrap().unwrap();
        assert_eq!(customer.tenant_id, reus);
        assert!(read.is_suppressed(&reus, &email).await.unwrap());
        assert!(!read.is_suppressed(&lleida, &email).await.unwrap());
        assert!(read.holder(&reus, &ct404).await.unwrap().is_none());
        assert_eq!((f.accounts.single_reads(), f.suppressions.single_reads()), (0, 0));
        // and what was not asked for is read from the store
        assert!(read.holder(&lleida, &ct404).await.unwrap().is_none());
        assert_eq!(f.accounts.single_reads(), 1);
    }
}
