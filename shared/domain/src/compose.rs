//! Composing a notice: who it is for, on which channels, in which language, with what content.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::account::{ContractAccount, CustomerProfile};
use crate::billing::InvoiceIssued;
use crate::channels::{self, ChannelChoice};
use crate::clock::Clock;
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::InvoiceNumber;
use crate::money::Money;
use crate::notice::{Channel, ChannelMessage, ComposeJob, DeliveryJob, Notice, NoticeSubject};
use crate::ports::{AccountStore, DispatchQueue, NoticeRenderer, NoticeStore, SmsRules, Suppressions, TemplateKey};

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
}

/// The ports composing needs, and the tenant-wide default language.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Compose<'a> {
    pub accounts: &'a dyn AccountStore,
    pub notices: &'a dyn NoticeStore,
    pub renderer: &'a dyn NoticeRenderer,
    pub dispatch: &'a dyn DispatchQueue,
    pub suppressions: &'a dyn Suppressions,
    pub clock: &'a dyn Clock,
    pub default_locale: Locale,
    pub sms_rules: SmsRules,
}

impl Compose<'_> {
    pub async fn handle(&self, job: &ComposeJob) -> Result<Composed, Error> {
        if let Some(existing) = self.notices.notice(&job.tenant_id, &job.notice_id).await? {
            let channels = self.enqueue_deliveries(&existing).await?;
            return Ok(Composed::AlreadyComposed { channels });
        }
        let notice = self.compose(job).await?;
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

    async fn compose(&self, job: &ComposeJob) -> Result<Notice, Error> {
        let account = self.accounts.account(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| {
            Error::rejected(RejectionCode::UnknownContract, format!("contract {} is not known", job.contract_id))
        })?;
        let holder = &account.holder;
        let customer = self.accounts.customer(&job.tenant_id, &holder.customer_id).await?.ok_or_else(|| {
            Error::rejected(
                RejectionCode::UnknownContract,
                format!("customer {} of contract {} is not known", holder.customer_id, job.contract_id),
            )
        })?;
        let NoticeSubject::InvoiceAvailable { invoice_number } = &job.subject;
        let invoice = account.invoice(invoice_number).and_then(|state| state.issued.as_ref()).ok_or_else(|| {
            Error::rejected(
                RejectionCode::InvalidField,
                format!("invoice {invoice_number} of contract {} has not been issued", job.contract_id),
            )
        })?;

        let locale = customer.language.unwrap_or(self.default_locale);
        let ChannelChoice { destinations, reason: channel_reason } = channels::choose(
            &job.tenant_id,
            &customer,
            holder.supply_point.address.as_str(),
            job.subject.kind(),
            self.suppressions,
        )
        .await?;
        let template_values = invoice_context(&customer, &invoice.value, &account, locale);
        let mut hasher = Sha256::new();
        let mut messages = Vec::with_capacity(destinations.len());
        for destination in destinations {
            let channel = destination.channel();
            let (template, content) = if channel == Channel::Paper {
                (None, None)
            } else {
                let key = TemplateKey { kind: job.subject.kind(), channel, locale };
                let (template, content) = self.renderer.render(key, &template_values, self.sms_rules)?;
                hasher.update(serde_json::to_vec(&content).unwrap_or_default());
                (Some(template), Some(content))
            };
            messages.push(ChannelMessage { destination, template, content });
        }
        Ok(Notice {
            tenant_id: job.tenant_id.clone(),
            notice_id: job.notice_id.clone(),
            contract_id: job.contract_id.clone(),
            kind: job.subject.kind(),
            locale,
            messages,
            channel_reason,
            content_hash: hex::encode(hasher.finalize()),
            cause: job.cause.clone(),
            created_at: self.clock.now(),
        })
    }

    async fn enqueue_deliveries(&self, notice: &Notice) -> Result<Vec<Channel>, Error> {
        let channels: Vec<Channel> = notice.electronic_channels().collect();
        for channel in &channels {
            let job = DeliveryJob {
                tenant_id: notice.tenant_id.clone(),
                notice_id: notice.notice_id.clone(),
                channel: *channel,
            };
            self.dispatch.enqueue(&job).await?;
        }
        Ok(channels)
    }
}

/// What the invoice templates may use. Formatting per language is the renderer's job.
fn invoice_context(
    customer: &CustomerProfile,
    invoice: &InvoiceIssued,
    account: &ContractAccount,
    locale: Locale,
) -> serde_json::Value {
    json!({
        "locale": locale,
        "customer": { "name": customer.name },
        "contract_id": account.holder.contract_id,
        "invoice": {
            "number": invoice.number,
            "total": invoice.total(),
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "direct_debit": invoice.direct_debit,
            "period": invoice.period,
            "consumption_m3": invoice.consumption_m3,
            "tariff_lines": invoice.tariff_lines.iter().map(|line| json!({
                "concept": line.concept,
                "amount": Money { amount: line.amount, currency: invoice.currency.clone() },
            })).collect::<Vec<_>>(),
        },
        "account": account.summary(),
        "unpaid_before": unpaid_before(account, &invoice.number),
    })
}

fn unpaid_before(account: &ContractAccount, current: &InvoiceNumber) -> serde_json::Value {
    let (count, totals) = account.unpaid_except(current);
    json!({ "count": count, "totals": totals })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes};
    use crate::notice::Destination;

    fn compose(f: &Fakes) -> Compose<'_> {
        Compose {
            accounts: &f.accounts,
            notices: &f.notices,
            renderer: &f.renderer,
            dispatch: &f.dispatch,
            suppressions: &f.suppressions,
            clock: &f.clock,
            default_locale: Locale::Ca,
            sms_rules: SmsRules::default(),
        }
    }

    #[tokio::test]
    async fn an_invoice_notice_goes_by_email_and_sms_in_the_citizens_language() {
        // GIVEN a customer with email and mobile who reads Spanish, and their invoice
        let f = Fakes::with_invoice(|c| c.language = Some(Locale::Es)).await;
        // WHEN the compose job runs
        let outcome = compose(&f).handle(&fakes::compose_job()).await.unwrap();
        // THEN one notice in Spanish is recorded and one delivery per channel is queued
        assert_eq!(outcome, Composed::New { channels: vec![Channel::Email, Channel::Sms] });
        let notice = f.notices.only();
        assert_eq!(notice.locale, Locale::Es);
        assert_eq!(f.dispatch.jobs().len(), 2);
        let email = notice.message_for(Channel::Email).unwrap();
        assert!(email.content.as_ref().unwrap().text.contains("F-2026-110001"));
    }

    #[tokio::test]
    async fn the_tenant_default_language_applies_when_the_citizen_chose_none() {
        let f = Fakes::with_invoice(|c| c.language = None).await;
        compose(&f).handle(&fakes::compose_job()).await.unwrap();
        assert_eq!(f.notices.only().locale, Locale::Ca);
    }

    #[tokio::test]
    async fn without_consent_or_contacts_the_notice_goes_on_paper_with_the_reason() {
        let f = Fakes::with_invoice(|c| {
            c.email = None;
            c.mobile = None;
        })
        .await;
        let outcome = compose(&f).handle(&fakes::compose_job()).await.unwrap();
        assert_eq!(outcome, Composed::New { channels: vec![] });
        let notice = f.notices.only();
        assert!(matches!(notice.messages[0].destination, Destination::Paper(_)));
        assert!(notice.channel_reason.contains("paper"), "{}", notice.channel_reason);
        assert!(f.dispatch.jobs().is_empty());
    }

    #[tokio::test]
    async fn the_citizens_preference_order_is_kept() {
        let f = Fakes::with_invoice(|c| c.channels = vec![Channel::Sms, Channel::Email]).await;
        let outcome = compose(&f).handle(&fakes::compose_job()).await.unwrap();
        assert_eq!(outcome, Composed::New { channels: vec![Channel::Sms, Channel::Email] });
    }

    #[tokio::test]
    async fn a_redelivered_job_does_not_compose_a_second_notice() {
        let f = Fakes::with_invoice(|_| {}).await;
        compose(&f).handle(&fakes::compose_job()).await.unwrap();
        let again = compose(&f).handle(&fakes::compose_job()).await.unwrap();
        assert!(matches!(again, Composed::AlreadyComposed { .. }));
        assert_eq!(f.notices.count(), 1);
    }

    #[tokio::test]
    async fn a_job_for_an_unknown_contract_is_rejected() {
        let f = Fakes::default();
        let err = compose(&f).handle(&fakes::compose_job()).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("unknown_contract"), "{err}");
    }
}
