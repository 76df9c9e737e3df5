//! Planned outages against moto: targeting by sector and polygon over a few hundred supply
//! points, the dry run, alert schedules in EventBridge, firing them through the local harness at
//! an injected time, the SMS in SNS and the call-centre email in SES; reschedule and cancel.

use avisa_aws::DynamoStore;
use avisa_domain::account::{ContractHolder, CustomerProfile};
use avisa_domain::ports::{AccountStore, TenantDirectory};
use avisa_domain::text::Text;
use avisa_local::{LocalStack, schedules};
use avisa_runtime::http::HttpHandler;
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::stack;

pub(crate) const TOKEN: &str = "avisa_op_test_reus";
pub(crate) const TENANT: &str = "aigues-reus";

/// 300 supply points on a 20 x 15 grid 0.001° apart (about 100 m), in Reus: column < 10 is sector
/// REUS-N1, the rest REUS-N2. Every 10th household has no mobile (email only); every 25th gave no
/// consent. Customers speak Catalan, but every 4th Spanish.
pub(crate) async fn town(store: &DynamoStore) {
    let holder_template = avisa_domain::fakes::contract_holder();
    let customer_template = avisa_domain::fakes::customer_profile();
    let mut writes = Vec::new();
    for i in 0..300u32 {
        let (col, row) = (i % 20, i / 20);
        let mut customer: CustomerProfile = customer_template.clone();
        customer.customer_id = avisa_domain::ids::CustomerId::parse(&format!("CU-{i:04}")).unwrap();
        customer.name = Text::parse(&format!("Household {i}")).unwrap();
        customer.mobile =
            (i % 10 != 0).then(|| avisa_domain::contact::PhoneE164::parse(&format!("+3460020{i:04}")).unwrap());
        customer.email = Some(avisa_domain::contact::Email::parse(&format!("h{i}@example.cat")).unwrap());
        customer.consents.service = i % 25 != 0;
        customer.language =
            Some(if i % 4 == 0 { avisa_domain::contact::Locale::Es } else { avisa_domain::contact::Locale::Ca });
        let mut holder: ContractHolder = holder_template.clone();
        holder.contract_id = avisa_domain::ids::ContractId::parse(&format!("CT-{i:04}")).unwrap();
        holder.customer_id = customer.customer_id.clone();
        holder.supply_point.network_sector =
            avisa_domain::ids::SectorId::parse(if col < 10 { "REUS-N1" } else { "REUS-N2" }).unwrap();
        holder.supply_point.coordinates = Some(avisa_domain::billing::Coordinates {
            lat: 41.150 + f64::from(row) * 0.001 + 0.0005,
            lon: 1.100 + f64::from(col) * 0.001 + 0.0005,
        });
        writes.push((customer, holder));
    }
    for chunk in writes.chunks(25) {
        let futures = chunk.iter().map(|(customer, holder)| async move {
            store.upsert_customer(customer).await.unwrap();
            store.upsert_holder(holder).await.unwrap();
        });
        futures_util::future::join_all(futures).await;
    }
}

pub(crate) struct Desk {
    pub(crate) app: outage_scheduler::App,
}

impl Desk {
    pub(crate) async fn new(stack: &LocalStack) -> Self {
        let env = stack.function("outage-scheduler").unwrap().env.clone();
        let app = outage_scheduler::App::new(
            &outage_scheduler::Config::load(&env).unwrap(),
            &stack.sdk_for("outage-scheduler"),
        )
        .unwrap();
        let operator = avisa_domain::operators::Operator {
            tenant_id: avisa_domain::ids::TenantId::parse(TENANT).unwrap(),
            name: Text::parse("jordi.operador").unwrap(),
            issued_at: Timestamp::now(),
            valid_until: Timestamp::now().checked_add(SignedDuration::from_hours(24)).unwrap(),
            admin: false,
        };
        app.register_operator(TOKEN, &operator).await.unwrap();
        Self { app }
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (i64, Value) {
        let mut request = LambdaFunctionUrlRequest::default();
        request.request_context.http.method = Some(method.to_owned());
        request.request_context.http.path = Some(path.to_owned());
        request.raw_path = Some(path.to_owned());
        if let Some(token) = token {
            request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        request.body = body.map(|b| b.to_string());
        let response: LambdaFunctionUrlResponse = self.app.handle(&request).await;
        let body = serde_json::from_str(response.body.as_deref().unwrap_or("null")).unwrap();
        (response.status_code, body)
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (i64, Value) {
        self.call("POST", path, Some(body), Some(TOKEN)).await
    }
}

pub(crate) fn plan(start: Timestamp, area: &Value) -> Value {
    json!({
        "tenant_id": TENANT,
        "type": "interruption",
        "start": start.to_string(),
        "expected_end": (start + SignedDuration::from_hours(5)).to_string(),
        "area": area,
        "note": "Substitució de vàlvula al carrer de Sant Joan",
    })
}

/// Ten days ahead, on the hour: alerts 48 h and 2 h before are both ahead.
pub(crate) fn start() -> Timestamp {
    let ten_days = Timestamp::now() + SignedDuration::from_hours(240);
    ten_days.round(jiff::Unit::Hour).unwrap()
}

pub(crate) async fn with_call_centre(store: &DynamoStore) {
    let tenant = avisa_domain::ids::TenantId::parse(TENANT).unwrap();
    let mut settings = avisa_domain::fakes::default_settings();
    settings.outages.call_centre_email =
        Some(avisa_domain::contact::Email::parse("centraleta@aigues-reus.cat").unwrap());
    settings.outages.sms_part_price = Some(avisa_domain::money::Money {
        amount: avisa_domain::money::Amount::from_minor(6),
        currency: avisa_domain::money::Currency::parse("EUR").unwrap(),
    });
    // Budgets are tested with the dispatcher; here a whole round goes in one drain.
    settings.rate_limits.sms_parts_per_second = 1_000;
    store.put_settings(&tenant, &settings).await.unwrap();
}

pub(crate) async fn fire_and_deliver(stack: &LocalStack, at: Timestamp) -> usize {
    let fired = schedules::fire_due(stack, at).await.unwrap();
    let report = stack.event_source_mapping().unwrap().drain().await.unwrap();
    assert_eq!(report.by_function.values().map(|i| i.failed).sum::<usize>(), 0, "{report:?}");
    fired
}

#[tokio::test]
async fn requests_without_a_valid_token_or_for_another_tenant_are_refused_with_the_reason() {
    let stack = stack().await;
    let desk = Desk::new(&stack).await;
    let body = plan(start(), &json!({"network_sectors": ["REUS-N1"]}));
    let (status, answer) = desk.call("POST", "/outages", Some(body.clone()), None).await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(desk.call("POST", "/outages", Some(body.clone()), Some("guess")).await.0, 401);
    let mut other = body;
    other["tenant_id"] = "aigues-lleida".into();
    let (status, answer) = desk.post("/outages", other).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = desk.post("/outages", json!({"tenant_id": TENANT, "type": "flood"})).await;
    assert_eq!(status, 400);
    assert!(answer["message"].as_str().unwrap().contains("type"), "{answer}");
    let (status, answer) = desk.call("POST", "/outages/o-unknown/confirm", None, Some(TOKEN)).await;
    assert_eq!((status, answer["error"].as_str()), (404, Some("unknown_outage")));
}

#[tokio::test]
async fn the_dry_run_targets_by_sector_and_by_polygon_through_the_indexes() {
    // GIVEN 300 supply points, half in each sector
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    with_call_centre(&store).await;
    let desk = Desk::new(&stack).await;
    // WHEN an outage of sector REUS-N1 is planned
    let (status, planned) = desk.post("/outages", plan(start(), &json!({"network_sectors": ["REUS-N1"]}))).await;
    assert_eq!(status, 201, "{planned}");
    // THEN the dry run reaches its 150 households: SMS where there is a mobile and consent,
    // email where there is no mobile, nobody without consent
    let dry_run = &planned["dry_run"];
    assert_eq!(dry_run["recipients"], 150);
    assert_eq!(dry_run["without_consent"], 6, "every 25th of 0..300 in columns 0-9");
    assert_eq!(dry_run["without_mobile"], 15, "every 10th");
    assert_eq!(dry_run["unreachable"], 6);
    let (sms, email) =
        (dry_run["by_channel"]["sms"].as_u64().unwrap(), dry_run["by_channel"]["email"].as_u64().unwrap());
    assert_eq!(sms + email, 144);
    assert_eq!(email, 15 - 3, "households without a mobile, less those without consent");
    // and shows the SMS in Catalan and Spanish with their parts, and the cost of two alerts
    let previews = dry_run["sms"].as_array().unwrap();
    let locales: Vec<&str> = previews.iter().map(|p| p["locale"].as_str().unwrap()).collect();
    assert_eq!(locales, ["ca", "es"]);
    assert!(previews[0]["text"].as_str().unwrap().starts_with("Avís: tall del subministrament d'aigua"));
    assert!(previews[1]["text"].as_str().unwrap().starts_with("Aviso: corte del suministro de agua"));
    let parts = dry_run["sms_parts_per_alert"].as_u64().unwrap();
    assert!(parts >= sms, "{dry_run}");
    assert_eq!(dry_run["alerts_planned"], 2);
    let cents = parts * 2 * 6;
    assert_eq!(dry_run["estimated_cost"]["amount"], format!("{}.{:02}", cents / 100, cents % 100));
    // WHEN the area is a polygon around the 5 x 5 supply points in the south-west corner
    let polygon = json!({"polygon": {"type": "Polygon", "coordinates": [[
        [1.1000, 41.1500], [1.1050, 41.1500], [1.1050, 41.1550], [1.1000, 41.1550], [1.1000, 41.1500]
    ]]}});
    let (status, planned) = desk.post("/outages", plan(start() + SignedDuration::from_hours(1), &polygon)).await;
    assert_eq!(status, 201, "{planned}");
    assert_eq!(planned["dry_run"]["recipients"], 25);
    // and nothing was scheduled or sent by planning
    assert!(schedules::list(&stack).await.unwrap().is_empty());
    assert!(stack.moto().sent().unwrap().sms.is_empty());
}

#[tokio::test]
async fn confirmed_alerts_fire_once_each_by_sms_with_the_call_centre_briefed() {
    // GIVEN a planned outage of a polygon of 25 households: 5 without mobile (column 0), one of
    // them without consent either
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    with_call_centre(&store).await;
    let desk = Desk::new(&stack).await;
    let polygon = json!({"polygon": {"type": "Polygon", "coordinates": [[
        [1.1000, 41.1500], [1.1050, 41.1500], [1.1050, 41.1550], [1.1000, 41.1550], [1.1000, 41.1500]
    ]]}});
    let start = start();
    let (_, planned) = desk.post("/outages", plan(start, &polygon)).await;
    let id = planned["outage"]["outage_id"].as_str().unwrap().to_owned();
    // WHEN it is confirmed (twice)
    let (status, confirmed) = desk.post(&format!("/outages/{id}/confirm"), json!({})).await;
    assert_eq!((status, &confirmed["changed"]), (200, &json!(true)), "{confirmed}");
    let (_, again) = desk.post(&format!("/outages/{id}/confirm"), json!({})).await;
    assert_eq!(again["changed"], false);
    // THEN EventBridge holds two one-time schedules, 48 h and 2 h before, on the compose queue
    let scheduled = schedules::list(&stack).await.unwrap();
    let mut dues: Vec<Timestamp> = scheduled.iter().map(|s| s.due).collect();
    dues.sort();
    assert_eq!(dues, [start - SignedDuration::from_hours(48), start - SignedDuration::from_hours(2)]);
    assert!(scheduled.iter().all(|s| s.delete_after && s.time_zone == "Europe/Madrid"));
    assert!(scheduled.iter().all(|s| s.target_arn == stack.queue("ComposeQueue").arn));
    // WHEN the harness's clock reaches the 48 h alert
    assert_eq!(fire_and_deliver(&stack, start - SignedDuration::from_hours(48)).await, 1);
    // THEN 20 SMS and 4 emails went out, with the local start time, in each household's
    // language, and one briefing
    let sent = stack.moto().sent().unwrap();
    assert_eq!(sent.sms.len(), 20, "25 less the 5 without mobile");
    let local_start = start.to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap()).strftime("%H:%M").to_string();
    assert!(sent.sms.iter().all(|s| s.message.contains(&local_start)), "{local_start}: {:#?}", sent.sms);
    assert!(sent.sms.iter().any(|s| s.message.starts_with("Aviso: corte del suministro de agua")));
    assert!(sent.sms.iter().any(|s| s.message.starts_with("Avís: tall del subministrament d'aigua")));
    let briefing: Vec<_> = sent.emails.iter().filter(|e| e.destinations.to == ["centraleta@aigues-reus.cat"]).collect();
    assert_eq!(briefing.len(), 1, "{:#?}", sent.emails);
    assert!(briefing[0].body.contains("25 (20 per SMS, 4 per correu, 1 sense cap canal)"), "{}", briefing[0].body);
    assert_eq!(sent.emails.len(), 5, "four households by email and the call centre");
    // WHEN the same schedule's message is delivered again (EventBridge delivers at least once)
    let due = scheduled.iter().find(|s| s.due == start - SignedDuration::from_hours(48)).unwrap();
    stack.send("ComposeQueue", &due.input).await.unwrap();
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    // THEN nobody is told twice
    let again = stack.moto().sent().unwrap();
    assert_eq!((again.sms.len(), again.emails.len()), (20, 5));
    // WHEN the 2 h alert fires THEN a second round goes out
    assert_eq!(fire_and_deliver(&stack, start - SignedDuration::from_hours(2)).await, 1);
    assert_eq!(stack.moto().sent().unwrap().sms.len(), 40);
    assert!(schedules::list(&stack).await.unwrap().is_empty(), "fired schedules delete themselves");
}

#[tokio::test]
async fn rescheduling_moves_the_schedules_and_corrects_those_told_and_cancelling_tells_them_too() {
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    let desk = Desk::new(&stack).await;
    let polygon = json!({"polygon": {"type": "Polygon", "coordinates": [[
        [1.1000, 41.1500], [1.1020, 41.1500], [1.1020, 41.1520], [1.1000, 41.1520], [1.1000, 41.1500]
    ]]}});
    let start = start();
    let (_, planned) = desk.post("/outages", plan(start, &polygon)).await;
    let id = planned["outage"]["outage_id"].as_str().unwrap().to_owned();
    desk.post(&format!("/outages/{id}/confirm"), json!({})).await;
    fire_and_deliver(&stack, start - SignedDuration::from_hours(48)).await;
    let told = stack.moto().sent().unwrap().sms.len();
    assert_eq!(told, 2, "4 households: one by email, one with neither mobile nor consent");
    // WHEN the outage moves a day later
    let later = start + SignedDuration::from_hours(24);
    let (status, moved) = desk
        .post(
            &format!("/outages/{id}/reschedule"),
            json!({"start": later.to_string(), "expected_end": (later + SignedDuration::from_hours(5)).to_string()}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    // THEN the old 2 h schedule is gone; a correction goes at once and new alerts are scheduled
    let names: Vec<String> = schedules::list(&stack).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.contains("-r2-")), "{names:?}");
    let now = Timestamp::now() + SignedDuration::from_mins(2);
    assert_eq!(fire_and_deliver(&stack, now).await, 1, "only the correction is due now");
    let sms = stack.moto().sent().unwrap().sms;
    assert_eq!(sms.len(), told * 2);
    assert!(sms.iter().any(|s| s.message.starts_with("Canvi en l'avís de tall")), "{sms:#?}");
    // WHEN it is cancelled THEN its schedules go and those told hear so
    let (status, cancelled) = desk.post(&format!("/outages/{id}/cancel"), json!({})).await;
    assert_eq!((status, cancelled["outage"]["status"].as_str()), (200, Some("cancelled")), "{cancelled}");
    let names: Vec<String> = schedules::list(&stack).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 1, "only the cancellation: {names:?}");
    fire_and_deliver(&stack, now + SignedDuration::from_mins(1)).await;
    let sms = stack.moto().sent().unwrap().sms;
    assert_eq!(sms.len(), told * 3);
    assert!(sms.iter().any(|s| s.message.starts_with("Anul·lat l'avís de tall")));
    // and a cancelled outage cannot be confirmed again
    let (status, refused) = desk.post(&format!("/outages/{id}/confirm"), json!({})).await;
    assert_eq!((status, refused["error"].as_str()), (409, Some("invalid_transition")), "{refused}");
}

#[tokio::test]
async fn a_citizen_behind_a_shared_meter_subscribes_and_is_alerted() {
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    let desk = Desk::new(&stack).await;
    let (status, subscribed) = desk
        .post(
            "/subscriptions",
            json!({"tenant_id": TENANT, "contract_id": "CT-0001", "mobile": "+34699000111", "language": "it"}),
        )
        .await;
    assert_eq!(status, 201, "{subscribed}");
    let (status, _) = desk
        .post(
            "/subscriptions",
            json!({"tenant_id": TENANT, "contract_id": "CT-9999", "mobile": "+34699000111", "language": "it"}),
        )
        .await;
    assert_eq!(status, 404);
    let polygon = json!({"polygon": {"type": "Polygon", "coordinates": [[
        [1.1010, 41.1500], [1.1020, 41.1500], [1.1020, 41.1510], [1.1010, 41.1510], [1.1010, 41.1500]
    ]]}});
    let start = start();
    let (_, planned) = desk.post("/outages", plan(start, &polygon)).await;
    assert_eq!(planned["dry_run"]["recipients"], 2, "CT-0001's holder and its subscriber");
    let id = planned["outage"]["outage_id"].as_str().unwrap();
    assert_eq!(desk.post(&format!("/outages/{id}/confirm"), json!({})).await.0, 200);
    fire_and_deliver(&stack, start - SignedDuration::from_hours(48)).await;
    let sms = stack.moto().sent().unwrap().sms;
    let to_subscriber: Vec<_> = sms.iter().filter(|s| s.phone_number == "+34699000111").collect();
    assert_eq!(to_subscriber.len(), 1);
    assert!(
        to_subscriber[0].message.starts_with("Avviso: interruzione del servizio idrico"),
        "{}",
        to_subscriber[0].message
    );
}

#[tokio::test]
async fn every_sample_request_under_events_is_answered() {
    // GIVEN the sample customer (sector REUS-N1, inside the sample polygon) and the samples' token
    let stack = stack().await;
    stack
        .send("BillingEventsQueue", &crate::support::sample_body("events/billing-ingest/customer-upserted.json"))
        .await
        .unwrap();
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let desk = Desk::new(&stack).await;
    let operator = avisa_domain::operators::Operator {
        tenant_id: avisa_domain::ids::TenantId::parse(TENANT).unwrap(),
        name: Text::parse("sample").unwrap(),
        issued_at: Timestamp::now(),
        valid_until: Timestamp::now().checked_add(SignedDuration::from_hours(24)).unwrap(),
        admin: false,
    };
    desk.app.register_operator("local-operator-token", &operator).await.unwrap();
    for (sample, status, recipients) in
        [("plan-outage", 201, Some(1)), ("plan-outage-polygon", 201, Some(1)), ("subscribe", 201, None)]
    {
        let path = avisa_local::moto::workspace_root().join(format!("events/outage-scheduler/{sample}.json"));
        let request: LambdaFunctionUrlRequest = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let response = desk.app.handle(&request).await;
        let body: Value = serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
        assert_eq!(response.status_code, status, "{sample}: {body}");
        if let Some(recipients) = recipients {
            assert_eq!(body["dry_run"]["recipients"], recipients, "{sample}: {body}");
        }
    }
}

#[tokio::test]
async fn a_citizen_subscribed_from_the_chat_is_in_the_outages_audience() {
    // GIVEN the sample customer's contract (sector REUS-N1), and a neighbour who subscribes to its
    // outage alerts from the chat line
    let line = crate::chat::Line::start(|_| {}).await;
    line.with_customer().await;
    let choice = |id: &str| json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": id}}});
    let messages = [
        json!({"type": "text", "text": {"body": "hola"}}),
        choice("preferences"),
        choice("outage_alerts"),
        json!({"type": "text", "text": {"body": "ct-0001"}}),
    ];
    for (i, content) in messages.into_iter().enumerate() {
        let request = crate::chat::fresh_from("34611222333", &format!("wamid.sub.{i}"), content);
        assert_eq!(line.post_request(&request).await.0, 200);
    }
    assert!(crate::chat::texts(&line.sent).last().unwrap().contains("CT-0001"));
    // WHEN an outage of that sector is planned THEN the dry run counts both of them
    let desk = Desk::new(&line.stack).await;
    let (status, planned) = desk.post("/outages", plan(start(), &json!({"network_sectors": ["REUS-N1"]}))).await;
    assert_eq!(status, 201, "{planned}");
    assert_eq!(
        (planned["dry_run"]["contracts"].as_u64(), planned["dry_run"]["subscribers"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn an_expired_or_revoked_token_opens_nothing_and_a_tenants_tokens_are_listed_without_the_token() {
    // GIVEN two tokens of the tenant: one that expired yesterday, one valid
    let stack = stack().await;
    let desk = Desk::new(&stack).await;
    let tenant = avisa_domain::ids::TenantId::parse(TENANT).unwrap();
    let yesterday = Timestamp::now().checked_sub(SignedDuration::from_hours(24)).unwrap();
    let expired = avisa_domain::operators::Operator::issued(
        tenant.clone(),
        Text::parse("old.laptop").unwrap(),
        yesterday.checked_sub(SignedDuration::from_hours(24 * 30)).unwrap(),
        30,
    );
    desk.app.register_operator("avisa_op_expired", &expired).await.unwrap();
    let get = |token: &'static str| desk.call("GET", "/outages", None, Some(token));
    // WHEN each calls THEN the expired one is refused with the reason, the valid one answered
    let (status, answer) = get("avisa_op_expired").await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer.to_string().contains("expired"), "{answer}");
    assert_ne!(get(TOKEN).await.0, 401);
    // AND both are listed by id and name, never by the token
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let listed = store.operators(&tenant).await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(!format!("{listed:?}").contains("avisa_op_"), "{listed:?}");
    // WHEN the valid one is revoked THEN it opens nothing either
    let valid = listed.iter().find(|t| t.operator.name.as_str() == "jordi.operador").unwrap();
    assert!(store.revoke_operator(&tenant, &valid.id).await.unwrap());
    assert_eq!(get(TOKEN).await.0, 401);
    assert!(!store.revoke_operator(&tenant, "nonexistent").await.unwrap());
}
