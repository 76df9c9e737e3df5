//! Who a notice is for and what its templates get, found by the kind of its subject: the
//! contract's holder for billing notices (here); outages, complaints and announcements bring their own
//! [`Recipients`], so composing knows none of their stores.

use async_trait::async_trait;

use super::subjects;
use crate::account::{ContractAccount, CustomerProfile};
use crate::applies::Applies;
use crate::error::{Error, RejectionCode};
use crate::ids::CustomerId;
use crate::notice::NoticeSubject;
use crate::ports::{AccountStore, TemplateValues};
use crate::queues::ComposeJob;
use crate::tenant::TenantSettings;

/// Who a notice is for, and what its templates get.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub customer: CustomerProfile,
    pub postal_address: String,
    /// The contract's account, for billing notices (their attachments come from it).
    pub account: Option<ContractAccount>,
    pub values: TemplateValues,
}

/// Finds the recipient of one kind of notice.
#[async_trait]
pub trait Recipients: Send + Sync {
    /// `Applies::No` when the notice's reason went away (paid, rescheduled, unsubscribed).
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error>;
}

/// The recipients of every kind of subject, each from its own finder.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct BySubject<'a> {
    /// Billing notices: the contract's holder.
    pub accounts: &'a dyn Recipients,
    pub outages: &'a dyn Recipients,
    pub complaints: &'a dyn Recipients,
    pub announcements: &'a dyn Recipients,
}

#[async_trait]
impl Recipients for BySubject<'_> {
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error> {
        let finder = match &job.subject {
            NoticeSubject::OutageAlert { .. } => self.outages,
            NoticeSubject::Complaint { .. } => self.complaints,
            NoticeSubject::Announcement { .. } => self.announcements,
            _ => self.accounts,
        };
        finder.recipient(job, settings).await
    }
}

/// A billing notice's recipient: the contract's holder, with the whole account.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct AccountHolders<'a> {
    pub accounts: &'a dyn AccountStore,
}

#[async_trait]
impl Recipients for AccountHolders<'_> {
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error> {
        let account =
            self.accounts.account(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let customer = customer_profile(self.accounts, job, &account.holder.customer_id).await?;
        let locale = customer.language.unwrap_or(settings.default_locale);
        Ok(subjects::template_values(&job.subject, &customer, &account, locale)?.map(|values| Recipient {
            postal_address: account.holder.supply_point.address.to_string(),
            customer,
            values: values.into(),
            account: Some(account),
        }))
    }
}

pub fn unknown_contract(job: &ComposeJob) -> Error {
    Error::rejected(RejectionCode::UnknownContract, format!("contract {} is not known", job.contract_id))
}

/// The profile of the customer the job's contract names.
pub async fn customer_profile(
    accounts: &dyn AccountStore,
    job: &ComposeJob,
    customer_id: &CustomerId,
) -> Result<CustomerProfile, Error> {
    accounts.customer(&job.tenant_id, customer_id).await?.ok_or_else(|| {
        Error::rejected(
            RejectionCode::UnknownContract,
            format!("customer {customer_id} of contract {} is not known", job.contract_id),
        )
    })
}
