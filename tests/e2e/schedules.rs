//! Timed notices against moto: the schedule EventBridge keeps, fired by the local harness at an
//! injected time. The events are dated years ahead, so no test depends on today's date.

use avisa_local::LocalStack;
use avisa_local::schedules;
use jiff::Timestamp;

use crate::support::{sample_body, stack};

/// The `invoice-scheduled` sample, for an invoice charged on `charge_date`.
fn invoice_scheduled(event_id: &str, charge_date: &str) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/invoice-scheduled.json")).unwrap();
    event["event_id"] = event_id.into();
    event["data"]["planned_issue_date"] = "2030-06-01".into();
    event["data"]["bank_charge_date"] = charge_date.into();
    event.to_string()
}

async fn ingest(stack: &LocalStack, body: &str) {
    stack.send("BillingEventsQueue", body).await.unwrap();
    stack.event_source_mapping().unwrap().drain().await.unwrap();
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn the_invoice_pre_notice_is_scheduled_in_the_tenants_zone_and_sent_when_it_fires() {
    // GIVEN a customer and an invoice to be charged on 2030-06-10
    let stack = stack().await;
    ingest(&stack, &sample_body("events/billing-ingest/customer-upserted.json")).await;
    ingest(&stack, &invoice_scheduled("evt-s1", "2030-06-10")).await;
    // THEN EventBridge holds one schedule, 8 days before at 10:00 Madrid time, deleting itself
    let scheduled = schedules::list(&stack).await.unwrap();
    assert_eq!(scheduled.len(), 1, "{scheduled:#?}");
    assert_eq!(
        (scheduled[0].at.to_string().as_str(), scheduled[0].time_zone.as_str()),
        ("2030-06-02T10:00:00", "Europe/Madrid")
    );
    assert_eq!(scheduled[0].due, at("2030-06-02T08:00:00Z"), "Madrid is UTC+2 in June");
    assert!(scheduled[0].delete_after);
    assert_eq!(scheduled[0].target_arn, stack.queue("ComposeQueue").arn);
    // WHEN the harness's clock is just before, nothing fires…
    assert_eq!(schedules::fire_due(&stack, at("2030-06-02T07:59:59Z")).await.unwrap(), 0);
    // …and at the time it fires: one SMS, in Catalan, and the schedule is gone
    assert_eq!(schedules::fire_due(&stack, at("2030-06-02T08:00:00Z")).await.unwrap(), 1);
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert!(sent.emails.is_empty(), "the pre-notice is an SMS only");
    assert_eq!(sent.sms.len(), 1);
    assert!(
        sent.sms[0].message.starts_with("Avís: el dissabte, 1 de juny del 2030 emetrem la factura F-2026-110001"),
        "{}",
        sent.sms[0].message
    );
    assert!(schedules::list(&stack).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_rescheduled_invoice_moves_its_schedule_and_the_old_date_is_never_announced() {
    let stack = stack().await;
    ingest(&stack, &sample_body("events/billing-ingest/customer-upserted.json")).await;
    ingest(&stack, &invoice_scheduled("evt-s1", "2030-06-10")).await;
    // a newer event moves the charge to 2030-06-20
    let mut moved: serde_json::Value = serde_json::from_str(&invoice_scheduled("evt-s2", "2030-06-20")).unwrap();
    moved["occurred_at"] = "2026-11-15T06:00:00Z".into();
    ingest(&stack, &moved.to_string()).await;
    let scheduled = schedules::list(&stack).await.unwrap();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].at.to_string(), "2030-06-12T10:00:00");
    // and a redelivery of the old event cannot move it back (the account keeps the newer date)
    ingest(&stack, &invoice_scheduled("evt-s1-again", "2030-06-10")).await;
    assert_eq!(schedules::list(&stack).await.unwrap()[0].at.to_string(), "2030-06-12T10:00:00");
}

#[tokio::test]
async fn an_sms_in_quiet_hours_is_held_back_until_they_end_then_sent() {
    use avisa_domain::clock::TimeZoneName;
    use avisa_domain::ports::TenantDirectory;
    use avisa_domain::tenant::{QuietHours, TenantSettings};
    // GIVEN a tenant whose quiet hours run from an hour ago to two hours from now (Madrid time)
    let stack = stack().await;
    let madrid = TimeZoneName::parse("Europe/Madrid").unwrap();
    let now = Timestamp::now().to_zoned(madrid.zone());
    // whole minutes: schedules have second precision; near midnight the window wraps, as a
    // night's quiet hours do
    let minute = jiff::civil::time(now.hour(), now.minute(), 0, 0);
    let start = minute.wrapping_sub(jiff::SignedDuration::from_hours(1));
    let end = minute.wrapping_add(jiff::SignedDuration::from_hours(2));
    let mut settings: TenantSettings = serde_json::from_str(
        &std::fs::read_to_string(avisa_local::moto::workspace_root().join("events/demo/tenant.json")).unwrap(),
    )
    .unwrap();
    settings.quiet_hours = Some(QuietHours { start, end });
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    store.put_settings(&avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(), &settings).await.unwrap();
    // WHEN an invoice arrives for a citizen with email and mobile
    ingest(&stack, &sample_body("events/billing-ingest/customer-upserted.json")).await;
    ingest(&stack, &sample_body("events/billing-ingest/invoice-issued.json")).await;
    // THEN the email goes now; the SMS waits in a schedule on the dispatch queue for the window's end
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (1, 0), "{sent:#?}");
    let held = schedules::list(&stack).await.unwrap();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(held[0].target_arn, stack.queue("DispatchQueue").arn);
    assert_eq!(held[0].at.time(), end);
    // …and when the window ends it goes, once
    assert_eq!(schedules::fire_due(&stack, held[0].due).await.unwrap(), 1);
    // The dispatcher reads the real clock, still inside the window: it would defer again. Lift
    // the quiet hours, as the window's end would.
    settings.quiet_hours = None;
    store.put_settings(&avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(), &settings).await.unwrap();
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (1, 1), "{sent:#?}");
}
