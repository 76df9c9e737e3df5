//! A dispatcher batch's notices, read together: one batch read for the batch's deliveries instead
//! of a read each. Notices are never changed once recorded, so a copy read at the start of the
//! batch is the notice. Anything not fetched, and every write, goes to the store.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::error::PortError;
use crate::ids::{ContractId, NoticeId, TenantId, by_tenant};
use crate::notice::Notice;
use crate::ports::NoticeStore;

#[allow(missing_debug_implementations)] // trait objects only
pub struct PrefetchedNotices<'a> {
    store: &'a dyn NoticeStore,
    notices: HashMap<(TenantId, NoticeId), Notice>,
}

impl<'a> PrefetchedNotices<'a> {
    /// The notices `deliveries` name, one batch read a tenant. Best-effort: a tenant's batch read
    /// that fails is logged, and its notices are read one at a time when they are needed.
    pub async fn read_for(
        store: &'a dyn NoticeStore,
        deliveries: impl IntoIterator<Item = (TenantId, NoticeId)>,
    ) -> Self {
        let mut notices = HashMap::new();
        for (tenant_id, ids) in by_tenant(deliveries) {
            match store.notices_among(&tenant_id, &ids).await {
                Ok(found) => notices.extend(found.into_iter().map(|n| ((n.tenant_id.clone(), n.notice_id.clone()), n))),
                Err(error) => {
                    tracing::info!(%tenant_id, error = %error.chain(), "batch read failed: reading one at a time");
                }
            }
        }
        Self { store, notices }
    }
}

#[async_trait]
impl NoticeStore for PrefetchedNotices<'_> {
    async fn create(&self, notice: &Notice) -> Result<bool, PortError> {
        self.store.create(notice).await
    }

    async fn notice(&self, tenant_id: &TenantId, notice_id: &NoticeId) -> Result<Option<Notice>, PortError> {
        match self.notices.get(&(tenant_id.clone(), notice_id.clone())) {
            Some(notice) => Ok(Some(notice.clone())),
            None => self.store.notice(tenant_id, notice_id).await,
        }
    }

    async fn notices_among(&self, tenant_id: &TenantId, notice_ids: &[NoticeId]) -> Result<Vec<Notice>, PortError> {
        self.store.notices_among(tenant_id, notice_ids).await
    }

    async fn history(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        limit: usize,
    ) -> Result<Vec<Notice>, PortError> {
        self.store.history(tenant_id, contract_id, limit).await
    }
}

#[cfg(all(test, feature = "fakes"))]
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes};

    #[tokio::test]
    async fn a_batchs_notices_are_read_once_per_tenant_and_never_mixed_across_tenants() {
        // GIVEN two tenants whose notices share an id, and a third notice not recorded
        let f = Fakes::with_notice().await;
        let ours = f.notices.only();
        let other_tenant = TenantId::parse("aigues-reus-bis").unwrap();
        let theirs = Notice { tenant_id: other_tenant.clone(), channel_reason: "theirs".into(), ..ours.clone() };
        f.notices.replace(theirs);
        let missing = NoticeId::parse("ntc-missing").unwrap();
        // WHEN a batch naming all three reads them
        let deliveries = [
            (fakes::tenant(), ours.notice_id.clone()),
            (other_tenant.clone(), ours.notice_id.clone()),
            (fakes::tenant(), missing.clone()),
        ];
        let prefetched = PrefetchedNotices::read_for(&f.notices, deliveries).await;
        // THEN each tenant gets its own notice without a read of its own
        let read = prefetched.notice(&other_tenant, &ours.notice_id).await.unwrap().unwrap();
        assert_eq!(read.channel_reason, "theirs");
        assert_eq!(prefetched.notice(&fakes::tenant(), &ours.notice_id).await.unwrap().unwrap(), ours);
        assert_eq!(f.notices.single_reads(), 0);
        // AND one that was not found is asked of the store, and is still not there
        assert!(prefetched.notice(&fakes::tenant(), &missing).await.unwrap().is_none());
        assert_eq!(f.notices.single_reads(), 1);
    }
}
