//! A person's right to be forgotten: every record about them removed, and a report of what went.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::PortError;
use crate::contact::PhoneE164;
use crate::ids::{CustomerId, TenantId};

/// What an erasure removed: records by kind (`profile`, `contract`, `notice`, `delivery`…).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub items: BTreeMap<&'static str, usize>,
}

impl Erased {
    pub fn total(&self) -> usize {
        self.items.values().sum()
    }

    pub fn count(&mut self, kind: &'static str) {
        self.add(kind, 1);
    }

    pub fn add(&mut self, kind: &'static str, count: usize) {
        if count > 0 {
            *self.items.entry(kind).or_default() += count;
        }
    }
}

/// Where the records about people are, and how they are removed: only the store knows its keys.
#[async_trait]
pub trait Erasure: Send + Sync {
    /// Everything about a customer of a tenant: profile, contracts, their notices and deliveries,
    /// letters, complaints, and all that is about their mobile number.
    async fn erase_customer(&self, tenant: &TenantId, customer: &CustomerId) -> Result<Erased, PortError>;
    /// Everything about a citizen known only by their number: conversations, chat replies,
    /// incidents and appointments.
    async fn erase_phone(&self, tenant: &TenantId, phone: &PhoneE164) -> Result<Erased, PortError>;
    /// The customer's mobile number, which their chat records are under.
    async fn mobile_of(&self, tenant: &TenantId, customer: &CustomerId) -> Result<Option<PhoneE164>, PortError>;
    /// The references of the incidents reported from a number.
    async fn incidents_of(&self, tenant: &TenantId, phone: &PhoneE164) -> Result<Vec<String>, PortError>;
}

/// The copies of what people sent (incident photos), kept apart from the records.
#[async_trait]
pub trait MediaErasure: Send + Sync {
    /// Removes every object under `prefix`, every version of it; how many objects there were.
    async fn forget(&self, prefix: &str) -> Result<usize, PortError>;
}

/// A person forgotten: the photos they sent first — found through their incidents, which a retry
/// after a failure still finds — then every record.
#[allow(missing_debug_implementations)] // trait objects only
pub struct Forget<'a> {
    pub records: &'a dyn Erasure,
    pub media: &'a dyn MediaErasure,
}

impl Forget<'_> {
    pub async fn customer(&self, tenant: &TenantId, customer: &CustomerId) -> Result<Erased, PortError> {
        let photos = match self.records.mobile_of(tenant, customer).await? {
            Some(phone) => self.photos(tenant, &phone).await?,
            None => 0,
        };
        let mut erased = self.records.erase_customer(tenant, customer).await?;
        erased.add("photo", photos);
        Ok(erased)
    }

    pub async fn phone(&self, tenant: &TenantId, phone: &PhoneE164) -> Result<Erased, PortError> {
        let photos = self.photos(tenant, phone).await?;
        let mut erased = self.records.erase_phone(tenant, phone).await?;
        erased.add("photo", photos);
        Ok(erased)
    }

    async fn photos(&self, tenant: &TenantId, phone: &PhoneE164) -> Result<usize, PortError> {
        let mut photos = 0;
        for reference in self.records.incidents_of(tenant, phone).await? {
            photos += self.media.forget(&crate::chat::photos::incident_prefix(tenant, &reference)).await?;
        }
        Ok(photos)
    }
}
