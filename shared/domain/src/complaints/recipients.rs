//! A complaint's notice goes to the contract's holder, about the complaint as it stands.

use async_trait::async_trait;

use super::template_values;
use crate::applies::Applies;
use crate::complaints::ports::ComplaintStore;
use crate::compose::{Recipient, Recipients, customer_profile, unknown_contract};
use crate::error::{Error, RejectionCode};
use crate::notice::NoticeSubject;
use crate::ports::AccountStore;
use crate::queues::ComposeJob;
use crate::tenant::TenantSettings;

#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct ComplaintRecipients<'a> {
    pub complaints: &'a dyn ComplaintStore,
    pub accounts: &'a dyn AccountStore,
}

#[async_trait]
impl Recipients for ComplaintRecipients<'_> {
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error> {
        let NoticeSubject::Complaint { reference, step } = &job.subject else {
            return Err(Error::rejected(RejectionCode::RenderFailed, "this notice is not about a complaint"));
        };
        let complaint =
            self.complaints.complaint(&job.tenant_id, reference).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::NotFound, format!("complaint {reference} is not known"))
            })?;
        let account =
            self.accounts.account(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let customer = customer_profile(self.accounts, job, &account.holder.customer_id).await?;
        let locale = customer.language.unwrap_or(settings.default_locale);
        let values = serde_json::json!({
            "locale": locale,
            "customer": { "name": customer.name },
            "contract_id": account.holder.contract_id,
            // The step's own news, though a later step may have come before it was composed.
            "complaint": template_values(&complaint.as_of_step(*step), &settings.time_zone),
        });
        Ok(Applies::Yes(Recipient {
            postal_address: account.holder.supply_point.address.to_string(),
            customer,
            values: values.into(),
            account: Some(account),
        }))
    }
}
