//! A contract's own data for a template preview: the notice of a kind its account would get now.

use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::subjects::template_values;
use crate::account::{ContractAccount, CustomerProfile};
use crate::applies::Applies;
use crate::billing::PlanStatus;
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::{EventId, NoticeId, TenantId};
use crate::notice::{ChannelMessage, Destination, Notice, NoticeKind, NoticeSubject, RenderedMessage, TemplateRef};

/// The values `kind`'s templates would get for this contract now: about its latest invoice, its
/// latest returned debit, its active plan's next instalment. Refused with what to do instead when
/// the account has nothing of the kind, or the kind is not about an account.
pub fn contract_values(
    kind: NoticeKind,
    customer: &CustomerProfile,
    account: &ContractAccount,
    locale: Locale,
) -> Result<Value, Error> {
    let contract = &account.holder.contract_id;
    let nothing = |what: &str| {
        Error::rejected(
            RejectionCode::NotFound,
            format!("contract {contract} has {what}: preview it with the sample data, or another contract"),
        )
    };
    // The latest by when upstream stated it.
    let latest = |has: fn(&crate::account::InvoiceState) -> Option<Timestamp>| {
        account.invoices.iter().filter_map(|(number, state)| Some((has(state)?, number.clone()))).max()
    };
    let subject = match kind {
        NoticeKind::InvoiceAvailable => {
            let (_, invoice_number) =
                latest(|s| s.issued.as_ref().map(|i| i.as_of)).ok_or_else(|| nothing("no invoice issued"))?;
            NoticeSubject::InvoiceAvailable { invoice_number }
        }
        NoticeKind::InvoiceUpcoming => {
            let (_, invoice_number) =
                latest(|s| s.scheduled.as_ref().map(|i| i.as_of)).ok_or_else(|| nothing("no invoice scheduled"))?;
            let scheduled = account.invoice(&invoice_number).and_then(|s| s.scheduled.as_ref()).map(|s| &s.value);
            let charge_date = scheduled.map(|s| s.bank_charge_date.unwrap_or(s.planned_issue_date));
            NoticeSubject::InvoiceUpcoming { invoice_number, charge_date: charge_date.unwrap_or_default() }
        }
        NoticeKind::DirectDebitReturned => {
            let (_, invoice_number) =
                latest(|s| s.returned.as_ref().map(|r| r.as_of)).ok_or_else(|| nothing("no returned debit"))?;
            NoticeSubject::DirectDebitReturned { invoice_number }
        }
        NoticeKind::PaymentPlanMilestone => {
            let (plan_id, due_date) = account
                .plans
                .iter()
                .map(|p| &p.value)
                .filter(|p| p.status == PlanStatus::Active)
                .find_map(|p| Some((p.plan_id.clone(), p.instalments.iter().find(|i| !i.paid)?.due_date)))
                .ok_or_else(|| nothing("no active payment plan with an instalment to pay"))?;
            NoticeSubject::PaymentPlanMilestone { plan_id, due_date }
        }
        other => {
            return Err(Error::rejected(
                RejectionCode::InvalidField,
                format!(
                    "a {} is about an outage or a complaint, not an account: preview it with the sample data",
                    other.as_str().replace('_', " ")
                ),
            ));
        }
    };
    match template_values(&subject, customer, account, locale)? {
        Applies::Yes(values) => Ok(values),
        Applies::No(why) => Err(Error::rejected(RejectionCode::NotFound, format!("contract {contract}: {why}"))),
    }
}

/// A preview sent to whoever asked for it: a notice of its own about no contract (so a refusal
/// never falls back to anyone's other channel), delivered by the dispatcher like any other — the
/// same sender, suppressions and exactly-once.
#[allow(clippy::too_many_arguments)] // one notice, each part named
pub fn preview_notice(
    tenant_id: &TenantId,
    by: &str,
    kind: NoticeKind,
    locale: Locale,
    destination: Destination,
    template: TemplateRef,
    content: RenderedMessage,
    now: Timestamp,
) -> Notice {
    let subject = NoticeSubject::Preview { of: kind, by: by.to_owned() };
    let key = format!("preview/{by}/{}", now.as_millisecond());
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    let mut hashed = Sha256::new();
    for part in [content.subject.as_deref(), Some(content.text.as_str()), content.html.as_deref()].into_iter().flatten()
    {
        hashed.update(part.as_bytes());
    }
    Notice {
        tenant_id: tenant_id.clone(),
        notice_id: NoticeId::derived(tenant_id, &key, kind),
        contract_id: None,
        kind,
        locale,
        messages: vec![ChannelMessage {
            destination,
            template: Some(template),
            content: Some(content),
            attachment: None,
        }],
        channel_reason: format!("a preview {by} sent themselves"),
        content_hash: hex::encode(hashed.finalize()),
        cause: EventId::parse(&format!("preview:{}", &digest[..32])).expect("hex is a valid event id"),
        created_at: now,
        subject,
        fallback_of: None,
        recipient: Some(by.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes};
    use crate::ports::AccountStore;

    #[tokio::test]
    async fn a_contracts_latest_invoice_is_previewed_and_what_it_lacks_is_said() {
        // GIVEN a contract with one invoice issued and nothing else
        let f = Fakes::with_invoice(|_| {}).await;
        let account = f.accounts.account(&fakes::tenant(), &fakes::contract()).await.unwrap().unwrap();
        let customer = fakes::customer_profile();
        // WHEN its invoice notice is previewed THEN the values are that invoice's, in the language asked
        let values = contract_values(NoticeKind::InvoiceAvailable, &customer, &account, Locale::It).unwrap();
        assert_eq!(values["invoice"]["number"], "F-2026-110001");
        assert_eq!(values["locale"], "it");
        // WHEN a kind it has nothing of, or one not about an account THEN the reason says what to do
        let error = contract_values(NoticeKind::DirectDebitReturned, &customer, &account, Locale::Ca).unwrap_err();
        assert!(error.to_string().contains("no returned debit: preview it with the sample data"), "{error}");
        let error = contract_values(NoticeKind::OutageAlert, &customer, &account, Locale::Ca).unwrap_err();
        assert!(error.to_string().contains("not an account"), "{error}");
    }
}
