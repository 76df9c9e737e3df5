use super::*;
use crate::channel::Channel;
use crate::contact::PhoneE164;
use crate::fakes::{self, Fakes, SendFault};
use crate::notice::NoticeKind;
use crate::ports::{Scheduled, Suppressions, TenantDirectory};

fn dispatch(f: &Fakes) -> Dispatch<'_> {
    f.dispatcher()
}

#[tokio::test]
async fn an_email_delivery_is_sent_once_and_recorded() {
    // GIVEN a composed notice
    let f = Fakes::with_notice().await;
    // WHEN its email job is delivered twice
    let first = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    let second = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    // THEN exactly one email left, and the second run was a duplicate
    assert!(matches!(first, Dispatched::Sent { .. }));
    assert_eq!(second, Dispatched::Duplicate);
    assert_eq!(f.email.sent().len(), 1);
}

#[tokio::test]
async fn the_invoice_pdf_is_attached_to_the_email() {
    let f = Fakes::with_notice().await;
    dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    assert_eq!(f.email.attachments(), [vec!["F-2026-110001.pdf".to_owned()]]);
}

#[tokio::test]
async fn a_missing_pdf_fails_the_email_with_the_reason_and_sends_nothing() {
    let f = Fakes::with_notice().await;
    f.documents.0.lock().unwrap().clear();
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("NoSuchKey"), "{err}");
    assert!(f.email.sent().is_empty());
}

#[tokio::test]
async fn a_pdf_outside_the_tenants_place_is_never_attached_even_after_its_settings_changed() {
    // GIVEN a composed invoice notice, then the tenant moves its documents elsewhere
    let f = Fakes::with_notice().await;
    let mut settings = fakes::default_settings();
    settings.documents =
        Some(crate::tenant::DocumentPlace { bucket: "reus-docs".into(), prefix: Some("invoices/".into()) });
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    // WHEN its email is delivered THEN it fails for good, with where documents must be
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(format!("{err:?}").contains("must be under s3://reus-docs/invoices/"), "{err:?}");
    assert!(f.email.sent().is_empty());
}

#[tokio::test]
async fn an_sms_goes_to_the_citizens_mobile_with_the_rendered_text() {
    let f = Fakes::with_notice().await;
    dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
    let sent = f.sms.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "+34600111001");
    assert!(sent[0].1.contains("F-2026-110001"));
}

#[tokio::test]
async fn a_throttled_send_is_retried_and_then_sent_once() {
    let f = Fakes::with_notice().await;
    f.email.fail_next(SendFault::Throttled);
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert!(err.is_retryable());
    dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    assert_eq!(f.email.sent().len(), 1);
}

#[tokio::test]
async fn a_refused_send_is_recorded_with_the_providers_reason_and_not_retried() {
    let f = Fakes::with_notice().await;
    f.email.fail_next(SendFault::Refused);
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("address rejected"), "{err}");
    let again = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    assert_eq!(again, Dispatched::Duplicate);
    assert!(f.email.sent().is_empty());
}

#[tokio::test]
async fn a_refused_email_falls_back_once_to_the_next_channel() {
    let f = Fakes::with_notice().await;
    f.email.fail_next(SendFault::Refused);
    dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    let fallbacks: Vec<_> = f.compose.jobs().into_iter().filter_map(|j| j.fallback).collect();
    assert_eq!(fallbacks.len(), 1);
    assert_eq!((fallbacks[0].failed, &fallbacks[0].of), (Channel::Email, &fakes::compose_job().notice_id));
}

#[tokio::test]
async fn an_opted_out_number_is_suppressed_not_texted_and_falls_back() {
    let f = Fakes::with_invoice(|c| c.mobile = Some(PhoneE164::parse("+34600111099").unwrap())).await;
    f.composer().handle(&fakes::compose_job()).await.unwrap();
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap_err();
    assert!(err.to_string().contains("opted out"), "{err}");
    assert!(f.sms.sent().is_empty());
    let number = Destination::Sms(PhoneE164::parse("+34600111099").unwrap());
    assert!(Suppressions::is_suppressed(&f.suppressions, &fakes::tenant(), &number).await.unwrap());
    assert_eq!(f.compose.jobs().iter().filter(|j| j.fallback.is_some()).count(), 1);
}

#[tokio::test]
async fn an_sms_in_quiet_hours_waits_for_them_to_end_and_email_does_not() {
    // GIVEN quiet hours 21:00-09:00 in Madrid and the clock at 06:00 there
    let f = Fakes::with_notice().await;
    let quiet = crate::tenant::QuietHours { start: jiff::civil::time(21, 0, 0, 0), end: jiff::civil::time(9, 0, 0, 0) };
    let settings = TenantSettings { quiet_hours: Some(quiet), ..fakes::default_settings() };
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    *f.clock.0.lock().unwrap() = "2026-11-21T05:00:00Z".parse().unwrap();
    // WHEN the SMS and the email are dispatched
    let sms = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
    dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    // THEN the SMS is scheduled for 09:00 local, the email went, and nothing was dropped
    assert_eq!(sms, Dispatched::Deferred { until: "2026-11-21T09:00:00".into() });
    assert!(f.sms.sent().is_empty());
    assert_eq!(f.email.sent().len(), 1);
    let scheduled = f.scheduler.scheduled();
    assert_eq!(scheduled[0].job, Scheduled::Deliver(fakes::delivery_job(Channel::Sms)));
    // and an urgent SMS goes at once
    let urgent = DeliveryJob { urgent: true, ..fakes::delivery_job(Channel::Sms) };
    assert!(matches!(dispatch(&f).handle(&urgent).await.unwrap(), Dispatched::Sent { .. }));
}

fn with_rates(f: &Fakes, email_per_second: u32, sms_parts_per_second: u32) -> TenantSettings {
    let rate_limits = crate::tenant::RateLimits { email_per_second, sms_parts_per_second, whatsapp_per_second: 1 };
    TenantSettings { rate_limits, ..f.defaults.clone() }
}

#[tokio::test]
async fn past_the_tenants_send_rate_a_delivery_waits_on_its_queue_without_using_up_receives() {
    // GIVEN a tenant whose SMS budget is spent
    let f = Fakes::with_notice().await;
    f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 0)).await.unwrap();
    // WHEN an SMS is dispatched
    let paced = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
    // THEN it is acknowledged and back on the dispatch queue, to come after a delay
    assert!(matches!(paced, Dispatched::Paced { .. }), "{paced:?}");
    assert!(f.sms.sent().is_empty());
    let waiting: Vec<DeliveryJob> = f.dispatch.jobs().into_iter().filter(|j| j.paced > 0).collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].paced, 1);
    assert!(f.dispatch.delays()[0] >= SignedDuration::from_secs(2));
    // and, with budget again, the waiting job goes
    f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 1)).await.unwrap();
    assert!(matches!(dispatch(&f).handle(&waiting[0]).await.unwrap(), Dispatched::Sent { .. }));
}

#[tokio::test]
async fn the_deployments_shared_rate_holds_whatever_each_tenants_own_budget_allows() {
    use crate::ports::{Priority, RateLimiter, RateScope};
    // GIVEN a tenant allowed 1,000 SMS parts a second, in a deployment whose SMS account sends one
    let mut f = Fakes::with_notice().await;
    f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1_000, 1_000)).await.unwrap();
    f.shared_rates = crate::tenant::SharedRates::parse("sms=1").unwrap();
    // and another tenant's dispatcher took this second's part
    let now = f.clock.now();
    assert!(f.rate_limiter.take(RateScope::Deployment, Channel::Sms, 1, 1, Priority::Routine, now).await.unwrap());
    // WHEN this tenant's SMS is dispatched in the same second
    let paced = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
    // THEN it waits on the queue, and its email (no shared email rate) goes
    assert!(matches!(paced, Dispatched::Paced { .. }), "{paced:?}");
    assert!(f.sms.sent().is_empty());
    assert!(matches!(
        dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap(),
        Dispatched::Sent { .. }
    ));
    // and a second later it goes
    *f.clock.0.lock().unwrap() = now + SignedDuration::from_secs(1);
    let waiting = f.dispatch.drain().into_iter().find(|j| j.paced > 0).unwrap();
    assert!(matches!(dispatch(&f).handle(&waiting).await.unwrap(), Dispatched::Sent { .. }));
    assert_eq!(f.sms.sent().len(), 1);
}

#[test]
fn shared_rates_are_read_as_channel_equals_rate_and_a_mistake_is_named() {
    use crate::tenant::{RateLimits, SharedRates};
    let rates = SharedRates::parse(" email=14, sms=20 ").unwrap();
    assert_eq!(
        (rates.email_per_second, rates.sms_parts_per_second, rates.whatsapp_per_second),
        (Some(14), Some(20), None)
    );
    assert_eq!(SharedRates::parse("").unwrap(), SharedRates::default());
    let limited = rates.limit(RateLimits { email_per_second: 500, sms_parts_per_second: 5, whatsapp_per_second: 80 });
    assert_eq!(limited, RateLimits { email_per_second: 14, sms_parts_per_second: 5, whatsapp_per_second: 80 });
    for wrong in ["email", "sms=fast", "fax=3"] {
        let error = SharedRates::parse(wrong).unwrap_err();
        assert!(error.contains(&format!("`{wrong}`")) && error.contains("email=14,sms=20"), "{error}");
    }
}

#[tokio::test]
async fn a_delivery_that_waited_too_often_fails_to_be_dead_lettered_with_the_reason() {
    let f = Fakes::with_notice().await;
    f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 0)).await.unwrap();
    let job = DeliveryJob { paced: MAX_PACED, ..fakes::delivery_job(Channel::Sms) };
    let err = dispatch(&f).handle(&job).await.unwrap_err();
    assert!(err.is_retryable(), "retried, then dead-lettered: {err}");
    assert!(err.to_string().contains("send rate stayed spent"), "{err}");
}

#[tokio::test]
async fn an_sms_longer_than_a_seconds_budget_takes_a_whole_second_instead_of_waiting_for_ever() {
    let f = Fakes::with_notice().await;
    f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 1)).await.unwrap();
    let notice = f.notices.all().pop().unwrap();
    let mut three_parts = notice.clone();
    for message in &mut three_parts.messages {
        if let Some(content) = message.content.as_mut() {
            content.parts = Some(3);
        }
    }
    f.notices.replace(three_parts);
    assert!(matches!(dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap(), Dispatched::Sent { .. }));
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_sent_again_and_said_so() {
    // GIVEN an email the provider accepted but whose answer was lost
    let f = Fakes::with_notice().await;
    f.email.fail_next(SendFault::AnswerLost);
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    // WHEN the job is retried
    let again = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap();
    // THEN it is sent again (at-least-once where the outcome is unknown), and then never more
    assert!(matches!(again, Dispatched::Sent { .. }));
    assert_eq!(f.email.sent().len(), 2);
    assert_eq!(dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap(), Dispatched::Duplicate);
}

#[tokio::test]
async fn a_send_whose_record_cannot_be_written_is_never_sent_again() {
    // GIVEN an SMS sent, whose record write is throttled
    let f = Fakes::with_notice().await;
    f.claims.fail_next_complete();
    let sent = dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap();
    assert!(matches!(sent, Dispatched::Sent { .. }), "the send is not failed: {sent:?}");
    // THEN a job of its own carries the record
    let record = f.dispatch.jobs().pop().unwrap();
    assert_eq!(record.sent.as_deref(), Some("msg-1"));
    assert_eq!(dispatch(&f).handle(&record).await.unwrap(), Dispatched::Recorded);
    // and the delivery, redelivered, is a duplicate: one SMS in all
    assert_eq!(dispatch(&f).handle(&fakes::delivery_job(Channel::Sms)).await.unwrap(), Dispatched::Duplicate);
    assert_eq!(f.sms.sent().len(), 1);
    assert_eq!(f.claims.delivery_outcomes(Channel::Sms), [ClaimOutcome::Sent { provider_message_id: "msg-1".into() }]);
}

#[tokio::test]
async fn a_refused_delivery_is_sent_again_only_when_an_operator_redrives_it() {
    let f = Fakes::with_notice().await;
    f.email.fail_next(SendFault::Refused);
    dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert_eq!(dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap(), Dispatched::Duplicate);
    let redriven = DeliveryJob { redrive: true, ..fakes::delivery_job(Channel::Email) };
    assert!(matches!(dispatch(&f).handle(&redriven).await.unwrap(), Dispatched::Sent { .. }));
    assert_eq!(f.email.sent().len(), 1);
}

#[tokio::test]
async fn a_tenant_with_a_whatsapp_template_reaches_its_citizens_there() {
    // GIVEN a tenant with a WhatsApp number and a template for returned debits, and a
    // citizen who prefers WhatsApp
    let f = Fakes::with_invoice(|c| c.channels = vec![Channel::Whatsapp, Channel::Email]).await;
    let whatsapp = crate::tenant::WhatsAppSettings {
        phone_number_id: "1065".into(),
        templates: [(NoticeKind::DirectDebitReturned, "avisa_notice".to_owned())].into(),
    };
    f.tenants
        .put_settings(&fakes::tenant(), &TenantSettings { whatsapp: Some(whatsapp), ..fakes::default_settings() })
        .await
        .unwrap();
    for sample in ["invoice-paid", "direct-debit-returned"] {
        f.ingest().handle(&fakes::sample(sample), fakes::UPSTREAM, 1).await.unwrap();
    }
    let job = f.compose.jobs().pop().unwrap();
    // WHEN the notice is composed and its delivery dispatched
    f.composer().handle(&job).await.unwrap();
    let delivery = f.dispatch.jobs().pop().unwrap();
    assert_eq!(delivery.channel, Channel::Whatsapp);
    dispatch(&f).handle(&delivery).await.unwrap();
    // THEN it went as the template, to the mobile, with the SMS wording as its parameter
    let sent = f.whatsapp.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0.as_str(), sent[0].1.as_str()), ("+34600111001", "avisa_notice"));
    assert!(sent[0].2.starts_with("direct_debit_returned/sms/ca"), "the SMS wording: {}", sent[0].2);
    // and its receipts will find the delivery by WhatsApp's id
    let feedback = crate::feedback::Feedback { deliveries: &f.deliveries, suppressions: &f.suppressions };
    let read = crate::feedback::WhatsAppReceipt {
        provider_message_id: "wamid.1".into(),
        status: Some(crate::ports::DeliveryStatus::Read),
        detail: String::new(),
        at: f.clock.now(),
    };
    feedback.handle_whatsapp(&read).await.unwrap();
    assert_eq!(f.deliveries.statuses(), [(Channel::Whatsapp, crate::ports::DeliveryStatus::Read, String::new())]);
}

#[tokio::test]
async fn a_job_for_an_unrecorded_notice_is_rejected() {
    let f = Fakes::default();
    let err = dispatch(&f).handle(&fakes::delivery_job(Channel::Email)).await.unwrap_err();
    assert!(err.to_string().contains("unknown_notice"), "{err}");
}

#[tokio::test]
async fn while_urgent_sends_wait_for_the_budget_routine_ones_wait_longer() {
    // GIVEN a tenant sending one email a second, and an outage alert that took this second's
    let f = Fakes::with_notice().await;
    f.tenants.put_settings(&fakes::tenant(), &with_rates(&f, 1, 1)).await.unwrap();
    let urgent = DeliveryJob { urgent: true, ..fakes::delivery_job(Channel::Email) };
    assert!(matches!(dispatch(&f).handle(&urgent).await.unwrap(), Dispatched::Sent { .. }));
    // WHEN another urgent one finds the budget spent
    assert!(matches!(dispatch(&f).handle(&urgent).await.unwrap(), Dispatched::Paced { .. }));
    // THEN in the next second a routine email waits, although that second's budget is whole
    f.clock.advance(SignedDuration::from_secs(1));
    let routine = fakes::delivery_job(Channel::Email);
    assert!(matches!(dispatch(&f).handle(&routine).await.unwrap(), Dispatched::Paced { .. }));
    // while an urgent one takes it (here: already sent, so nothing goes twice)
    assert_eq!(dispatch(&f).handle(&urgent).await.unwrap(), Dispatched::Duplicate);
    assert_eq!(f.email.sent().len(), 1);
}
