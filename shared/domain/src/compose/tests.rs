use super::*;
use crate::account::{AccountFact, Fact};
use crate::billing::BillingPayload;
use crate::contact::Locale;
use crate::fakes::{self, Fakes};
use crate::ids::{EventId, PlanId};
use crate::notice::Destination;
use crate::notice::NoticeSubject;
use crate::ports::AccountStore;

fn compose(f: &Fakes) -> Compose<'_> {
    f.composer()
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

async fn with_facts(samples: &[&str]) -> Fakes {
    let f = Fakes::with_invoice(|_| {}).await;
    for sample in samples {
        let event = fakes::sample(sample);
        let fact = match event.payload {
            BillingPayload::InvoiceScheduled(d) => Fact::InvoiceScheduled(d),
            BillingPayload::InvoicePaid(d) => Fact::InvoicePaid(d),
            BillingPayload::DirectDebitReturned(d) => Fact::DebitReturned(d),
            BillingPayload::PaymentPlanUpdated(d) => Fact::PlanUpdated(d),
            other => panic!("not a fact sample: {other:?}"),
        };
        let fact =
            AccountFact { tenant_id: fakes::tenant(), contract_id: fakes::contract(), as_of: event.occurred_at, fact };
        f.accounts.record_fact(&fact).await.unwrap();
    }
    f
}

fn job(subject: NoticeSubject) -> ComposeJob {
    ComposeJob::new(fakes::tenant(), fakes::contract(), subject, EventId::parse("evt-x").unwrap())
}

fn upcoming(day: i8) -> ComposeJob {
    job(NoticeSubject::InvoiceUpcoming {
        invoice_number: fakes::invoice_number(),
        charge_date: jiff::civil::date(2026, 12, day),
    })
}

#[tokio::test]
async fn the_invoice_pre_notice_goes_by_sms_while_it_still_applies() {
    let f = with_facts(&["invoice-scheduled"]).await;
    let outcome = compose(&f).handle(&upcoming(1)).await.unwrap();
    assert_eq!(outcome, Composed::New { channels: vec![Channel::Sms] });
}

#[tokio::test]
async fn a_pre_notice_for_a_moved_or_paid_invoice_is_not_sent() {
    let f = with_facts(&["invoice-scheduled"]).await;
    let moved = compose(&f).handle(&upcoming(5)).await.unwrap();
    assert!(matches!(moved, Composed::NotApplicable { ref reason } if reason.contains("rescheduled")), "{moved:?}");
    let f = with_facts(&["invoice-scheduled", "invoice-paid"]).await;
    let paid = compose(&f).handle(&upcoming(1)).await.unwrap();
    assert!(matches!(paid, Composed::NotApplicable { ref reason } if reason.contains("already paid")), "{paid:?}");
    assert!(f.dispatch.jobs().is_empty());
}

#[tokio::test]
async fn a_redelivered_job_delivers_its_recorded_notice_even_once_the_notice_no_longer_applies() {
    // GIVEN a pre-notice composed and recorded, after which the invoice was paid
    let f = with_facts(&["invoice-scheduled"]).await;
    compose(&f).handle(&upcoming(1)).await.unwrap();
    let paid = fakes::sample("invoice-paid");
    let BillingPayload::InvoicePaid(data) = paid.payload else { panic!("not a payment") };
    let fact = AccountFact {
        tenant_id: fakes::tenant(),
        contract_id: fakes::contract(),
        as_of: paid.occurred_at,
        fact: Fact::InvoicePaid(data),
    };
    f.accounts.record_fact(&fact).await.unwrap();
    // WHEN the job comes again (its deliveries may not have been queued the first time)
    let again = compose(&f).handle(&upcoming(1)).await.unwrap();
    // THEN the recorded notice is delivered again, not dropped as "no longer applies"
    assert_eq!(again, Composed::AlreadyComposed { channels: vec![Channel::Sms] });
    assert_eq!(f.notices.count(), 1);
    assert_eq!(f.dispatch.jobs().len(), 2);
}

#[tokio::test]
async fn a_returned_debit_is_told_until_it_is_settled() {
    let f = with_facts(&["invoice-paid", "direct-debit-returned"]).await;
    let returned = job(NoticeSubject::DirectDebitReturned { invoice_number: fakes::invoice_number() });
    assert_eq!(
        compose(&f).handle(&returned).await.unwrap(),
        Composed::New { channels: vec![Channel::Email] },
        "one channel is enough for a reminder"
    );
    // paid again after the return: settled
    let f = with_facts(&["invoice-paid", "direct-debit-returned"]).await;
    let BillingPayload::InvoicePaid(data) = fakes::sample("invoice-paid").payload else { unreachable!() };
    let paid_again = AccountFact {
        tenant_id: fakes::tenant(),
        contract_id: fakes::contract(),
        as_of: "2026-12-10T09:00:00Z".parse().unwrap(),
        fact: Fact::InvoicePaid(data),
    };
    f.accounts.record_fact(&paid_again).await.unwrap();
    let settled = compose(&f).handle(&returned).await.unwrap();
    assert!(matches!(settled, Composed::NotApplicable { .. }), "{settled:?}");
}

#[tokio::test]
async fn an_instalment_reminder_is_not_sent_once_it_is_paid() {
    let f = with_facts(&["payment-plan-updated"]).await;
    let plan_id = PlanId::parse("PP-2026-0042").unwrap();
    let due =
        job(NoticeSubject::PaymentPlanMilestone { plan_id: plan_id.clone(), due_date: jiff::civil::date(2027, 1, 20) });
    assert_eq!(compose(&f).handle(&due).await.unwrap(), Composed::New { channels: vec![Channel::Email] });
    let paid = job(NoticeSubject::PaymentPlanMilestone { plan_id, due_date: jiff::civil::date(2026, 12, 20) });
    assert!(matches!(compose(&f).handle(&paid).await.unwrap(), Composed::NotApplicable { .. }));
}

#[tokio::test]
async fn a_fallback_job_composes_the_next_channel_only_once() {
    // GIVEN a returned-debit notice sent by email (one channel is enough)
    let f = with_facts(&["invoice-paid", "direct-debit-returned"]).await;
    let original = job(NoticeSubject::DirectDebitReturned { invoice_number: fakes::invoice_number() });
    compose(&f).handle(&original).await.unwrap();
    let notice = f.notices.notice(&fakes::tenant(), &original.notice_id).await.unwrap().unwrap();
    // WHEN the email is refused for good and the dispatcher asks for the fallback
    let fallback = ComposeJob::fallback_for(&notice, notice.subject.clone(), Channel::Email).unwrap();
    let outcome = compose(&f).handle(&fallback).await.unwrap();
    // THEN the same notice goes by SMS, recorded as a fallback of the first
    assert_eq!(outcome, Composed::New { channels: vec![Channel::Sms] });
    let recorded = f.notices.notice(&fakes::tenant(), &fallback.notice_id).await.unwrap().unwrap();
    assert_eq!(recorded.fallback_of.as_ref(), Some(&original.notice_id));
    assert!(recorded.channel_reason.starts_with("fallback after email failed"), "{}", recorded.channel_reason);
}
