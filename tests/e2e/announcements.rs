//! Announcements against moto through the real functions: the operator API queues a file of
//! contracts in chunks, the composer and the dispatcher tell each household once, in its
//! language, and the send's status says so; a second tenant's household of the same contract
//! number hears nothing, and every call is checked against the template's roles.

use std::collections::HashSet;

use avisa_aws::DynamoStore;
use avisa_domain::ports::AccountStore;
use avisa_domain::sends::CHUNK_CONTRACTS;
use avisa_domain::text::Text;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use avisa_domain::ports::TenantDirectory;

use crate::outages::{Desk, TENANT, town};
use crate::support::stack;

const OTHER_TOKEN: &str = "avisa_op_test_lleida";

fn texts() -> Value {
    json!({
        "ca": {"subject": "Nou servei: avisos de talls per SMS",
               "body": "A partir d'ara us avisarem per SMS dels talls d'aigua previstos.\n\nSi canvieu de mòbil, digueu-nos-ho."},
        "es": {"subject": "Nuevo servicio: avisos de cortes por SMS",
               "body": "A partir de ahora le avisaremos por SMS de los cortes de agua previstos."},
    })
}

/// Household `CT-0005` of aigues-lleida: the same contract number as one of Reus's.
async fn other_tenants_household(store: &DynamoStore) {
    let mut customer = avisa_domain::fakes::customer_profile();
    customer.tenant_id = avisa_domain::ids::TenantId::parse("aigues-lleida").unwrap();
    customer.customer_id = avisa_domain::ids::CustomerId::parse("CU-L-0005").unwrap();
    customer.email = Some(avisa_domain::contact::Email::parse("lleida5@example.cat").unwrap());
    customer.mobile = Some(avisa_domain::contact::PhoneE164::parse("+34600990005").unwrap());
    let mut holder = avisa_domain::fakes::contract_holder();
    holder.tenant_id = customer.tenant_id.clone();
    holder.contract_id = avisa_domain::ids::ContractId::parse("CT-0005").unwrap();
    holder.customer_id = customer.customer_id.clone();
    store.upsert_customer(&customer).await.unwrap();
    store.upsert_holder(&holder).await.unwrap();
}

/// Pacing is the dispatcher's tests' business: here the whole send goes in one drain.
async fn unpaced(store: &DynamoStore) {
    let mut settings = avisa_domain::fakes::default_settings();
    settings.rate_limits.email_per_second = 1_000;
    settings.rate_limits.sms_parts_per_second = 1_000;
    store.put_settings(&avisa_domain::ids::TenantId::parse(TENANT).unwrap(), &settings).await.unwrap();
}

async fn lleida_operator(desk: &Desk) {
    let operator = avisa_domain::operators::Operator {
        tenant_id: avisa_domain::ids::TenantId::parse("aigues-lleida").unwrap(),
        name: Text::parse("marta.operadora").unwrap(),
        issued_at: Timestamp::now(),
        valid_until: Timestamp::now().checked_add(SignedDuration::from_hours(24)).unwrap(),
        admin: false,
    };
    desk.app.register_operator(OTHER_TOKEN, &operator).await.unwrap();
}

#[tokio::test]
async fn an_announcement_to_a_file_of_contracts_tells_each_household_once_in_its_language() {
    // GIVEN Reus's 300 households (every 25th without consent, every 4th reading Spanish) and a
    // household of Lleida's with contract number CT-0005
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    unpaced(&store).await;
    other_tenants_household(&store).await;
    let desk = Desk::new(&stack).await;
    lleida_operator(&desk).await;
    // WHEN a planner announces the new SMS service to a file of 250 of them, with a repeat and a
    // contract nobody has
    let mut contracts: Vec<String> = (0..250).map(|i| format!("CT-{i:04}")).collect();
    contracts.extend(["CT-0003".to_owned(), "CT-9999".to_owned()]);
    let body = json!({"announcement_id": "new-sms-service", "texts": texts(), "contracts": contracts});
    let (status, announced) = desk.post("/announcements", body.clone()).await;
    // THEN it is queued in chunks of the 251 contracts, nobody told yet
    assert_eq!(status, 201, "{announced}");
    let parts = 251_usize.div_ceil(CHUNK_CONTRACTS);
    assert_eq!(
        (announced["announcement"]["contracts"].as_u64(), announced["announcement"]["parts"].as_u64()),
        (Some(251), Some(parts as u64))
    );
    assert_eq!(announced["repeated_contracts"], 1);
    assert!(announced["send"]["estimated_end"].is_string(), "{announced}");
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), parts);
    assert!(stack.moto().sent().unwrap().emails.is_empty());
    // WHEN the composer and the dispatcher run from their queues
    let report = stack.event_source_mapping().unwrap().drain().await.unwrap();
    assert_eq!(report.by_function.values().map(|i| i.failed).sum::<usize>(), 0, "{report:?}");
    // THEN each of the 240 households with consent was told once, on one channel, in its
    // language; the ten without consent and the unknown contract were not
    let sent = stack.moto().sent().unwrap();
    let told: Vec<u32> = sent
        .emails
        .iter()
        .flat_map(|e| {
            e.destinations.to.iter().filter_map(|to| to.strip_prefix('h')?.strip_suffix("@example.cat")?.parse().ok())
        })
        .chain(sent.sms.iter().filter_map(|s| s.phone_number.strip_prefix("+3460020")?.parse().ok()))
        .collect();
    let once: HashSet<u32> = told.iter().copied().collect();
    assert_eq!((told.len(), once.len()), (240, 240), "one message per household");
    assert!(once.iter().all(|i| *i < 250 && !i.is_multiple_of(25)), "{once:?}");
    for email in &sent.emails {
        let i: u32 =
            email.destinations.to[0].strip_prefix('h').unwrap().strip_suffix("@example.cat").unwrap().parse().unwrap();
        let expected = if i.is_multiple_of(4) { "Nuevo servicio" } else { "Nou servei" };
        assert!(email.subject.starts_with(expected), "household {i}: {}", email.subject);
        assert!(email.body.contains(&format!("CT-{i:04}")), "{}", email.body);
    }
    for sms in &sent.sms {
        assert!(sms.message.starts_with("A partir d"), "{}", sms.message);
    }
    // and Lleida's CT-0005 heard nothing
    assert!(sent.emails.iter().all(|e| e.destinations.to != ["lleida5@example.cat"]));
    assert!(sent.sms.iter().all(|s| s.phone_number != "+34600990005"));
    // and the send says so: every chunk done, 240 sent, the unknown contract failed with why
    let (status, shown) = desk.call("GET", "/announcements/new-sms-service", None, Some(crate::outages::TOKEN)).await;
    assert_eq!(status, 200, "{shown}");
    let status_of_send = &shown["send"];
    assert_eq!(
        (status_of_send["parts_done"].as_u64(), status_of_send["contracts_composed"].as_u64()),
        (Some(parts as u64), Some(251)),
        "{status_of_send}"
    );
    let sent_count: u64 = status_of_send["sent"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(sent_count, 240, "{status_of_send}");
    assert_eq!(
        (status_of_send["unreachable"].as_u64(), status_of_send["failed"].as_u64()),
        (Some(10), Some(1)),
        "{status_of_send}"
    );
    assert_eq!(status_of_send["reasons"]["unknown_contract"], 1, "{status_of_send}");
    assert!(status_of_send["finished_at"].is_string() && status_of_send["waiting"] == 0, "{status_of_send}");
    // WHEN it is submitted again (a double click) THEN it is the same send and nobody hears twice
    let (status, again) = desk.post("/announcements", body).await;
    assert_eq!((status, &again["new"]), (200, &json!(false)), "{again}");
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let again = stack.moto().sent().unwrap();
    assert_eq!(again.emails.len() + again.sms.len(), 240);
    // and Lleida's operator cannot read Reus's announcement
    let (status, _) = desk.call("GET", "/announcements/new-sms-service", None, Some(OTHER_TOKEN)).await;
    assert_eq!(status, 404);
    assert_eq!(stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_announcement_that_cannot_be_sent_is_refused_with_why_and_nothing_is_queued() {
    let stack = stack().await;
    let desk = Desk::new(&stack).await;
    let send = |body: Value| desk.post("/announcements", body);
    // a text longer than the tenant's three SMS parts
    let long = "Molt important. ".repeat(40);
    let body = json!({"announcement_id": "long", "texts": {"ca": {"subject": "Avís", "body": long}}, "contracts": ["CT-0001"]});
    let (status, answer) = send(body).await;
    assert_eq!((status, answer["error"].as_str()), (422, Some("sms_too_long")), "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("texts.ca.body"), "{answer}");
    // no text in the tenant's language
    let body = json!({"announcement_id": "es-only", "texts": {"es": texts()["es"]}, "contracts": ["CT-0001"]});
    let (status, answer) = send(body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("texts.ca"), "{answer}");
    // a language avisa does not write, and a field it does not know
    let body = json!({"announcement_id": "fr", "texts": {"fr": texts()["es"]}, "contracts": ["CT-0001"]});
    assert_eq!(send(body).await.0, 400);
    let body = json!({"announcement_id": "x", "texts": texts(), "contracts": ["CT-0001"], "send_at": "tomorrow"});
    let (status, answer) = send(body).await;
    assert_eq!(status, 400);
    assert!(answer["message"].as_str().unwrap().contains("send_at"), "{answer}");
    // the same id with other texts after it was sent
    let body = json!({"announcement_id": "works", "texts": texts(), "contracts": ["CT-0001"]});
    assert_eq!(send(body).await.0, 201);
    let mut other = texts();
    other["ca"]["body"] = json!("Un altre text.");
    let (status, answer) = send(json!({"announcement_id": "works", "texts": other, "contracts": ["CT-0001"]})).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("another id"), "{answer}");
    // THEN only the one accepted announcement is on the compose queue
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 1);
    // WHEN a file of 10,000 contracts comes (over the 64 KiB other requests may be) THEN it is
    // taken, in its chunks
    let contracts: Vec<String> = (0..10_000).map(|i| format!("CT-{i:06}")).collect();
    let body = json!({"announcement_id": "whole-town", "texts": texts(), "contracts": contracts});
    assert!(body.to_string().len() > 64 * 1024);
    let (status, answer) = send(body).await;
    let parts = 10_000_usize.div_ceil(CHUNK_CONTRACTS);
    assert_eq!((status, answer["announcement"]["parts"].as_u64()), (201, Some(parts as u64)), "{answer}");
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 1 + parts);
}

#[tokio::test]
async fn a_preview_says_how_long_sending_a_file_can_take_and_queues_nothing_for_either_tenant() {
    // GIVEN Reus at 10 emails and 50 SMS parts a second, 6 cents a part, and an operator of Lleida
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let mut settings = avisa_domain::fakes::default_settings();
    (settings.rate_limits.email_per_second, settings.rate_limits.sms_parts_per_second) = (10, 50);
    settings.outages.sms_part_price = Some(avisa_domain::money::Money {
        amount: avisa_domain::money::Amount::from_minor(6),
        currency: avisa_domain::money::Currency::parse("EUR").unwrap(),
    });
    store.put_settings(&avisa_domain::ids::TenantId::parse(TENANT).unwrap(), &settings).await.unwrap();
    let desk = Desk::new(&stack).await;
    lleida_operator(&desk).await;
    // WHEN Reus previews a file of 10,000 contracts (over the 64 KiB other requests may be), one
    // named twice
    let mut contracts: Vec<String> = (0..10_000).map(|i| format!("CT-{i:06}")).collect();
    contracts.push("CT-000042".into());
    let body = json!({"announcement_id": "whole-town", "texts": texts(), "contracts": contracts});
    let (status, preview) = desk.post("/announcements/preview", body.clone()).await;
    // THEN it says the file's contracts, chunks and each language's SMS parts
    assert_eq!(status, 200, "{preview}");
    assert_eq!((preview["contracts"].as_u64(), preview["repeated_contracts"].as_u64()), (Some(10_000), Some(1)));
    assert_eq!(preview["chunks"].as_u64(), Some(10_000_u64.div_ceil(CHUNK_CONTRACTS as u64)));
    assert_eq!(preview["sms_parts"], json!({"ca": 1, "es": 1}), "{preview}");
    // and the most it can take: 10,000 emails at 10 a second, slower than the SMS at 50 (or
    // fewer, within the deployment's shared quotas), and what the SMS would cost at most
    assert_eq!(preview["at_most_seconds"].as_u64(), Some(1_000), "{preview}");
    assert_eq!(preview["at_most_sms_cost"], json!({"amount": "600.00", "currency": "EUR"}));
    assert!(preview.get("submitted_before").is_none(), "{preview}");
    // and nothing is recorded or queued
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 0);
    assert_eq!(desk.call("GET", "/announcements/whole-town", None, Some(crate::outages::TOKEN)).await.0, 404);
    // WHEN Reus sends it, then previews it again, and Lleida previews the same id
    assert_eq!(desk.post("/announcements", body.clone()).await.0, 201);
    let (_, again) = desk.post("/announcements/preview", body.clone()).await;
    let lleida = desk.call("POST", "/announcements/preview", Some(body), Some(OTHER_TOKEN)).await;
    // THEN Reus's preview says it is that send, and Lleida's knows nothing of Reus's
    assert_eq!(again["submitted_before"], json!("same"), "{again}");
    assert_eq!(lleida.0, 200, "{}", lleida.1);
    assert!(lleida.1.get("submitted_before").is_none(), "{}", lleida.1);
    // and a text longer than the tenant's SMS parts is refused as sending would refuse it
    let long = "Molt important. ".repeat(40);
    let body = json!({"announcement_id": "long", "texts": {"ca": {"subject": "Avís", "body": long}}, "contracts": ["CT-0001"]});
    let (status, answer) = desk.post("/announcements/preview", body).await;
    assert_eq!((status, answer["error"].as_str()), (422, Some("sms_too_long")), "{answer}");
    assert_eq!(stack.violations(), Vec::<String>::new());
}
