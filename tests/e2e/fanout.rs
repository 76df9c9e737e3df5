//! An outage alert reaches everyone it can, whatever happens to one of them: one citizen's
//! message that does not fit their SMS, a throttled send, a number or an address the provider
//! refuses — each is handled for that person alone, and everyone else is still told once.

use avisa_aws::DynamoStore;
use avisa_domain::contact::{Email, Locale, PhoneE164};
use avisa_domain::ids::{CustomerId, TenantId};
use avisa_domain::ports::{AccountStore, NoticeStore, TenantDirectory};
use avisa_local::proxy::SendFault;
use jiff::SignedDuration;
use serde_json::json;

use crate::outages::{Desk, fire_and_deliver, plan, start, town, with_call_centre};
use crate::support::stack;

/// The six households of the town in columns 0-2, rows 0-1 (contracts CT-0000..2, CT-0020..22).
const AREA: &str = r#"{"polygon": {"type": "Polygon", "coordinates": [[
    [1.1000, 41.1500], [1.1030, 41.1500], [1.1030, 41.1520], [1.1000, 41.1520], [1.1000, 41.1500]]]}}"#;

/// Makes household `i` speak `locale` with just these contacts.
async fn household(store: &DynamoStore, i: u32, locale: Locale, mobile: bool, email: bool) -> (String, String) {
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let mut customer =
        store.customer(&tenant, &CustomerId::parse(&format!("CU-{i:04}")).unwrap()).await.unwrap().unwrap();
    let (number, address) = (format!("+3460030{i:04}"), format!("h{i}@example.cat"));
    customer.language = Some(locale);
    customer.mobile = mobile.then(|| PhoneE164::parse(&number).unwrap());
    customer.email = email.then(|| Email::parse(&address).unwrap());
    customer.consents.service = true;
    customer.as_of += SignedDuration::from_secs(1);
    store.upsert_customer(&customer).await.unwrap();
    (number, address)
}

#[tokio::test]
async fn one_citizens_failure_never_keeps_the_alert_from_anyone_else() {
    // GIVEN a tenant whose SMS may take one part, and six households in the outage's area
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    with_call_centre(&store).await;
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let mut settings = store.settings(&tenant).await.unwrap().unwrap();
    settings.sms.max_segments = 1;
    store.put_settings(&tenant, &settings).await.unwrap();
    // Catalan does not fit one SMS part: one household also has email, the other does not
    let (_, too_long_with_email) = household(&store, 0, Locale::Ca, true, true).await;
    let (too_long_sms_only, _) = household(&store, 1, Locale::Ca, true, false).await;
    // a throttled send, a number the provider refuses (email too), an address it refuses (no mobile)
    let (throttled, _) = household(&store, 2, Locale::Es, true, false).await;
    let (refused_number, fallback_email) = household(&store, 20, Locale::It, true, true).await;
    let (_, refused_address) = household(&store, 21, Locale::En, false, true).await;
    let (fine, _) = household(&store, 22, Locale::Es, true, false).await;
    stack.proxy().fail_sends_to(&throttled, SendFault::Throttled(2));
    stack.proxy().fail_sends_to(&refused_number, SendFault::Refused);
    stack.proxy().fail_sends_to(&refused_address, SendFault::Refused);
    // WHEN the outage is planned, confirmed and its 48 h alert fires
    let desk = Desk::new(&stack).await;
    let start = start();
    let area: serde_json::Value = serde_json::from_str(AREA).unwrap();
    let (status, planned) = desk.post("/outages", plan(start, &area)).await;
    assert_eq!((status, &planned["dry_run"]["recipients"]), (201, &json!(6)), "{planned}");
    // and the dry run already tells the planner that Catalan does not fit, and who goes by email
    let previews = planned["dry_run"]["sms"].as_array().unwrap();
    let catalan = previews.iter().find(|p| p["locale"] == "ca").unwrap();
    assert_eq!(catalan["does_not_fit"], "too long for 1 SMS part(s)", "{catalan}");
    assert_eq!(planned["dry_run"]["by_channel"]["email"], 2, "{planned}");
    let id = planned["outage"]["outage_id"].as_str().unwrap().to_owned();
    assert_eq!(desk.post(&format!("/outages/{id}/confirm"), json!({})).await.0, 200);
    fire_and_deliver(&stack, start - SignedDuration::from_hours(48)).await;
    // THEN everyone who can be reached is, once, on the channel that worked for them
    let sent = stack.moto().sent().unwrap();
    let sms_to = |to: &str| sent.sms.iter().filter(|s| s.phone_number == to).count();
    let emails_to = |to: &str| sent.emails.iter().filter(|e| e.destinations.to.iter().any(|d| d == to)).count();
    assert_eq!(emails_to(&too_long_with_email), 1, "Catalan too long for one part: by email instead");
    assert_eq!(sms_to(&throttled), 1, "throttled twice, then sent once");
    assert_eq!(sms_to(&fine), 1);
    assert_eq!((sms_to(&refused_number), emails_to(&fallback_email)), (0, 1), "refused number: its email");
    assert_eq!(sms_to(&too_long_sms_only) + emails_to(&refused_address), 0);
    // and those who could not be, say why: on the notice, and on the refused delivery
    let notices = store.history(&tenant, &avisa_domain::ids::ContractId::parse("CT-0001").unwrap(), 10).await.unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].messages.is_empty(), "{notices:?}");
    assert!(notices[0].channel_reason.contains("sms (too long for 1 SMS part(s))"), "{}", notices[0].channel_reason);
    let rejections = avisa_local::demo::rejections(&stack, Some("aigues-reus")).await.unwrap();
    assert!(rejections.iter().any(|r| r.contains("MessageRejected")), "{rejections:?}");
    // and the call centre hears the figures
    let briefing = sent.emails.iter().find(|e| e.destinations.to == ["centraleta@aigues-reus.cat"]).unwrap();
    assert!(briefing.body.contains("Avisats: 6"), "{}", briefing.body);
}
