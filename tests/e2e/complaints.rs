//! Billing complaints against moto: filed by staff or from the chat line, moved through every
//! path of the procedure by the staff desk, a notice to the citizen at every step (SES/SNS), the
//! corrected amount on the account, staff reminded before a step is late, and what happens out
//! of office hours.

use avisa_aws::DynamoStore;
use avisa_domain::ports::AccountStore;
use avisa_local::schedules;
use avisa_runtime::http::HttpHandler;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::chat::{Line, fresh_from, texts};

const MARIA: &str = "34600111001";

/// The emails SES received for Maria, subjects and bodies.
fn emails_to_maria(line: &Line) -> Vec<(String, String)> {
    let sent = line.stack.moto().sent().unwrap();
    sent.emails
        .into_iter()
        .filter(|e| e.destinations.to == ["maria.puig@example.cat"])
        .map(|e| (e.subject, e.body))
        .collect()
}

async fn act(line: &Line, reference: &str, action: Value) -> (i64, Value) {
    line.desk("POST", &format!("/complaints/{reference}"), Some(action)).await
}

async fn file(line: &Line) -> String {
    let body = json!({"contract_id": "CT-0001", "invoice_number": "F-2026-110001", "reason": "48 € for an empty flat"});
    let (status, filed) = line.desk("POST", "/complaints", Some(body)).await;
    assert_eq!(status, 200, "{filed}");
    filed["reference"].as_str().unwrap().to_owned()
}

async fn amount_due(line: &Line) -> String {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&line.stack.sdk), "avisa-Table");
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let contract = avisa_domain::ids::ContractId::parse("CT-0001").unwrap();
    let account = store.account(&tenant, &contract).await.unwrap().unwrap();
    let invoice = avisa_domain::ids::InvoiceNumber::parse("F-2026-110001").unwrap();
    account.invoice(&invoice).unwrap().amount_due().unwrap().amount.to_string()
}

#[tokio::test]
async fn a_complaint_through_every_instance_tells_the_citizen_at_each_step() {
    // GIVEN Maria's invoice, disputed by staff on her behalf
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    let before = emails_to_maria(&line).len();
    let reference = file(&line).await;
    assert!(reference.starts_with("CLM-"));
    let told = emails_to_maria(&line);
    assert_eq!(told.len(), before + 1, "acknowledged");
    assert!(told.last().unwrap().1.contains(&format!("Hem rebut la vostra reclamació {reference}")));
    // WHEN staff take it through inspection, a refused conciliation, resolution, reconsideration,
    // appeal and closing, THEN each step reaches her, saying what it is
    let steps = [
        (
            json!({"action": "schedule_inspection", "at": "dijous 3, de 9 a 11"}),
            "la inspecció per detectar fuites serà el dijous 3, de 9 a 11",
        ),
        (
            json!({"action": "record_inspection", "finding": "no_leak", "notes": "Comptador llegit: correcte"}),
            "no ha trobat cap fuita",
        ),
        (
            json!({"action": "propose_conciliation", "proposal": "fraccionar l'import en tres mesos"}),
            "us proposem fraccionar",
        ),
        (json!({"action": "reject_conciliation"}), "no heu acceptat la proposta"),
        (
            json!({"action": "resolve", "outcome": "partly_upheld", "corrected_amount": {"amount": "30.00", "currency": "EUR"}}),
            "estimada en part (import corregit: 30,00 €)",
        ),
        (json!({"action": "request_reconsideration"}), "petició de reconsideració"),
        (json!({"action": "reconsider", "outcome": "rejected"}), "reconsiderada: desestimada"),
        (json!({"action": "appeal"}), "el recurs s'ha enviat al regulador"),
        (
            json!({"action": "close", "how": "el regulador confirma la resolució"}),
            "tancada (el regulador confirma la resolució)",
        ),
    ];
    for (action, says) in steps {
        let name = action["action"].as_str().unwrap().to_owned();
        let (status, moved) = act(&line, &reference, action).await;
        assert_eq!(status, 200, "{name}: {moved}");
        let told = emails_to_maria(&line);
        assert!(told.last().unwrap().1.contains(says), "{name}: {:?}", told.last());
    }
    assert_eq!(emails_to_maria(&line).len(), before + 10, "one notice per step");
    // and the resolution corrected the invoice on her account
    assert_eq!(amount_due(&line).await, "30.00");
    // and every step is on record with who and when
    let (_, complaint) = line.desk("GET", &format!("/complaints/{reference}"), None).await;
    assert_eq!(complaint["steps"].as_array().unwrap().len(), 10);
    assert_eq!(complaint["steps"][2]["by"], "Jordi");
    assert_eq!(complaint["steps"][2]["notes"], "Comptador llegit: correcte");
    // WHEN staff try a step that does not apply THEN it is refused with the reason
    let (status, refused) =
        act(&line, &reference, json!({"action": "record_inspection", "finding": "leak_found"})).await;
    assert_eq!((status, refused["error"].as_str()), (409, Some("invalid_transition")));
    assert!(refused["message"].as_str().unwrap().contains("closed"), "{refused}");
}

#[tokio::test]
async fn an_accepted_conciliation_closes_it_and_corrects_the_invoice() {
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    let reference = file(&line).await;
    for action in [
        json!({"action": "schedule_inspection", "at": "dijous 3, 9:00"}),
        json!({"action": "record_inspection", "finding": "leak_found"}),
        json!({"action": "propose_conciliation", "proposal": "descomptar l'aigua perduda", "corrected_amount": {"amount": "24.10", "currency": "EUR"}}),
        json!({"action": "accept_conciliation"}),
    ] {
        assert_eq!(act(&line, &reference, action).await.0, 200);
    }
    assert_eq!(amount_due(&line).await, "24.10");
    let (_, listed) = line.desk("GET", "/complaints", None).await;
    assert_eq!(listed["complaints"][0]["state"]["state"], "closed");
}

#[tokio::test]
async fn complaints_are_listed_by_state_and_age() {
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    let reference = file(&line).await;
    let mut request = aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest::default();
    request.request_context.http.method = Some("GET".into());
    request.request_context.http.path = Some("/complaints".into());
    request.headers.insert("authorization", "Bearer avisa_op_chat_desk".parse().unwrap());
    let list = |state: &str, days: &str| {
        let mut r = request.clone();
        r.query_string_parameters.insert("state".into(), state.into());
        r.query_string_parameters.insert("older_than_days".into(), days.into());
        r
    };
    let count = |response: aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse| {
        let body: Value = serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
        body["complaints"].as_array().unwrap().len()
    };
    assert_eq!(count(line.desk.handle(&list("filed", "0")).await), 1);
    assert_eq!(count(line.desk.handle(&list("filed", "3")).await), 0, "filed just now");
    assert_eq!(count(line.desk.handle(&list("resolved", "0")).await), 0);
    assert!(!reference.is_empty());
}

#[tokio::test]
async fn staff_are_reminded_by_email_before_their_step_is_late() {
    let line = Line::start(|s| {
        s.complaints.staff_email = Some(avisa_domain::contact::Email::parse("reclamacions@aigues-reus.cat").unwrap());
    })
    .await;
    line.with_customer().await;
    let filed_at = Timestamp::now();
    let reference = file(&line).await;
    let reminders: Vec<_> =
        schedules::list(&line.stack).await.unwrap().into_iter().filter(|s| s.name.starts_with("complaint-")).collect();
    assert_eq!(reminders.len(), 1, "{reminders:#?}");
    assert_eq!(reminders[0].target_arn, line.stack.queue("ComposeQueue").arn);
    // the inspection is due in 10 days; staff hear of it 2 days before
    let remind_at = reminders[0].due;
    assert!(
        remind_at >= filed_at + SignedDuration::from_hours(24 * 8 - 1)
            && remind_at <= filed_at + SignedDuration::from_hours(24 * 8 + 1)
    );
    assert_eq!(schedules::fire_due(&line.stack, remind_at).await.unwrap(), 1);
    line.deliver().await;
    let sent = line.stack.moto().sent().unwrap();
    let to_staff: Vec<_> =
        sent.emails.iter().filter(|e| e.destinations.to == ["reclamacions@aigues-reus.cat"]).collect();
    assert_eq!(to_staff.len(), 1);
    assert!(to_staff[0].subject.contains(&reference), "{}", to_staff[0].subject);
}

#[tokio::test]
async fn a_customer_disputes_a_bill_from_the_chat_out_of_hours_and_is_told_when_staff_are_back() {
    let line = Line::start(|s| {
        s.chat.as_mut().unwrap().office_hours.closes = jiff::civil::time(0, 0, 0, 0); // never open
    })
    .await;
    line.with_customer().await;
    let list_reply = |id: &str| json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": id}}});
    let button = |id: &str| json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": id, "title": id}}});
    let messages = [
        json!({"type": "text", "text": {"body": "hola"}}),
        list_reply("billing"),
        button("dispute"),
        list_reply("CT-0001/F-2026-110001"),
        json!({"type": "text", "text": {"body": "El pis és buit des de l'estiu"}}),
    ];
    for (i, content) in messages.into_iter().enumerate() {
        let (status, _) = line.post_request(&fresh_from(MARIA, &format!("wamid.dispute.{i}"), content)).await;
        assert_eq!(status, 200);
    }
    let said = texts(&line.sent);
    assert!(said[1].starts_with("Contracte CT-0001: 1 factura(es) pendent(s) per 48,20 €"), "{said:#?}");
    assert!(said[2].contains("Quina factura voleu reclamar?"));
    let filed = said.last().unwrap();
    assert!(
        filed.starts_with("Hem registrat la reclamació CLM-") && filed.contains("L'oficina és tancada; la revisarem"),
        "{filed}"
    );
    let (_, listed) = line.desk("GET", "/complaints", None).await;
    assert_eq!(listed["complaints"][0]["filed_via"], "chat");
    assert!(
        emails_to_maria(&line).last().unwrap().1.contains("Hem rebut la vostra reclamació"),
        "acknowledged by email too"
    );
}

#[tokio::test]
async fn every_sample_request_under_events_chat_desk_is_answered() {
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&line.stack.sdk), "avisa-Table");
    let operator = avisa_domain::operators::Operator {
        tenant_id: avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(),
        name: avisa_domain::text::Text::parse("sample").unwrap(),
        issued_at: Timestamp::now(),
        valid_until: Timestamp::now().checked_add(SignedDuration::from_hours(24)).unwrap(),
        admin: false,
    };
    avisa_domain::operators::OperatorDirectory::register(
        &store,
        &avisa_domain::operators::token_digest("local-operator-token"),
        &operator,
    )
    .await
    .unwrap();
    for sample in ["list-waiting", "list-incidents", "file-complaint", "list-complaints"] {
        let path = avisa_local::moto::workspace_root().join(format!("events/chat-desk/{sample}.json"));
        let request: aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let response = line.desk.handle(&request).await;
        assert_eq!(response.status_code, 200, "{sample}: {:?}", response.body);
    }
}

/// Every operator route in events/schema/http-api.openapi.yaml is served (it may refuse the
/// made-up ids and bodies, but never with "no route"), by the function its tag names.
#[tokio::test]
async fn the_openapi_document_describes_the_routes_the_functions_serve() {
    let line = Line::start(|_| {}).await;
    let env = line.stack.function("outage-scheduler").unwrap().env.clone();
    let outages = outage_scheduler::App::new(
        &outage_scheduler::Config::load(&env).unwrap(),
        &line.stack.sdk_for("outage-scheduler"),
    )
    .unwrap();
    let operator = avisa_domain::operators::Operator {
        tenant_id: avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(),
        name: avisa_domain::text::Text::parse("spec").unwrap(),
        issued_at: Timestamp::now(),
        valid_until: Timestamp::now().checked_add(SignedDuration::from_hours(24)).unwrap(),
        admin: false,
    };
    outages.register_operator("spec-token", &operator).await.unwrap();
    let path = avisa_local::moto::workspace_root().join("events/schema/http-api.openapi.yaml");
    let spec: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(spec["openapi"].as_str(), Some("3.1.0"));
    let mut checked = 0;
    let mut operation_ids = std::collections::BTreeSet::new();
    for (route, methods) in spec["paths"].as_mapping().unwrap() {
        let route = route.as_str().unwrap();
        for (method, operation) in methods.as_mapping().unwrap() {
            let tag = operation["tags"][0].as_str().unwrap();
            let id =
                operation["operationId"].as_str().unwrap_or_else(|| panic!("{method:?} {route} has no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(line.stack.function(tag).is_some(), "{route}: its tag {tag} names no function of the template");
            if tag == "chat-webhook" {
                continue; // Meta's: the chat tests drive it
            }
            let concrete = route
                .replace("{outage_id}", "o-unknown")
                .replace("{phone}", "34600000000")
                .replace("{reference}", "X-0")
                .replace("{contract_id}", "CT-0")
                .replace("{subscriber_id}", "s-0")
                .replace("{customer_id}", "CU-0");
            let mut request = aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest::default();
            request.request_context.http.method = Some(method.as_str().unwrap().to_uppercase());
            request.request_context.http.path = Some(concrete.clone());
            request.headers.insert("authorization", "Bearer spec-token".parse().unwrap());
            request.body = Some("{}".into());
            let response = match tag {
                "outage-scheduler" => outages.handle(&request).await,
                _ => line.desk.handle(&request).await,
            };
            let body = response.body.unwrap_or_default();
            assert!(!body.contains("no route"), "{tag} does not serve {method:?} {route}: {body}");
            assert_ne!(response.status_code, 401, "{route}: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
}
