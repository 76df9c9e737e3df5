//! What each kind of notice says: the values its templates get, or why it no longer applies.

use serde_json::{Value, json};

use crate::account::{ContractAccount, CustomerProfile};
use crate::applies::Applies;
use crate::billing::{Document, PlanStatus};
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::{InvoiceNumber, PlanId};
use crate::money::Money;
use crate::notice::NoticeSubject;

/// The values of one kind, or why a reminder no longer applies.
type Values = Result<Applies<Value>, Error>;

/// Every template gets the locale, the customer's name, the contract and the account summary,
/// plus what its kind needs.
pub(super) fn template_values(
    subject: &NoticeSubject,
    customer: &CustomerProfile,
    account: &ContractAccount,
    locale: Locale,
) -> Values {
    let specific = match subject {
        NoticeSubject::InvoiceAvailable { invoice_number } => invoice_available(account, invoice_number)?,
        NoticeSubject::InvoiceUpcoming { invoice_number, charge_date } => {
            invoice_upcoming(account, invoice_number, *charge_date)?
        }
        NoticeSubject::DirectDebitReturned { invoice_number } => direct_debit_returned(account, invoice_number)?,
        NoticeSubject::PaymentPlanMilestone { plan_id, due_date } => {
            payment_plan_milestone(account, plan_id, *due_date)?
        }
        NoticeSubject::OutageAlert { .. }
        | NoticeSubject::Chat { .. }
        | NoticeSubject::Complaint { .. }
        | NoticeSubject::Preview { .. }
        | NoticeSubject::Announcement { .. } => {
            return Err(Error::rejected(RejectionCode::RenderFailed, "this notice is not about an account"));
        }
    };
    let Applies::Yes(Value::Object(specific)) = specific else { return Ok(specific) };
    let mut values = json!({
        "locale": locale,
        "customer": { "name": customer.name },
        "contract_id": account.holder.contract_id,
        "account": account.summary(),
    });
    if let Some(values) = values.as_object_mut() {
        values.extend(specific);
    }
    Ok(Applies::Yes(values))
}

/// Documents larger than this are not attached; the notice points to the virtual office instead.
pub const MAX_ATTACHMENT_BYTES: u64 = 7 * 1024 * 1024;

/// The invoice PDF of an invoice notice.
pub(super) fn document(subject: &NoticeSubject, account: &ContractAccount) -> Option<Document> {
    let NoticeSubject::InvoiceAvailable { invoice_number } = subject else { return None };
    account.invoice(invoice_number)?.issued.as_ref()?.value.pdf.clone()
}

/// The invoice PDF, for an invoice notice whose PDF is small enough to attach to an email.
pub(super) fn attachment(subject: &NoticeSubject, account: &ContractAccount) -> Option<Document> {
    document(subject, account).filter(|pdf| pdf.size_bytes <= MAX_ATTACHMENT_BYTES)
}

fn invoice_error(account: &ContractAccount, number: &InvoiceNumber, what: &str) -> Error {
    Error::rejected(
        RejectionCode::InvalidField,
        format!("invoice {number} of contract {} {what}", account.holder.contract_id),
    )
}

fn invoice_available(account: &ContractAccount, number: &InvoiceNumber) -> Values {
    let state = account.invoice(number);
    let issued =
        state.and_then(|s| s.issued.as_ref()).ok_or_else(|| invoice_error(account, number, "has not been issued"))?;
    let invoice = &issued.value;
    let (count, totals) = account.unpaid_except(number);
    let tariff_lines: Vec<Value> = invoice
        .tariff_lines
        .iter()
        .map(|line| json!({ "concept": line.concept, "amount": Money { amount: line.amount, currency: invoice.currency.clone() } }))
        .collect();
    Ok(Applies::Yes(json!({
        "invoice": {
            "number": invoice.number,
            "total": invoice.total(),
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "direct_debit": invoice.direct_debit,
            "period": invoice.period,
            "consumption_m3": invoice.consumption_m3,
            "tariff_lines": tariff_lines,
            "pdf_attached": invoice.pdf.as_ref().is_some_and(|pdf| pdf.size_bytes <= MAX_ATTACHMENT_BYTES),
        },
        "unpaid_before": { "count": count, "totals": totals },
    })))
}

fn invoice_upcoming(account: &ContractAccount, number: &InvoiceNumber, charge_date: jiff::civil::Date) -> Values {
    let state = account.invoice(number).ok_or_else(|| invoice_error(account, number, "was never scheduled"))?;
    let scheduled = state.scheduled.as_ref().ok_or_else(|| invoice_error(account, number, "was never scheduled"))?;
    let scheduled = &scheduled.value;
    if scheduled.bank_charge_date.unwrap_or(scheduled.planned_issue_date) != charge_date {
        return Ok(Applies::No(format!("invoice {number} was rescheduled; a newer pre-notice replaces this one")));
    }
    if state.is_settled() {
        return Ok(Applies::No(format!("invoice {number} is already paid")));
    }
    Ok(Applies::Yes(json!({
        "invoice": {
            "number": scheduled.number,
            "total": Money { amount: scheduled.amount, currency: scheduled.currency.clone() },
            "planned_issue_date": scheduled.planned_issue_date,
            "bank_charge_date": scheduled.bank_charge_date,
            "direct_debit": scheduled.direct_debit,
        },
    })))
}

fn direct_debit_returned(account: &ContractAccount, number: &InvoiceNumber) -> Values {
    let state = account.invoice(number).ok_or_else(|| invoice_error(account, number, "is not known"))?;
    let Some(returned) = state.open_return() else {
        return Ok(Applies::No(format!("the returned debit of invoice {number} is settled")));
    };
    let money = |amount| Money { amount, currency: returned.currency.clone() };
    Ok(Applies::Yes(json!({
        "returned": {
            "invoice_number": returned.invoice_number,
            "returned_on": returned.returned_on,
            "amount": money(returned.amount),
            "reason": returned.reason,
            "fee": returned.fee.map(money),
        },
    })))
}

fn payment_plan_milestone(account: &ContractAccount, plan_id: &PlanId, due_date: jiff::civil::Date) -> Values {
    let Some(plan) = account.plans.iter().map(|p| &p.value).find(|p| &p.plan_id == plan_id) else {
        let detail = format!("plan {plan_id} of contract {} is not known", account.holder.contract_id);
        return Err(Error::rejected(RejectionCode::InvalidField, detail));
    };
    if plan.status != PlanStatus::Active {
        return Ok(Applies::No(format!("plan {plan_id} is no longer active")));
    }
    let Some(instalment) = plan.instalments.iter().find(|i| i.due_date == due_date && !i.paid) else {
        return Ok(Applies::No(format!("the instalment of plan {plan_id} due {due_date} is paid or gone")));
    };
    Ok(Applies::Yes(json!({
        "plan": { "plan_id": plan.plan_id, "remaining": plan.instalments.iter().filter(|i| !i.paid).count() },
        "milestone": {
            "due_date": instalment.due_date,
            "amount": Money { amount: instalment.amount, currency: plan.currency.clone() },
        },
    })))
}
