//! What avisa knows about a contract: its holder, and facts about invoices, payment plans, meter
//! and tariff. Each fact is kept in its own slot with the time upstream stated it, and an older
//! fact never overwrites a newer one, so events that arrive out of order leave the right state.
//! Summaries (unpaid invoices, returned debits, next milestone) are computed on read, always current.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::{
    BillingPayload, Consents, CustomerUpserted, DirectDebitReturned, InvoiceIssued, InvoicePaid, InvoiceScheduled,
    PaymentPlanUpdated, PlanStatus, PriorityKind, SupplyPoint, TariffChanged, TelemetryEnabled,
};
use crate::channel::Channel;
use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::{ContractId, CustomerId, InvoiceNumber, PlanId, TenantId};
use crate::money::{Amount, Money};
use crate::text::Text;

/// The contract holder and how to reach them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub tenant_id: TenantId,
    pub customer_id: CustomerId,
    pub name: Text<200>,
    pub language: Option<Locale>,
    pub email: Option<Email>,
    pub mobile: Option<PhoneE164>,
    pub channels: Vec<Channel>,
    pub consents: Consents,
    pub e_invoice: bool,
    /// When upstream said this; an older event never overwrites a newer one.
    pub as_of: Timestamp,
}

impl CustomerProfile {
    pub fn from_event(tenant_id: &TenantId, data: &CustomerUpserted, as_of: Timestamp) -> Self {
        Self {
            tenant_id: tenant_id.clone(),
            customer_id: data.customer_id.clone(),
            name: data.name.clone(),
            language: data.language,
            email: data.email.clone(),
            mobile: data.mobile.clone(),
            channels: data.channels.clone(),
            consents: data.consents,
            e_invoice: data.e_invoice,
            as_of,
        }
    }
}

/// Who holds a contract and where it is supplied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractHolder {
    pub tenant_id: TenantId,
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub supply_point: SupplyPoint,
    pub as_of: Timestamp,
    /// Marked priority by the utility's staff (upstream's own mark is the supply point's): kept
    /// apart so that upstream's next `customer.upserted` leaves it as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_priority: Option<StaffPriority>,
}

impl ContractHolder {
    /// Why this supply point is alerted first, if it is: staff's mark, else upstream's.
    pub fn priority(&self) -> Option<PriorityKind> {
        self.staff_priority.as_ref().map(|mark| mark.kind).or(self.supply_point.priority)
    }
}

/// A member of staff marked a supply point priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPriority {
    pub kind: PriorityKind,
    pub by: String,
    pub at: Timestamp,
}

/// Which record of a contract a fact belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Record {
    Account,
    Invoice(InvoiceNumber),
    Plan(PlanId),
}

/// A fact about a contract, as a billing event states it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    InvoiceScheduled(InvoiceScheduled),
    InvoiceIssued(InvoiceIssued),
    InvoicePaid(InvoicePaid),
    DebitReturned(DirectDebitReturned),
    PlanUpdated(PaymentPlanUpdated),
    TelemetryEnabled(TelemetryEnabled),
    TariffChanged(TariffChanged),
    /// A billing complaint's resolution corrected what the invoice asks for.
    InvoiceCorrected(InvoiceCorrection),
}

/// The amount an invoice is due after a complaint corrected it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceCorrection {
    pub number: InvoiceNumber,
    pub amount: Money,
    /// The complaint that corrected it (`CLM-…`).
    pub complaint: String,
}

/// Every slot name a fact can be kept under.
pub const SLOT_NAMES: &[&str] =
    &["scheduled", "issued", "paid", "returned", "corrected", "plan", "telemetry", "tariff"];

/// Where a fact is kept: a record of the contract and a named slot in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    pub record: Record,
    pub name: &'static str,
}

impl Fact {
    /// The fact a billing event states; `None` for `customer.upserted`, which is about the holder.
    pub fn of(payload: &BillingPayload) -> Option<Self> {
        Some(match payload {
            BillingPayload::CustomerUpserted(_) => return None,
            BillingPayload::InvoiceScheduled(data) => Self::InvoiceScheduled(data.clone()),
            BillingPayload::InvoiceIssued(data) => Self::InvoiceIssued(data.clone()),
            BillingPayload::InvoicePaid(data) => Self::InvoicePaid(data.clone()),
            BillingPayload::DirectDebitReturned(data) => Self::DebitReturned(data.clone()),
            BillingPayload::PaymentPlanUpdated(data) => Self::PlanUpdated(data.clone()),
            BillingPayload::TelemetryEnabled(data) => Self::TelemetryEnabled(data.clone()),
            BillingPayload::TariffChanged(data) => Self::TariffChanged(data.clone()),
        })
    }

    pub fn slot(&self) -> Slot {
        let (record, name) = match self {
            Self::InvoiceScheduled(d) => (Record::Invoice(d.number.clone()), "scheduled"),
            Self::InvoiceIssued(d) => (Record::Invoice(d.number.clone()), "issued"),
            Self::InvoicePaid(d) => (Record::Invoice(d.number.clone()), "paid"),
            Self::DebitReturned(d) => (Record::Invoice(d.invoice_number.clone()), "returned"),
            Self::PlanUpdated(d) => (Record::Plan(d.plan_id.clone()), "plan"),
            Self::TelemetryEnabled(_) => (Record::Account, "telemetry"),
            Self::TariffChanged(_) => (Record::Account, "tariff"),
            Self::InvoiceCorrected(d) => (Record::Invoice(d.number.clone()), "corrected"),
        };
        Slot { record, name }
    }

    /// The fact's data, as stored in its slot.
    pub fn value(&self) -> serde_json::Value {
        let value = match self {
            Self::InvoiceScheduled(d) => serde_json::to_value(d),
            Self::InvoiceIssued(d) => serde_json::to_value(d),
            Self::InvoicePaid(d) => serde_json::to_value(d),
            Self::DebitReturned(d) => serde_json::to_value(d),
            Self::PlanUpdated(d) => serde_json::to_value(d),
            Self::TelemetryEnabled(d) => serde_json::to_value(d),
            Self::TariffChanged(d) => serde_json::to_value(d),
            Self::InvoiceCorrected(d) => serde_json::to_value(d),
        };
        value.unwrap_or(serde_json::Value::Null)
    }
}

/// A fact about one contract, stamped with when upstream stated it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFact {
    pub tenant_id: TenantId,
    pub contract_id: ContractId,
    pub as_of: Timestamp,
    pub fact: Fact,
}

impl AccountFact {
    /// The fact as its slot keeps it.
    pub fn stored(&self) -> StoredSlot {
        StoredSlot { slot: self.fact.slot(), as_of: self.as_of, value: self.fact.value() }
    }
}

/// A value with the time upstream stated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub as_of: Timestamp,
    pub value: T,
}

/// Everything known about one invoice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InvoiceState {
    pub scheduled: Option<Stamped<InvoiceScheduled>>,
    pub issued: Option<Stamped<InvoiceIssued>>,
    pub paid: Option<Stamped<InvoicePaid>>,
    pub returned: Option<Stamped<DirectDebitReturned>>,
    #[serde(default)]
    pub corrected: Option<Stamped<InvoiceCorrection>>,
}

impl InvoiceState {
    /// Paid, and not returned by the bank after that payment.
    pub fn is_settled(&self) -> bool {
        match (&self.paid, &self.returned) {
            (Some(paid), Some(returned)) => paid.as_of > returned.as_of,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    pub fn is_unpaid(&self) -> bool {
        self.issued.is_some() && !self.is_settled()
    }

    /// What the invoice asks for: as issued, or as a complaint corrected it.
    pub fn amount_due(&self) -> Option<Money> {
        match (&self.corrected, &self.issued) {
            (Some(corrected), _) => Some(corrected.value.amount.clone()),
            (None, Some(issued)) => Some(issued.value.total()),
            (None, None) => None,
        }
    }

    /// A returned direct debit not settled since.
    pub fn open_return(&self) -> Option<&DirectDebitReturned> {
        self.returned.as_ref().filter(|_| !self.is_settled()).map(|r| &r.value)
    }
}

/// A contract's state, assembled from its slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractAccount {
    pub holder: ContractHolder,
    pub invoices: Vec<(InvoiceNumber, InvoiceState)>,
    pub plans: Vec<Stamped<PaymentPlanUpdated>>,
    pub telemetry: Option<Stamped<TelemetryEnabled>>,
    pub tariff: Option<Stamped<TariffChanged>>,
}

/// A slot's content as stored: which record, which slot, when, what.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSlot {
    pub slot: Slot,
    pub as_of: Timestamp,
    pub value: serde_json::Value,
}

fn stamped<T: serde::de::DeserializeOwned>(stored: StoredSlot) -> Result<Stamped<T>, serde_json::Error> {
    Ok(Stamped { as_of: stored.as_of, value: serde_json::from_value(stored.value)? })
}

fn keep_newer<T: serde::de::DeserializeOwned>(
    slot: &mut Option<Stamped<T>>,
    stored: StoredSlot,
) -> Result<(), serde_json::Error> {
    if slot.as_ref().is_none_or(|kept| kept.as_of <= stored.as_of) {
        *slot = Some(stamped(stored)?);
    }
    Ok(())
}

impl ContractAccount {
    /// Builds the account from its holder and stored slots (in any order).
    pub fn assemble(
        holder: ContractHolder,
        slots: impl IntoIterator<Item = StoredSlot>,
    ) -> Result<Self, serde_json::Error> {
        let mut account = Self { holder, invoices: Vec::new(), plans: Vec::new(), telemetry: None, tariff: None };
        for stored in slots {
            account.record(stored)?;
        }
        Ok(account)
    }

    /// Keeps `stored` in its slot unless the slot holds a newer fact (on a tie the later write
    /// wins), as the store's conditional write does:
    /// how a fact not stored yet is seen with the stored ones (a billing run's preview).
    pub fn record(&mut self, stored: StoredSlot) -> Result<(), serde_json::Error> {
        match (stored.slot.record.clone(), stored.slot.name) {
            (Record::Account, "telemetry") => keep_newer(&mut self.telemetry, stored),
            (Record::Account, "tariff") => keep_newer(&mut self.tariff, stored),
            (Record::Plan(plan_id), "plan") => {
                match self.plans.binary_search_by(|p| p.value.plan_id.cmp(&plan_id)) {
                    Ok(at) if self.plans[at].as_of > stored.as_of => {}
                    Ok(at) => self.plans[at] = stamped(stored)?,
                    Err(at) => self.plans.insert(at, stamped(stored)?),
                }
                Ok(())
            }
            (Record::Invoice(number), name) => {
                let at = match self.invoices.binary_search_by(|(n, _)| n.cmp(&number)) {
                    Ok(at) => at,
                    Err(at) => {
                        self.invoices.insert(at, (number, InvoiceState::default()));
                        at
                    }
                };
                let state = &mut self.invoices[at].1;
                match name {
                    "scheduled" => keep_newer(&mut state.scheduled, stored),
                    "issued" => keep_newer(&mut state.issued, stored),
                    "paid" => keep_newer(&mut state.paid, stored),
                    "returned" => keep_newer(&mut state.returned, stored),
                    "corrected" => keep_newer(&mut state.corrected, stored),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// Unpaid invoices other than `number`: how many, and their totals.
    pub fn unpaid_except(&self, number: &InvoiceNumber) -> (usize, Vec<Money>) {
        let others: Vec<Money> = self
            .invoices
            .iter()
            .filter(|(n, s)| n != number && s.is_unpaid())
            .filter_map(|(_, s)| s.amount_due())
            .collect();
        (others.len(), totals(others.into_iter()))
    }

    pub fn invoice(&self, number: &InvoiceNumber) -> Option<&InvoiceState> {
        self.invoices.iter().find(|(n, _)| n == number).map(|(_, state)| state)
    }

    /// Summaries the notices use.
    pub fn summary(&self) -> AccountSummary {
        let unpaid: Vec<Money> =
            self.invoices.iter().filter(|(_, s)| s.is_unpaid()).filter_map(|(_, s)| s.amount_due()).collect();
        let returned_debits = self
            .invoices
            .iter()
            .filter_map(|(_, s)| s.open_return())
            .map(|r| ReturnedDebit {
                invoice_number: r.invoice_number.clone(),
                returned_on: r.returned_on,
                amount: Money { amount: r.amount, currency: r.currency.clone() },
                reason: r.reason.to_string(),
                fee: r.fee.map(|fee| Money { amount: fee, currency: r.currency.clone() }),
            })
            .collect();
        let active_plans = self
            .plans
            .iter()
            .filter(|p| p.value.status == PlanStatus::Active)
            .map(|p| ActivePlan {
                plan_id: p.value.plan_id.clone(),
                remaining: p.value.instalments.iter().filter(|i| !i.paid).count(),
                next_milestone: p.value.instalments.iter().filter(|i| !i.paid).min_by_key(|i| i.due_date).map(|i| {
                    Milestone {
                        due_date: i.due_date,
                        amount: Money { amount: i.amount, currency: p.value.currency.clone() },
                    }
                }),
            })
            .collect();
        AccountSummary {
            unpaid_count: unpaid.len(),
            unpaid_totals: totals(unpaid.into_iter()),
            returned_debits,
            active_plans,
            telemetry: self.telemetry.as_ref().map(|t| t.value.clone()),
            tariff: self.tariff.as_ref().map(|t| t.value.clone()),
        }
    }

    /// The invoice issued last (by issue date, then by when it was recorded).
    pub fn last_issued(&self) -> Option<&InvoiceIssued> {
        let issued = self.invoices.iter().filter_map(|(_, s)| s.issued.as_ref());
        issued.max_by_key(|i| (i.value.issue_date, i.as_of)).map(|i| &i.value)
    }
}

/// Sums per currency (a contract is billed in one, but nothing here assumes it).
pub fn totals(amounts: impl Iterator<Item = Money>) -> Vec<Money> {
    let mut totals: Vec<Money> = Vec::new();
    for money in amounts {
        match totals.iter_mut().find(|t| t.currency == money.currency) {
            // Saturates rather than wraps: amounts are bounded, but a sum of enough of them is not.
            Some(total) => total.amount = Amount::from_minor(total.amount.minor().saturating_add(money.amount.minor())),
            None => totals.push(money),
        }
    }
    totals
}

/// What the notices say about a contract's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub unpaid_count: usize,
    pub unpaid_totals: Vec<Money>,
    pub returned_debits: Vec<ReturnedDebit>,
    pub active_plans: Vec<ActivePlan>,
    pub telemetry: Option<TelemetryEnabled>,
    pub tariff: Option<TariffChanged>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnedDebit {
    pub invoice_number: InvoiceNumber,
    pub returned_on: Date,
    pub amount: Money,
    pub reason: String,
    pub fee: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivePlan {
    pub plan_id: PlanId,
    pub remaining: usize,
    pub next_milestone: Option<Milestone>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub due_date: Date,
    pub amount: Money,
}

#[cfg(test)]
mod tests;
