//! Composing a notice: who it is for, on which channels, in which language, with what content.

mod messages;
pub(crate) use messages::{Fit, render_fitting};
mod subjects;

pub use subjects::MAX_ATTACHMENT_BYTES;

use crate::account::{ContractAccount, CustomerProfile};
use crate::clock::Clock;
use crate::error::{Error, RejectionCode};
use crate::ids::CustomerId;
use crate::notice::NoticeSubject;
use crate::notice::{Channel, ComposeJob, DeliveryJob, Destination, Notice};
use crate::ports::{
    AccountStore, AlertSubscriptions, ComplaintStore, DispatchQueue, NoticeRenderer, NoticeStore, OutageStore,
    Suppressions, TenantDirectory,
};
use crate::print::{PrintLetter, PrintQueue};
use crate::tenant::TenantSettings;
use messages::Written;

/// What composing one job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    New {
        channels: Vec<Channel>,
    },
    /// The notice existed (a redelivered job): its deliveries were queued again, which the
    /// dispatcher's claims make harmless.
    AlreadyComposed {
        channels: Vec<Channel>,
    },
    /// A reminder whose reason went away before it fired (paid, rescheduled…): nothing is sent.
    NotApplicable {
        reason: String,
    },
}

/// Who a notice is for, and what its templates get.
struct Recipient {
    customer: CustomerProfile,
    postal_address: String,
    /// The contract's account, for billing notices.
    account: Option<ContractAccount>,
    values: serde_json::Value,
}

fn unknown_contract(job: &ComposeJob) -> Error {
    Error::rejected(RejectionCode::UnknownContract, format!("contract {} is not known", job.contract_id))
}

/// The ports composing needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Compose<'a> {
    pub accounts: &'a dyn AccountStore,
    pub notices: &'a dyn NoticeStore,
    pub renderer: &'a dyn NoticeRenderer,
    pub dispatch: &'a dyn DispatchQueue,
    pub suppressions: &'a dyn Suppressions,
    pub tenants: &'a dyn TenantDirectory,
    /// Planned outages, for their alerts.
    pub outages: &'a dyn OutageStore,
    /// Subscribers without a contract, for outage alerts.
    pub subscriptions: &'a dyn AlertSubscriptions,
    /// Billing complaints, for their steps' notices.
    pub complaints: &'a dyn ComplaintStore,
    /// Where letters wait for the night's print batch.
    pub print: &'a dyn PrintQueue,
    pub clock: &'a dyn Clock,
    /// The deployment's settings, for tenants with none of their own.
    pub defaults: &'a TenantSettings,
}

impl Compose<'_> {
    pub async fn handle(&self, job: &ComposeJob) -> Result<Composed, Error> {
        if let Some(existing) = self.notices.notice(&job.tenant_id, &job.notice_id).await? {
            let channels = self.enqueue_deliveries(&existing).await?;
            return Ok(Composed::AlreadyComposed { channels });
        }
        let notice = match self.compose(job).await? {
            Ok(notice) => notice,
            Err(reason) => return Ok(Composed::NotApplicable { reason }),
        };
        if !self.notices.create(&notice).await? {
            // Another invocation composed it first; deliver what was recorded.
            let recorded = self.notices.notice(&job.tenant_id, &job.notice_id).await?;
            let recorded = recorded.ok_or_else(|| Error::InProgress { key: job.notice_id.to_string() })?;
            let channels = self.enqueue_deliveries(&recorded).await?;
            return Ok(Composed::AlreadyComposed { channels });
        }
        let channels = self.enqueue_deliveries(&notice).await?;
        Ok(Composed::New { channels })
    }

    /// The notice, or why it no longer applies.
    async fn compose(&self, job: &ComposeJob) -> Result<Result<Notice, String>, Error> {
        let settings = self.settings(job).await?;
        let recipient = match &job.subject {
            NoticeSubject::OutageAlert { .. } => self.outage_recipient(job, &settings).await?,
            NoticeSubject::Complaint { reference, .. } => self.complaint_recipient(job, reference, &settings).await?,
            _ => self.account_recipient(job, &settings).await?,
        };
        let recipient = match recipient {
            Ok(recipient) => recipient,
            Err(not_applicable) => return Ok(Err(not_applicable)),
        };
        let locale = recipient.customer.language.unwrap_or(settings.default_locale);
        let Written { messages, reason, content_hash } = match self.write(job, &recipient, locale, &settings).await? {
            Ok(written) => written,
            Err(no_channel_left) => return Ok(Err(no_channel_left)),
        };
        Ok(Ok(Notice {
            tenant_id: job.tenant_id.clone(),
            notice_id: job.notice_id.clone(),
            contract_id: Some(job.contract_id.clone()),
            kind: job.subject.kind(),
            locale,
            messages,
            channel_reason: reason,
            content_hash,
            cause: job.cause.clone(),
            created_at: self.clock.now(),
            subject: job.subject.clone(),
            fallback_of: job.fallback.as_ref().map(|f| f.of.clone()),
            recipient: Some(recipient.customer.name.to_string()),
        }))
    }

    /// A billing notice's recipient: the contract's holder, with the whole account.
    async fn account_recipient(
        &self,
        job: &ComposeJob,
        settings: &TenantSettings,
    ) -> Result<Result<Recipient, String>, Error> {
        let account =
            self.accounts.account(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let customer = self.customer(job, &account.holder.customer_id).await?;
        let locale = customer.language.unwrap_or(settings.default_locale);
        Ok(subjects::template_values(&job.subject, &customer, &account, locale)?.map(|values| Recipient {
            postal_address: account.holder.supply_point.address.to_string(),
            customer,
            values,
            account: Some(account),
        }))
    }

    /// An outage alert's recipient: the holder of a contract the outage reaches, or a
    /// subscriber at its supply point.
    async fn outage_recipient(
        &self,
        job: &ComposeJob,
        settings: &TenantSettings,
    ) -> Result<Result<Recipient, String>, Error> {
        let NoticeSubject::OutageAlert { outage_id, revision, stage, subscriber, .. } = &job.subject else {
            unreachable!("only outage alerts come here")
        };
        let outage =
            self.outages.outage(&job.tenant_id, outage_id).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::UnknownOutage, format!("outage {outage_id} is not known"))
            })?;
        if let Some(reason) = crate::outage::stale(&outage, *revision, *stage) {
            return Ok(Err(reason));
        }
        let holder =
            self.accounts.holder(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let customer = match subscriber {
            None => self.customer(job, &holder.customer_id).await?,
            Some(subscriber_id) => {
                let subscriptions = self.subscriptions.subscribers(&job.tenant_id, &job.contract_id).await?;
                match subscriptions.into_iter().find(|s| &s.subscriber_id == subscriber_id) {
                    Some(subscription) => subscription.as_profile(),
                    None => return Ok(Err(format!("subscriber {subscriber_id} unsubscribed"))),
                }
            }
        };
        let locale = customer.language.unwrap_or(settings.default_locale);
        let values = crate::outage::template_values(&outage, *stage, locale)?;
        Ok(Ok(Recipient { postal_address: holder.supply_point.address.to_string(), customer, values, account: None }))
    }

    /// A complaint's notice: to the contract's holder, about the complaint as it stands.
    async fn complaint_recipient(
        &self,
        job: &ComposeJob,
        reference: &str,
        settings: &TenantSettings,
    ) -> Result<Result<Recipient, String>, Error> {
        let complaint =
            self.complaints.complaint(&job.tenant_id, reference).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::NotFound, format!("complaint {reference} is not known"))
            })?;
        let account =
            self.accounts.account(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let customer = self.customer(job, &account.holder.customer_id).await?;
        let locale = customer.language.unwrap_or(settings.default_locale);
        let values = serde_json::json!({
            "locale": locale,
            "customer": { "name": customer.name },
            "contract_id": account.holder.contract_id,
            "complaint": crate::complaints::template_values(&complaint, &settings.time_zone),
        });
        Ok(Ok(Recipient {
            postal_address: account.holder.supply_point.address.to_string(),
            customer,
            values,
            account: Some(account),
        }))
    }

    async fn customer(&self, job: &ComposeJob, customer_id: &CustomerId) -> Result<CustomerProfile, Error> {
        self.accounts.customer(&job.tenant_id, customer_id).await?.ok_or_else(|| {
            Error::rejected(
                RejectionCode::UnknownContract,
                format!("customer {customer_id} of contract {} is not known", job.contract_id),
            )
        })
    }

    async fn settings(&self, job: &ComposeJob) -> Result<TenantSettings, Error> {
        let stored = self.tenants.settings(&job.tenant_id).await?;
        Ok(stored.unwrap_or_else(|| self.defaults.clone()))
    }

    /// Queues one delivery job per electronic channel, and the letter for paper. Safe to repeat.
    async fn enqueue_deliveries(&self, notice: &Notice) -> Result<Vec<Channel>, Error> {
        for message in notice.messages.iter().filter(|m| m.destination.channel() == Channel::Paper) {
            let (Destination::Paper(postal_address), Some(contract_id)) = (&message.destination, &notice.contract_id)
            else {
                continue;
            };
            let letter = PrintLetter {
                tenant_id: notice.tenant_id.clone(),
                notice_id: notice.notice_id.clone(),
                contract_id: contract_id.clone(),
                kind: notice.kind,
                locale: notice.locale,
                recipient: notice.recipient.clone().unwrap_or_default(),
                postal_address: postal_address.clone(),
                document: message.attachment.clone(),
                subject: message.content.as_ref().and_then(|c| c.subject.clone()),
                body: message.content.as_ref().map(|c| c.text.clone()),
                queued_on: notice.created_at.to_zoned(jiff::tz::TimeZone::UTC).date(),
            };
            self.print.add(&letter).await?;
        }
        let channels: Vec<Channel> = notice.electronic_channels().collect();
        let jobs: Vec<DeliveryJob> = channels
            .iter()
            .map(|channel| {
                DeliveryJob::new(notice.tenant_id.clone(), notice.notice_id.clone(), *channel, notice.kind.urgent())
            })
            .collect();
        self.dispatch.enqueue_all(&jobs).await?;
        Ok(channels)
    }
}

#[cfg(test)]
mod tests;
