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
        *self.items.entry(kind).or_default() += 1;
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
}
