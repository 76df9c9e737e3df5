//! Every item holding personal data gets `expires_at` (the table's TTL attribute) from its
//! tenant's retention settings, by the kind its key says it is, each time it is written: kept
//! this long after its last change.

use std::time::Duration;

use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;
use avisa_domain::retention::{Kept, Retention};

use super::{DynamoStore, Item, n};

/// Tenants change their settings seldom; a warm container reads them again after this.
pub(crate) const FRESH_FOR: Duration = Duration::from_mins(5);

/// What an item is and whose, from its keys: `T#{tenant}#{KIND}#…`, a letter `PRINT#{day}` /
/// `T#{tenant}#…`, a provider id `PROVIDER#…` (tenant in its `tenant_id`). `None`: no personal data.
pub(crate) fn kept(item: &Item) -> Option<(String, Kept)> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str);
    let pk = text("pk")?;
    if pk.starts_with("PRINT#") {
        let tenant = text("sk")?.strip_prefix("T#")?.split('#').next()?;
        return Some((tenant.to_owned(), Kept::Letters));
    }
    if pk.starts_with("PROVIDER#") {
        return Some((text("tenant_id")?.to_owned(), Kept::Notices));
    }
    let mut parts = pk.strip_prefix("T#")?.split('#');
    let tenant = parts.next()?;
    let kind = match parts.next()? {
        "CUST" | "CONTRACT" => Kept::Accounts,
        "NOTICE" => Kept::Notices,
        "CONV" => Kept::Conversations,
        "INCIDENT" | "APPOINTMENT" | "COMPLAINT" => Kept::Cases,
        _ => return None,
    };
    Some((tenant.to_owned(), kind))
}

impl DynamoStore {
    /// The tenant's retention settings (the documented defaults for a tenant with none).
    async fn retention_of(&self, tenant: &str) -> Result<Retention, PortError> {
        if let Some(retention) = self.recent.retention.get(tenant) {
            return Ok(retention);
        }
        let retention = match TenantId::parse(tenant) {
            Ok(id) => self.settings(&id).await?.map(|s| s.retention).unwrap_or_default(),
            Err(_) => Retention::default(),
        };
        self.recent.retention.put(tenant, retention);
        Ok(retention)
    }

    /// Sets the item's `expires_at` from its tenant's retention, unless it holds no personal data
    /// or sets its own.
    pub(crate) async fn stamp_expiry(&self, item: &mut Item) -> Result<(), PortError> {
        if item.contains_key("expires_at") {
            return Ok(());
        }
        let Some((tenant, kind)) = kept(item) else { return Ok(()) };
        let until = self.retention_of(&tenant).await?.until(kind, jiff::Timestamp::now());
        item.insert("expires_at".to_owned(), n(until.as_second()));
        Ok(())
    }

    /// The `expires_at` of an item with these keys written now, if it holds personal data.
    pub(crate) async fn expiry_of(&self, pk: &str, sk: &str) -> Result<Option<i64>, PortError> {
        let mut item = Item::from([("pk".to_owned(), super::s(pk)), ("sk".to_owned(), super::s(sk))]);
        self.stamp_expiry(&mut item).await?;
        Ok(item.get("expires_at").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pk: &str, sk: &str) -> Item {
        Item::from([("pk".to_owned(), super::super::s(pk)), ("sk".to_owned(), super::super::s(sk))])
    }

    #[test]
    fn an_items_keys_say_what_it_keeps_and_whose() {
        assert_eq!(kept(&item("T#reus#CUST#CU-1", "PROFILE")), Some(("reus".into(), Kept::Accounts)));
        assert_eq!(kept(&item("T#reus#CONV#+34600111222", "STATE")), Some(("reus".into(), Kept::Conversations)));
        assert_eq!(kept(&item("T#reus#COMPLAINT#R-1", "META")), Some(("reus".into(), Kept::Cases)));
        assert_eq!(kept(&item("PRINT#2026-12-01", "T#reus#n-1")), Some(("reus".into(), Kept::Letters)));
        assert_eq!(kept(&item("T#reus#OUTAGE#o-1", "META")), None);
        assert_eq!(kept(&item("TENANT#reus", "CONFIG")), None);
    }
}
