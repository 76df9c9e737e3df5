//! The skeleton path and its guarantees: billing event in, one email and one SMS out.

use avisa_local::demo;

use crate::support::{sample_body, stack};

/// The demo tenant's rejections, as `code: detail`.
pub async fn rejections(stack: &avisa_local::LocalStack) -> Vec<String> {
    demo::rejections(stack, Some("aigues-reus")).await.unwrap()
}

#[tokio::test]
async fn an_invoice_issued_event_ends_as_one_email_and_one_sms() {
    // GIVEN a customer with an email address and a mobile number
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/customer-upserted.json")).await.unwrap();
    esm.drain().await.unwrap();
    // WHEN their invoice.issued event arrives on the billing-events queue
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/invoice-issued.json")).await.unwrap();
    esm.drain().await.unwrap();
    // THEN SES received exactly one email to them naming the invoice and the amount…
    let sent = stack.moto().sent().unwrap();
    assert_eq!(sent.emails.len(), 1, "{sent:#?}");
    let email = &sent.emails[0];
    assert_eq!(email.destinations.to, ["maria.puig@example.cat"]);
    assert_eq!(email.source, "avisos@example.org");
    assert!(email.subject.contains("F-2026-110001") && email.subject.contains("48,20 €"), "{}", email.subject);
    assert!(email.body.contains("F-2026-110001") && email.body.contains("48,20 €"), "{}", email.body);
    // …and SNS exactly one SMS to their E.164 number, in their language (Catalan)
    assert_eq!(sent.sms.len(), 1, "{sent:#?}");
    assert_eq!(sent.sms[0].phone_number, "+34600111001");
    assert_eq!(
        sent.sms[0].message,
        "Factura F-2026-110001: 48,20 €. Càrrec al compte el dimarts, 1 de desembre del 2026."
    );
    // …and nothing is left on any queue or dead-letter queue
    for queue in
        ["BillingEventsQueue", "ComposeQueue", "DispatchQueue", "BillingEventsDlq", "ComposeDlq", "DispatchDlq"]
    {
        assert_eq!(stack.depth(queue).await.unwrap(), 0, "{queue} is not empty");
    }
}

#[tokio::test]
async fn a_billing_event_delivered_twice_sends_once() {
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/customer-upserted.json")).await.unwrap();
    esm.drain().await.unwrap();
    let invoice = sample_body("events/billing-ingest/invoice-issued.json");
    stack.send("BillingEventsQueue", &invoice).await.unwrap();
    stack.send("BillingEventsQueue", &invoice).await.unwrap();
    let report = esm.drain().await.unwrap();
    esm.drain().await.unwrap();
    // the duplicate reached ingest, and was acknowledged without a second notice
    assert_eq!(report.of("billing-ingest").records, 2);
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (1, 1), "{sent:#?}");
}

#[tokio::test]
async fn redelivered_compose_and_delivery_jobs_send_nothing_more() {
    // GIVEN the invoice notice of the samples composed and delivered
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    for sample in ["customer-upserted", "invoice-issued"] {
        stack.send("BillingEventsQueue", &sample_body(&format!("events/billing-ingest/{sample}.json"))).await.unwrap();
        esm.drain().await.unwrap();
    }
    // WHEN the composer and dispatcher samples (the same notice's jobs) are delivered again
    stack.send("ComposeQueue", &sample_body("events/notice-composer/invoice-available.json")).await.unwrap();
    stack.send("DispatchQueue", &sample_body("events/notice-dispatcher/email-delivery.json")).await.unwrap();
    stack.send("DispatchQueue", &sample_body("events/notice-dispatcher/sms-delivery.json")).await.unwrap();
    let report = esm.drain().await.unwrap();
    // THEN they were processed without failures, and still one email and one SMS exist
    assert_eq!(report.of("notice-composer").records, 1);
    assert_eq!(report.of("notice-dispatcher").records, 4, "two samples plus the two the composer queued again");
    assert_eq!(report.of("notice-dispatcher").failed, 0);
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (1, 1), "{sent:#?}");
    assert!(rejections(&stack).await.is_empty());
}

#[tokio::test]
async fn bad_records_are_recorded_with_their_reason_and_the_batch_goes_on() {
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    stack.send("BillingEventsQueue", "{ this is not json").await.unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/invalid-phone.json")).await.unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/customer-upserted.json")).await.unwrap();
    let report = esm.drain().await.unwrap();
    assert_eq!(report.of("billing-ingest").failed, 0, "permanent errors are acknowledged, not retried");
    let mut reasons = rejections(&stack).await;
    reasons.extend(demo::rejections(&stack, None).await.unwrap());
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("invalid_json: body is not JSON")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("invalid_field:") && r.contains("E.164")), "{reasons:?}");
    assert_eq!(stack.depth("BillingEventsDlq").await.unwrap(), 0);
}

#[tokio::test]
async fn the_demo_billing_run_reaches_each_citizen_on_their_channels() {
    let stack = stack().await;
    let report = demo::run(&stack).await.unwrap();
    assert_eq!((report.customers_in, report.invoices_in), (5, 6));
    assert_eq!(report.rejected.len(), 1, "the invoice for an unknown contract: {:?}", report.rejected);
    assert!(report.rejected[0].starts_with("unknown_contract"));
    assert_eq!(report.notices_composed, 5);
    assert_eq!(report.drained.of("billing-ingest").failed, 3, "the unknown contract's invoice waited three times");
    let mut emailed: Vec<&str> = report.sent.emails.iter().map(|e| e.destinations.to[0].as_str()).collect();
    emailed.sort_unstable();
    assert_eq!(emailed, ["giulia.bianchi@example.it", "lucia.fernandez@example.es", "maria.puig@example.cat"]);
    let mut texted: Vec<&str> = report.sent.sms.iter().map(|s| s.phone_number.as_str()).collect();
    texted.sort_unstable();
    assert_eq!(texted, ["+34600111001", "+34600111002", "+34600111005"]);
    // Lucía reads Spanish, Giulia Italian; Pere chose no language: the tenant default (Catalan)
    let subject_to = |to: &str| report.sent.emails.iter().find(|e| e.destinations.to[0] == to).unwrap().subject.clone();
    // CLDR: Spanish groups thousands only from five digits
    assert_eq!(subject_to("lucia.fernandez@example.es"), "Factura F-2026-110002 de 1234,56 €");
    assert_eq!(subject_to("giulia.bianchi@example.it"), "Fattura F-2026-110004 di 23,05 €");
    let pere = report.sent.sms.iter().find(|s| s.phone_number == "+34600111005").unwrap();
    assert!(pere.message.contains("Càrrec al compte el dimarts, 1 de desembre del 2026"), "{}", pere.message);
    // Pere (no e-invoice) and Anna (no contact at all) get their invoices on paper
    assert_eq!(report.print_batches.len(), 1);
    assert_eq!(report.print_batches[0].1, 2, "{:?}", report.print_batches);
    let printed = report.to_string();
    assert!(printed.contains("emails in SES:      3") && printed.contains("SMS in SNS:         3"), "{printed}");
}
