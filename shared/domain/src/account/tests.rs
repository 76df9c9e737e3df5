use super::*;
use crate::billing::{Instalment, Period};
use crate::fakes;
use crate::money::Currency;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn eur(amount: &str) -> Amount {
    Amount::parse(amount).unwrap()
}

fn issued(number: &str, amount: &str, issue_date: Date) -> Fact {
    Fact::InvoiceIssued(InvoiceIssued {
        number: InvoiceNumber::parse(number).unwrap(),
        period: Period { from: issue_date, to: issue_date },
        issue_date,
        due_date: issue_date,
        amount: eur(amount),
        currency: Currency::parse("EUR").unwrap(),
        direct_debit: true,
        consumption_m3: None,
        tariff_lines: vec![],
        pdf: None,
    })
}

fn paid(number: &str) -> Fact {
    Fact::InvoicePaid(InvoicePaid {
        number: InvoiceNumber::parse(number).unwrap(),
        paid_on: jiff::civil::date(2026, 12, 1),
        amount: eur("1"),
        currency: Currency::parse("EUR").unwrap(),
    })
}

fn stored(fact: &Fact, as_of: &str) -> StoredSlot {
    StoredSlot { slot: fact.slot(), as_of: at(as_of), value: fact.value() }
}

fn account(slots: Vec<StoredSlot>) -> ContractAccount {
    ContractAccount::assemble(fakes::contract_holder(), slots).unwrap()
}

#[test]
fn unpaid_invoices_are_counted_and_totalled() {
    let a = account(vec![
        stored(&issued("F-1", "10.50", jiff::civil::date(2026, 9, 1)), "2026-09-01T00:00:00Z"),
        stored(&issued("F-2", "20.25", jiff::civil::date(2026, 11, 1)), "2026-11-01T00:00:00Z"),
        stored(&issued("F-3", "99.00", jiff::civil::date(2026, 7, 1)), "2026-07-01T00:00:00Z"),
        stored(&paid("F-3"), "2026-07-15T00:00:00Z"),
    ]);
    let summary = a.summary();
    assert_eq!(summary.unpaid_count, 2);
    assert_eq!(summary.unpaid_totals.len(), 1);
    assert_eq!(summary.unpaid_totals[0].amount.to_string(), "30.75");
    assert_eq!(a.last_issued().unwrap().number.as_str(), "F-2");
}

#[test]
fn a_payment_after_a_returned_debit_settles_the_invoice() {
    let returned = Fact::DebitReturned(DirectDebitReturned {
        invoice_number: InvoiceNumber::parse("F-1").unwrap(),
        returned_on: jiff::civil::date(2026, 12, 4),
        amount: eur("10.50"),
        currency: Currency::parse("EUR").unwrap(),
        reason: Text::parse("AM04").unwrap(),
        fee: None,
    });
    let issued = stored(&issued("F-1", "10.50", jiff::civil::date(2026, 11, 1)), "2026-11-01T00:00:00Z");
    let open = account(vec![
        issued.clone(),
        stored(&paid("F-1"), "2026-12-01T00:00:00Z"),
        stored(&returned, "2026-12-04T00:00:00Z"),
    ]);
    assert_eq!(open.summary().returned_debits.len(), 1);
    let settled =
        account(vec![issued, stored(&paid("F-1"), "2026-12-10T00:00:00Z"), stored(&returned, "2026-12-04T00:00:00Z")]);
    assert!(settled.summary().returned_debits.is_empty());
    assert_eq!(settled.summary().unpaid_count, 0);
}

#[test]
fn only_active_plans_count_and_their_next_milestone_is_the_earliest_unpaid_instalment() {
    let plan = |id: &str, status| {
        Fact::PlanUpdated(PaymentPlanUpdated {
            plan_id: PlanId::parse(id).unwrap(),
            status,
            currency: Currency::parse("EUR").unwrap(),
            instalments: vec![
                Instalment { due_date: jiff::civil::date(2027, 2, 1), amount: eur("5"), paid: false },
                Instalment { due_date: jiff::civil::date(2027, 1, 1), amount: eur("5"), paid: false },
                Instalment { due_date: jiff::civil::date(2026, 12, 1), amount: eur("5"), paid: true },
            ],
        })
    };
    let a = account(vec![
        stored(&plan("P-1", PlanStatus::Active), "2026-12-01T00:00:00Z"),
        stored(&plan("P-2", PlanStatus::Cancelled), "2026-12-01T00:00:00Z"),
    ]);
    let plans = a.summary().active_plans;
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].remaining, 2);
    assert_eq!(plans[0].next_milestone.as_ref().unwrap().due_date, jiff::civil::date(2027, 1, 1));
}
