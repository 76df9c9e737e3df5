//! An outage alert's recipient: the holder of a contract the outage reaches, or a subscriber at
//! its supply point; none once the outage has moved on since the alert was scheduled.

use async_trait::async_trait;

use super::alerts::stale;
use super::audience::template_values;
use crate::applies::{Applies, applies_or_return};
use crate::compose::{Recipient, Recipients, customer_profile, unknown_contract};
use crate::error::{Error, RejectionCode};
use crate::notice::NoticeSubject;
use crate::outage::ports::{AlertSubscriptions, OutageStore};
use crate::ports::AccountStore;
use crate::queues::ComposeJob;
use crate::tenant::TenantSettings;

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
        Ok(Applies::Yes(Recipient { postal_address, customer, values, account: None }))
    }
}
