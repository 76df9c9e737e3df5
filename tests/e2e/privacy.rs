//! No personal data in logs or in stored rejections, at the most verbose level the template allows
//! (`LogLevel: TRACE`): a billing run, malformed customers, and chat conversations go through the
//! real functions while every log line is captured as the functions' JSON logs would have it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

use avisa_domain::chat::ports::RatingStore;

use crate::chat::Line;

/// Every log line of the process, as `avisa_runtime::telemetry` writes them in Lambda.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The personal data the flows below carry, and the forms a log could give them in.
const PERSONAL: &[&str] = &[
    "Maria Puig",             // the sample customer's name (also what she types to the agent)
    "maria.puig@example.cat", // her email
    "600111001",              // her mobile
    "600222333",              // the chat citizen's phone
    "MzQ2MDAy",               // base64 of "34600…": WhatsApp message ids carry the phone
    "Sant Joan",              // her postal address
    "farola de la cantonada", // an incident's description
    "Carrer Major 3",         // an incident's location
    "Josep Roig",             // the malformed customers' values below
    "josep.roig@example.cat",
    "699888777",
    "Mercadal",
];

/// `customer.upserted` events each broken in one field, with personal data in every field.
fn malformed_customers() -> Vec<String> {
    let good = json!({
        "customer_id": "CU-0900", "name": "Josep Roig", "language": "ca", "email": "josep.roig@example.cat",
        "mobile": "+34699888777", "consents": {"service": true, "marketing": false},
        "supply_point": {"address": "Plaça del Mercadal 5", "network_sector": "REUS-N1", "coordinates": null}
    });
    let broken = [
        ("mobile", json!("699888777")),
        ("mobile", json!(699_888_777)),
        ("email", json!("josep.roig at example.cat")),
        ("email", json!("josep.roig@example.cat Plaça del Mercadal 5")),
        ("name", json!({"first": "Josep Roig"})),
        ("language", json!("Josep Roig")),
        ("consents", json!("josep.roig@example.cat")),
        ("supply_point", json!("Plaça del Mercadal 5")),
    ];
    broken
        .into_iter()
        .enumerate()
        .map(|(i, (field, value))| {
            let mut data = good.clone();
            data[field] = value;
            json!({"schema_version": 1, "event_id": format!("evt-pii-{i}"), "event_type": "customer.upserted",
                "tenant_id": "aigues-reus", "occurred_at": "2026-11-20T08:00:00Z", "contract_id": "CT-0900", "data": data})
            .to_string()
        })
        .collect()
}

/// Every attribute of every rejection recorded, as text.
async fn rejection_items(stack: &avisa_local::LocalStack) -> Vec<String> {
    let scan = aws_sdk_dynamodb::Client::new(&stack.sdk).scan().table_name("avisa-Table").send().await.unwrap();
    scan.items()
        .iter()
        .filter(|item| item.get("pk").and_then(|pk| pk.as_s().ok()).is_some_and(|pk| pk.ends_with("#REJECTED")))
        .map(|item| {
            let mut text: Vec<String> = item
                .iter()
                .map(|(name, value)| match value {
                    AttributeValue::S(s) => format!("{name}={s}"),
                    other => format!("{name}={other:?}"),
                })
                .collect();
            text.sort();
            text.join(" ")
        })
        .collect()
}

#[tokio::test]
async fn no_personal_data_reaches_the_logs_or_the_rejections_at_trace() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // What the functions log at LogLevel TRACE, and (to show what that filter holds back) what
    // the same run logs with nothing held back.
    let (captured, unfiltered) = (Captured::default(), Captured::default());
    let functions = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(captured.clone())
        .with_filter(avisa_runtime::telemetry::filter("TRACE"));
    let everything = tracing_subscriber::fmt::layer()
        .with_writer(unfiltered.clone())
        .with_filter(tracing_subscriber::EnvFilter::new("trace"));
    tracing_subscriber::registry().with(functions).with(everything).init();
    // GIVEN the chat line and a billing run for Maria (email, SMS)
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    // WHEN upstream sends eight broken customers full of personal data
    for body in malformed_customers() {
        line.stack.send("BillingEventsQueue", &body).await.unwrap();
    }
    line.deliver().await;
    // AND citizens chat: an incident with a description and a place, an agent asked by name, billing
    line.flow("incident", 6).await;
    line.flow("agent", 3).await;
    line.flow("billing", 2).await;
    // THEN the logs are there, at TRACE, and name none of it
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("billing event ingested") && logs.contains("record rejected"), "{logs}");
    let everything = String::from_utf8_lossy(&unfiltered.0.lock().unwrap()).into_owned();
    assert!(
        everything.contains("maria.puig@example.cat"),
        "unfiltered, the SDK's TRACE output carries the citizen's data (the scan below can see it)"
    );
    for secret in PERSONAL {
        let leaks: Vec<&str> = logs.lines().filter(|line| line.contains(secret)).take(3).collect();
        assert!(leaks.is_empty(), "{secret:?} is in the logs:\n{}", leaks.join("\n"));
    }
    // AND the rejections say why, without the values
    let rejections = rejection_items(&line.stack).await;
    assert_eq!(rejections.len(), 8, "{rejections:#?}");
    for secret in PERSONAL {
        let leaks: Vec<&String> = rejections.iter().filter(|r| r.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret:?} is in a stored rejection: {leaks:#?}");
    }
}

/// Every attribute of every item in the table, one line per item.
async fn every_item(stack: &avisa_local::LocalStack) -> Vec<String> {
    crate::support::every_item(stack).await.iter().map(|item| format!("{item:?}")).collect()
}

/// The sample customer-upserted, for another person of the same tenant.
fn jordi() -> String {
    let body = crate::support::sample_body("events/billing-ingest/customer-upserted.json");
    body.replace("evt-reus-0001", "evt-reus-0901")
        .replace("CU-0001", "CU-0902")
        .replace("CT-0001", "CT-0902")
        .replace("Maria Puig i Ferrer", "Jordi Vidal")
        .replace("maria.puig@example.cat", "jordi.vidal@example.cat")
        .replace("+34600111001", "+34600111902")
        .replace("Carrer de Sant Joan 1", "Carrer Llovera 9")
}

/// What a sample message of the chat says (its `type` and content), to send it from another number.
fn content_of(sample: &str) -> serde_json::Value {
    let path = avisa_local::moto::workspace_root().join(format!("events/chat-webhook/{sample}.json"));
    let request: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let body: serde_json::Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    let mut message = body["entry"][0]["changes"][0]["value"]["messages"][0].clone();
    for field in ["from", "id", "timestamp"] {
        message.as_object_mut().unwrap().remove(field);
    }
    message
}

#[tokio::test]
async fn erasing_a_customer_leaves_nothing_findable_about_them_and_touches_no_one_else() {
    // GIVEN Maria: her invoice (notice, email, SMS), a chat about her bills and an incident she
    // reported from her phone; and Jordi, another customer of the tenant
    let line = Line::start(|_| {}).await;
    line.graph.put_media("1485210962315254", "image/jpeg", b"\xff\xd8 Maria's street"); // the sample incident's photo
    line.with_customer().await;
    line.stack.send("BillingEventsQueue", &jordi()).await.unwrap();
    line.deliver().await;
    line.flow("billing", 2).await;
    for step in 1..=6 {
        let content = content_of(&format!("message-incident-{step}"));
        let request = crate::chat::fresh_from("34600111001", &format!("wamid.erase.{step}"), content);
        assert_eq!(line.post_request(&request).await.0, 200);
    }
    // (and each rated a chat: ratings keep a digest of the number)
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&line.stack.sdk), "avisa-Table");
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let digest = |phone: &str| {
        avisa_domain::chat::conversation_digest(&tenant, &avisa_domain::contact::PhoneE164::parse(phone).unwrap())
    };
    for phone in ["+34600111001", "+34600111902"] {
        let at = jiff::Timestamp::now();
        let rating = avisa_domain::chat::Rating {
            tenant_id: tenant.clone(),
            conversation: digest(phone),
            asked_at: at,
            agent: "Anna".into(),
            team: None,
            score: avisa_domain::chat::Score::try_from(4).unwrap(),
            at,
        };
        assert!(RatingStore::rate(&store, &rating).await.unwrap());
    }
    let maria = [
        "Maria Puig",
        "maria.puig@example.cat",
        "600111001",
        "Sant Joan",
        "CU-0001",
        "CT-0001",
        "MzQ2MDAxMTEwMDE",
        &digest("+34600111001"),
    ];
    let before = every_item(&line.stack).await;
    assert!(before.iter().any(|item| item.contains("600111001")), "the run stored her number");
    let s3 = aws_sdk_s3::Client::new(&line.stack.sdk);
    let bucket = line.stack.provisioned.buckets["ChatMediaBucket"].clone();
    let objects = || async {
        let listed = s3.list_object_versions().bucket(&bucket).send().await.unwrap();
        listed.versions.unwrap_or_default().len() + listed.delete_markers.unwrap_or_default().len()
    };
    assert_eq!(objects().await, 1, "her incident's photo is kept");
    // WHEN she is erased, as the staff API does it (with its role's grants)
    let desk = line.stack.sdk_for("chat-desk");
    let media = avisa_aws::S3MediaStore::new(aws_sdk_s3::Client::new(&desk), &bucket);
    let records = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&desk), "avisa-Table");
    let forget = avisa_domain::privacy::Forget { records: &records, media: &media };
    let maria_id = avisa_domain::ids::CustomerId::parse("CU-0001").unwrap();
    let erased = forget.customer(&tenant, &maria_id).await.unwrap();
    // THEN it says what it removed, and nothing in the table names her
    for kind in ["profile", "contract", "invoice", "notice", "delivery", "conversation", "incident", "rating", "photo"]
    {
        assert!(erased.items.get(kind).is_some_and(|n| *n > 0), "{kind} erased: {erased:?}");
    }
    assert_eq!(objects().await, 0, "no version of her photo is left");
    assert!(line.stack.violations().is_empty(), "{:?}", line.stack.violations());
    let after = every_item(&line.stack).await;
    for trace in maria {
        let left: Vec<&String> = after.iter().filter(|item| item.contains(trace)).collect();
        assert!(left.is_empty(), "{trace:?} is still in the table: {left:#?}");
    }
    // AND Jordi is all there
    let jordi: Vec<&String> =
        after.iter().filter(|item| item.contains("CU-0902") || item.contains("CT-0902")).collect();
    assert_eq!(jordi.len(), before.iter().filter(|item| item.contains("CU-0902") || item.contains("CT-0902")).count());
    assert!(!jordi.is_empty());
    assert!(after.iter().any(|item| item.contains(&digest("+34600111902"))), "Jordi's rating stays");
    // AND erasing her again finds nothing
    let again = forget.customer(&tenant, &maria_id).await.unwrap();
    assert_eq!(again.total(), 0, "{again:?}");
}

#[tokio::test]
async fn every_item_about_a_person_expires_by_its_tenants_retention() {
    // GIVEN a tenant that keeps conversations 7 days and notices 30 (its other kinds by default)
    let line = Line::start(|settings| {
        settings.retention.conversations_days = 7;
        settings.retention.notices_days = 30;
    })
    .await;
    // WHEN a billing run, a chat about bills and an incident report go through
    line.with_customer().await;
    line.flow("billing", 2).await;
    line.flow("incident", 6).await;
    // THEN every item that holds personal data expires, that many days from now
    let now = jiff::Timestamp::now().as_second();
    let items = crate::support::every_item(&line.stack).await;
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for item in &items {
        let pk = item["pk"].as_s().unwrap();
        let kind = pk.strip_prefix("T#aigues-reus#").and_then(|rest| rest.split('#').next()).unwrap_or(pk);
        let days = match kind {
            "CUST" | "CONTRACT" => 2190,
            "NOTICE" => 30,
            "CONV" => 7,
            "INCIDENT" | "APPOINTMENT" | "COMPLAINT" => 730,
            _ if pk.starts_with("PROVIDER#") => 30,
            _ => continue,
        };
        *seen.entry(if pk.starts_with("PROVIDER#") { "PROVIDER" } else { kind }).or_default() += 1;
        let expires_at: i64 = item
            .get("expires_at")
            .unwrap_or_else(|| panic!("{pk} / {:?} holds personal data and never expires", item["sk"]))
            .as_n()
            .unwrap()
            .parse()
            .unwrap();
        let expected = now + days * 24 * 3600;
        assert!(
            (expires_at - expected).abs() < 3600,
            "{pk}: expires in {} days, not {days}",
            (expires_at - now) / 86_400
        );
    }
    for kind in ["CUST", "CONTRACT", "NOTICE", "CONV", "INCIDENT"] {
        assert!(seen.get(kind).is_some_and(|n| *n > 0), "no {kind} item was checked: {seen:?}");
    }
}

/// A staff API request with `token`.
fn staff_request(
    method: &str,
    path: &str,
    token: &str,
) -> aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest {
    let mut request = aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest::default();
    request.request_context.http.method = Some(method.to_owned());
    request.request_context.http.path = Some(path.to_owned());
    request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test]
async fn only_a_tenants_administrator_erases_a_person_through_the_staff_api() {
    use avisa_domain::operators::{Operator, OperatorDirectory, token_digest};
    use avisa_runtime::http::HttpHandler;
    // GIVEN Maria's billing run and chat, an agent's token and an administrator's
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    line.flow("billing", 2).await;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&line.stack.sdk), "avisa-Table");
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let name = avisa_domain::text::Text::parse("admin").unwrap();
    let mut admin = Operator::issued(tenant.clone(), name, jiff::Timestamp::now(), 1);
    admin.admin = true;
    store.register(&token_digest("avisa_op_admin"), &admin).await.unwrap();
    // WHEN the agent asks THEN it is refused, and nothing is erased
    let refused = line.desk.handle(&staff_request("POST", "/customers/CU-0001/erase", "avisa_op_chat_desk")).await;
    assert_eq!(refused.status_code, 403, "{:?}", refused.body);
    assert!(every_item(&line.stack).await.iter().any(|item| item.contains("maria.puig@example.cat")));
    // WHEN the administrator asks THEN the answer says what went, and nothing about her is left
    let done = line.desk.handle(&staff_request("POST", "/customers/CU-0001/erase", "avisa_op_admin")).await;
    assert_eq!(done.status_code, 200, "{:?}", done.body);
    let answer: serde_json::Value = serde_json::from_str(done.body.as_deref().unwrap()).unwrap();
    assert!(answer["erased"]["profile"] == 1 && answer["total"].as_u64().unwrap() > 5, "{answer}");
    let left: Vec<String> = every_item(&line.stack)
        .await
        .into_iter()
        .filter(|item| item.contains("600111001") || item.contains("CU-0001"))
        .collect();
    assert!(left.is_empty(), "{left:#?}");
}

#[tokio::test]
async fn erasing_a_number_ends_its_outage_alerts_at_every_contract_of_its_tenant_only() {
    use avisa_domain::outage::ports::AlertSubscriptions;
    use avisa_domain::privacy::Erasure;

    use crate::batch_reads::{contract, household, subscription};
    let stack = crate::support::stack().await;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let (reus, lleida) = (
        avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(),
        avisa_domain::ids::TenantId::parse("aigues-lleida").unwrap(),
    );
    for n in 1..=3 {
        household(&store, &reus, n).await;
    }
    household(&store, &lleida, 1).await;
    // GIVEN +34699000001, no customer, subscribed to outage alerts at CT-0001 and CT-0002 of one
    // tenant and at CT-0001 of another; a neighbour (+34699000002) at CT-0001 too
    for (tenant, n, mobile) in [(&reus, 1, 1), (&reus, 2, 1), (&lleida, 1, 1), (&reus, 1, 2)] {
        store.subscribe(&subscription(tenant, n, mobile)).await.unwrap();
    }
    // and at CT-0003 since before subscriptions were listed under their number (marked and listed
    // by `avisa mark-subscriptions` after the upgrade)
    let old = subscription(&reus, 3, 1);
    let mut item: std::collections::HashMap<String, AttributeValue> = serde_dynamo::to_item(&old).unwrap();
    item.insert("pk".into(), AttributeValue::S(format!("T#{reus}#CONTRACT#CT-0003")));
    item.insert("sk".into(), AttributeValue::S(format!("ALERTSUB#{}", old.subscriber_id)));
    let client = aws_sdk_dynamodb::Client::new(&stack.sdk);
    client.put_item().table_name("avisa-Table").set_item(Some(item)).send().await.unwrap();
    assert_eq!(store.mark_existing_subscriptions().await.unwrap(), 5);
    let contracts = [contract(1), contract(2), contract(3)];
    let reached = async |tenant| -> Vec<String> {
        let found = store.subscribers_of(tenant, &contracts).await.unwrap();
        let all = found
            .iter()
            .flat_map(|(c, subs)| subs.iter().map(move |s| format!("{c} {}", s.mobile.as_ref().unwrap().as_str())));
        all.collect()
    };
    assert_eq!(reached(&reus).await.len(), 4);
    // WHEN the number is erased in the first tenant, as the staff API does it (with its role's grants)
    let desk = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk_for("chat-desk")), "avisa-Table");
    let phone = avisa_domain::contact::PhoneE164::parse("+34699000001").unwrap();
    let erased = desk.erase_phone(&reus, &phone).await.unwrap();
    // THEN its three subscriptions there are gone, and no outage reaches it; the neighbour's stays
    assert_eq!(erased.items.get("outage alert subscription"), Some(&3), "{erased:?}");
    assert_eq!(reached(&reus).await, ["CT-0001 +34699000002"]);
    assert!(stack.violations().is_empty(), "{:?}", stack.violations());
    // AND nothing of the first tenant names the number, not even a contract's mark
    let subscriber_ids: Vec<String> = [1, 2, 3].map(|n| subscription(&reus, n, 1).subscriber_id.to_string()).into();
    for item in every_item(&stack).await.iter().filter(|item| item.contains("aigues-reus")) {
        assert!(!item.contains("+34699000001"), "the number is still in {item}");
        assert!(!subscriber_ids.iter().any(|id| item.contains(id.as_str())), "a subscriber id is still in {item}");
    }
    // AND the other tenant still alerts it; erasing again finds nothing
    assert_eq!(reached(&lleida).await, ["CT-0001 +34699000001"]);
    assert_eq!(desk.erase_phone(&reus, &phone).await.unwrap().total(), 0);
    // AND a neighbour who unsubscribes leaves no entry under their number
    let neighbour = subscription(&reus, 1, 2);
    assert!(store.unsubscribe(&reus, &neighbour.contract_id, &neighbour.subscriber_id).await.unwrap());
    let left = every_item(&stack).await;
    assert!(!left.iter().any(|item| item.contains("+34699000002")), "{left:#?}");
}
