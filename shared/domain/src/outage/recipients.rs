//! An outage alert's recipient: the holder of a contract the outage reaches, or a subscriber at
//! its supply point; none once the outage has moved on since the alert was scheduled.

use async_trait::async_trait;

use super::audience::template_values;
use crate::PortError;
use crate::applies::{Applies, applies_or_return};
use crate::compose::{Recipient, Recipients, customer_profile, unknown_contract};
use crate::error::{Error, RejectionCode};
use crate::ids::{OutageId, TenantId};
use crate::notice::{AlertStage, NoticeSubject};
use crate::outage::ports::{AlertSubscriptions, OutageStore};
use crate::outage::{Outage, OutageStatus};
use crate::ports::AccountStore;
use crate::queues::ComposeJob;
use crate::tenant::TenantSettings;

/// Why an alert no longer applies, if it does not: the outage moved on since it was scheduled.
pub(crate) fn stale(outage: &Outage, revision: u32, stage: AlertStage) -> Option<String> {
    if outage.revision != revision {
        return Some(format!(
            "alert of revision {revision}; outage {} is at revision {}",
            outage.outage_id, outage.revision
        ));
    }
    let expected = match stage {
        AlertStage::Advance | AlertStage::Correction => OutageStatus::Confirmed,
        AlertStage::Cancellation => OutageStatus::Cancelled,
        AlertStage::Restored => OutageStatus::Ended,
    };
    (outage.status != expected)
        .then(|| format!("a {} alert, but outage {} is {}", stage.as_str(), outage.outage_id, outage.status.as_str()))
}

#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct OutageRecipients<'a> {
    pub outages: &'a dyn OutageStore,
    pub accounts: &'a dyn AccountStore,
    /// Subscribers without a contract.
    pub subscriptions: &'a dyn AlertSubscriptions,
}

#[async_trait]
impl Recipients for OutageRecipients<'_> {
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error> {
        let NoticeSubject::OutageAlert { outage_id, revision, stage, subscriber, .. } = &job.subject else {
            return Err(Error::rejected(RejectionCode::RenderFailed, "this notice is not an outage alert"));
        };
        let outage =
            self.outages.outage(&job.tenant_id, outage_id).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::UnknownOutage, format!("outage {outage_id} is not known"))
            })?;
        if let Some(reason) = stale(&outage, *revision, *stage) {
            return Ok(Applies::No(reason));
        }
        let holder =
            self.accounts.holder(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let customer = applies_or_return!(match subscriber {
            None => Applies::Yes(customer_profile(self.accounts, job, &holder.customer_id).await?),
            Some(subscriber_id) => {
                let subscriptions = self.subscriptions.subscribers(&job.tenant_id, &job.contract_id).await?;
                match subscriptions.into_iter().find(|s| &s.subscriber_id == subscriber_id) {
                    Some(subscription) => Applies::Yes(subscription.as_profile()),
                    None => Applies::No(format!("subscriber {subscriber_id} unsubscribed")),
                }
            }
        });
        let locale = customer.language.unwrap_or(settings.default_locale);
        let values = template_values(&outage, *stage, locale)?;
        let postal_address = holder.supply_point.address.to_string();
        Ok(Applies::Yes(Recipient { postal_address, customer, values: values.into(), account: None }))
    }
}

/// The outage a chunk's alerts are about, read once for the whole chunk instead of once per
/// citizen; any other outage, and every write, goes to the store.
pub(crate) struct KnownOutage<'a> {
    pub outage: &'a Outage,
    pub store: &'a dyn OutageStore,
}

#[async_trait]
impl OutageStore for KnownOutage<'_> {
    async fn create(&self, outage: &Outage) -> Result<bool, PortError> {
        self.store.create(outage).await
    }

    async fn outage(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Option<Outage>, PortError> {
        if (&self.outage.tenant_id, &self.outage.outage_id) == (tenant_id, outage_id) {
            return Ok(Some(self.outage.clone()));
        }
        self.store.outage(tenant_id, outage_id).await
    }

    async fn save(&self, outage: &Outage) -> Result<bool, PortError> {
        self.store.save(outage).await
    }

    async fn list(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Outage>, PortError> {
        self.store.list(tenant_id, limit).await
    }
}
