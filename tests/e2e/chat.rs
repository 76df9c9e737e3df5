//! The chat line end to end against moto: Meta's signed webhooks (the samples under
//! events/chat-webhook) drive every flow; replies leave through the dispatcher to a local server
//! standing in for the Graph API; staff work through the chat desk; the no-reply timers fire
//! through the local harness at an injected time.

use avisa_aws::DynamoStore;
use avisa_domain::ports::TenantDirectory;
use avisa_local::{LocalStack, schedules};
use avisa_runtime::http::HttpHandler;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::{sample_body, stack};

const SECRET: &str = "local-app-secret";
const TOKEN: &str = "avisa_op_chat_desk";
pub(crate) const CITIZEN: &str = "34600222333";

pub(crate) use avisa_local::graph_api::Sent;

pub(crate) struct Line {
    pub(crate) stack: LocalStack,
    pub(crate) webhook: chat_webhook::App,
    pub(crate) desk: chat_desk::App,
    pub(crate) sent: Sent,
    pub(crate) graph: avisa_local::graph_api::GraphApi,
}

/// The text of every message sent to the citizen, in order.
pub(crate) fn texts(sent: &Sent) -> Vec<String> {
    sent.lock()
        .unwrap()
        .iter()
        .map(|m| {
            let template = &m["template"]["components"][0]["parameters"][0]["text"];
            m["text"]["body"]
                .as_str()
                .or(m["interactive"]["body"]["text"].as_str())
                .or(template.as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

impl Line {
    pub(crate) async fn start(change: impl FnOnce(&mut avisa_domain::tenant::TenantSettings)) -> Self {
        let mut stack = Box::pin(stack()).await;
        let graph = avisa_local::graph_api::GraphApi::start(0).unwrap();
        for spec in &mut stack.functions {
            if ["notice-dispatcher", "chat-timers"].contains(&spec.binary.as_str()) {
                spec.env.insert("WHATSAPP_API_BASE".into(), graph.base.clone());
            }
        }
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
        let mut settings = avisa_domain::fakes::default_settings();
        settings.whatsapp = Some(avisa_domain::tenant::WhatsAppSettings {
            phone_number_id: "106540352242922".into(),
            templates: [(avisa_domain::notice::NoticeKind::ChatFollowUp, "avisa_follow_up".to_owned())].into(),
        });
        // Staff are always in, unless a test says otherwise.
        let mut chat = avisa_domain::chat::ChatSettings::default();
        chat.office_hours.days = (1..=7).collect();
        chat.office_hours.opens = jiff::civil::time(0, 0, 0, 0);
        chat.office_hours.closes = jiff::civil::time(23, 59, 59, 0);
        settings.chat = Some(chat);
        change(&mut settings);
        store.put_settings(&avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(), &settings).await.unwrap();
        let env = stack.function("chat-webhook").unwrap().env.clone();
        let webhook =
            chat_webhook::App::new(&chat_webhook::Config::load(&env).unwrap(), &stack.sdk_for("chat-webhook")).unwrap();
        let desk_env = stack.function("chat-desk").unwrap().env.clone();
        let desk =
            chat_desk::App::new(&chat_desk::Config::load(&desk_env).unwrap(), &stack.sdk_for("chat-desk")).unwrap();
        let operator = avisa_domain::operators::Operator {
            tenant_id: avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(),
            name: avisa_domain::text::Text::parse("Jordi").unwrap(),
            issued_at: Timestamp::now(),
            valid_until: Timestamp::now().checked_add(SignedDuration::from_hours(24)).unwrap(),
            admin: false,
        };
        outage_scheduler_free_register(&store, &operator).await;
        let sent = graph.sent.clone();
        Self { stack, webhook, desk, sent, graph }
    }

    /// Posts a sample webhook; the replies it queued are delivered before this returns.
    pub(crate) async fn post(&self, sample: &str) -> (i64, Value) {
        let path = avisa_local::moto::workspace_root().join(format!("events/chat-webhook/{sample}.json"));
        let request: LambdaFunctionUrlRequest = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        self.post_request(&request).await
    }

    pub(crate) async fn post_request(&self, request: &LambdaFunctionUrlRequest) -> (i64, Value) {
        let response = self.webhook.handle(request).await;
        self.deliver().await;
        (response.status_code, serde_json::from_str(response.body.as_deref().unwrap_or("null")).unwrap_or(Value::Null))
    }

    /// The sample customer (Maria, +34600111001, Catalan, email then SMS) and her invoice.
    pub(crate) async fn with_customer(&self) {
        for sample in ["customer-upserted", "invoice-issued"] {
            let body = sample_body(&format!("events/billing-ingest/{sample}.json"));
            self.stack.send("BillingEventsQueue", &body).await.unwrap();
        }
        self.deliver().await;
    }

    pub(crate) async fn deliver(&self) {
        let report = self.stack.event_source_mapping().unwrap().drain().await.unwrap();
        assert_eq!(report.by_function.values().map(|i| i.failed).sum::<usize>(), 0, "{report:?}");
    }

    pub(crate) async fn flow(&self, name: &str, steps: usize) {
        for step in 1..=steps {
            let (status, answer) = self.post(&format!("message-{name}-{step}")).await;
            assert_eq!(status, 200, "{name} {step}: {answer}");
        }
    }

    pub(crate) async fn desk(&self, method: &str, path: &str, body: Option<Value>) -> (i64, Value) {
        self.desk_with(method, path, body, None).await
    }

    pub(crate) async fn desk_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (i64, Value) {
        let mut request = LambdaFunctionUrlRequest::default();
        if let Some(key) = key {
            request.headers.insert("idempotency-key", key.parse().unwrap());
        }
        request.request_context.http.method = Some(method.to_owned());
        request.request_context.http.path = Some(path.to_owned());
        request.headers.insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
        request.body = body.map(|b| b.to_string());
        let response = self.desk.handle(&request).await;
        self.deliver().await;
        (response.status_code, serde_json::from_str(response.body.as_deref().unwrap_or("null")).unwrap())
    }
}

async fn outage_scheduler_free_register(store: &DynamoStore, operator: &avisa_domain::operators::Operator) {
    use avisa_domain::operators::{OperatorDirectory, token_digest};
    store.register(&token_digest(TOKEN), operator).await.unwrap();
}

/// A text message from the citizen sent just now, signed as Meta would.
pub(crate) fn fresh_text(id: &str, body: &str) -> LambdaFunctionUrlRequest {
    fresh(id, json!({"type": "text", "text": {"body": body}}))
}

/// A message (`content`: its `type` and what goes with it) sent just now, signed as Meta would.
pub(crate) fn fresh(id: &str, content: Value) -> LambdaFunctionUrlRequest {
    fresh_from(CITIZEN, id, content)
}

/// A message from `from` (digits, as Meta sends them) sent just now, signed as Meta would.
pub(crate) fn fresh_from(from: &str, id: &str, content: Value) -> LambdaFunctionUrlRequest {
    let mut message = json!({"from": from, "id": id, "timestamp": Timestamp::now().as_second().to_string()});
    let Value::Object(content) = content else { panic!("a message's content is an object") };
    message.as_object_mut().unwrap().extend(content);
    let payload = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34977000000", "phone_number_id": "106540352242922"},
        "messages": [message]
    }}]}]})
    .to_string();
    let mut request: LambdaFunctionUrlRequest = serde_json::from_str(
        &std::fs::read_to_string(avisa_local::moto::workspace_root().join("events/chat-webhook/message-agent-1.json"))
            .unwrap(),
    )
    .unwrap();
    request
        .headers
        .insert("x-hub-signature-256", chat_webhook::webhook::signature(SECRET, payload.as_bytes()).parse().unwrap());
    request.body = Some(payload);
    request
}

#[tokio::test]
async fn an_incident_report_is_filed_with_a_reference_and_staff_move_it_on() {
    let line = Line::start(|_| {}).await;
    line.flow("incident", 6).await;
    let said = texts(&line.sent);
    assert_eq!(said.len(), 6, "{said:#?}");
    assert!(said[0].starts_with("Hola! Sóc l'assistent"), "the welcome, with the menu");
    let menu = line.sent.lock().unwrap()[0].clone();
    assert_eq!(menu["interactive"]["type"], "list");
    assert_eq!(menu["interactive"]["action"]["sections"][0]["rows"].as_array().unwrap().len(), 10);
    assert!(said[4].contains("foto"), "{}", said[4]);
    assert!(said[5].starts_with("Gràcies! Hem registrat la incidència amb la referència INC-"), "{}", said[5]);
    let (status, listed) = line.desk("GET", "/incidents", None).await;
    assert_eq!(status, 200, "{listed}");
    let incident = &listed["incidents"][0];
    assert_eq!(incident["service_code"], "lighting");
    assert_eq!(incident["status"], "open");
    assert_eq!(incident["media_ids"], json!(["1485210962315254"]));
    assert_eq!(incident["location"]["lat"], 41.7251);
    let reference = incident["reference"].as_str().unwrap();
    assert!(said[5].contains(reference));
    let (status, _) = line
        .desk(
            "POST",
            &format!("/incidents/{reference}/status"),
            Some(json!({"status": "in_progress", "note": "Brigada avisada"})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(texts(&line.sent).last().unwrap().contains("en curs"), "the reporter is told");
}

#[tokio::test]
async fn information_appointments_preferences_and_unreadable_messages_are_answered() {
    let line = Line::start(|_| {}).await;
    line.flow("information", 3).await;
    assert!(texts(&line.sent).last().unwrap().contains("example.org/farmacies"));
    line.flow("appointment", 4).await;
    assert!(texts(&line.sent).last().unwrap().contains("APT-"), "{:?}", texts(&line.sent).last());
    let (_, listed) = line.desk("GET", "/appointments", None).await;
    let reference = listed["appointments"][0]["reference"].as_str().unwrap().to_owned();
    assert_eq!(listed["appointments"][0]["service"], "census");
    let (status, confirmed) = line
        .desk(
            "POST",
            &format!("/appointments/{reference}/confirm"),
            Some(json!({"slot": "dimarts 1, 10:30, Plaça Major 1"})),
        )
        .await;
    assert_eq!(status, 200, "{confirmed}");
    assert!(texts(&line.sent).last().unwrap().contains("dimarts 1, 10:30"));
    line.flow("preferences", 6).await;
    let said = texts(&line.sent);
    assert!(said[said.len() - 3].starts_with("¡Hecho! Hablaremos en español."), "{said:#?}");
    assert!(said.last().unwrap().starts_with("De acuerdo: no le enviaremos avisos no esenciales"));
    line.flow("unsupported", 1).await;
    assert!(texts(&line.sent).last().unwrap().starts_with("Todavía no puedo leer este tipo de mensaje"));
}

#[tokio::test]
async fn a_known_customer_hears_of_their_unpaid_invoice() {
    let line = Line::start(|_| {}).await;
    line.with_customer().await;
    let before = texts(&line.sent).len();
    line.flow("billing", 2).await;
    let said = texts(&line.sent);
    let answer = said.last().unwrap();
    assert!(
        answer.starts_with("Contracte CT-0001: 1 factura(es) pendent(s) per 48,20 €"),
        "{said:#?} (before: {before})"
    );
}

#[tokio::test]
async fn talking_to_a_person_hands_off_after_the_name_and_staff_answer_and_resolve() {
    let line = Line::start(|_| {}).await;
    line.flow("agent", 3).await;
    assert!(texts(&line.sent)[1].contains("Com us dieu?"));
    let (status, waiting) = line.desk("GET", "/conversations", None).await;
    assert_eq!(status, 200);
    assert_eq!(waiting["waiting"][0]["name"], "Maria Puig");
    assert_eq!(waiting["waiting"][0]["state"]["state"], "waiting_for_agent");
    let (status, _) = line.desk("POST", &format!("/conversations/{CITIZEN}/take"), None).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&line.sent).last().unwrap(), "Hola, Maria Puig! Sóc Jordi i us atendré ara.");
    let (status, _) = line
        .desk("POST", &format!("/conversations/{CITIZEN}/reply"), Some(json!({"text": "En què us puc ajudar?"})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(texts(&line.sent).last().unwrap(), "En què us puc ajudar?");
    // The samples were sent more than 24 hours ago: staff write with the approved template.
    let last = line.sent.lock().unwrap().last().unwrap().clone();
    assert_eq!((last["type"].as_str(), last["template"]["name"].as_str()), (Some("template"), Some("avisa_follow_up")));
    let (status, closed) = line.desk("POST", &format!("/conversations/{CITIZEN}/resolve"), None).await;
    assert_eq!((status, &closed["state"]["state"]), (200, &json!("rating")), "resolved: the citizen is asked to rate");
    assert!(texts(&line.sent).last().unwrap().contains("https://example.org/enquesta"), "the survey link");
    let (status, refused) = line.desk("POST", &format!("/conversations/{CITIZEN}/resolve"), None).await;
    assert_eq!((status, refused["error"].as_str()), (409, Some("invalid_transition")));
    let mut unauthenticated = LambdaFunctionUrlRequest::default();
    unauthenticated.request_context.http.method = Some("GET".into());
    assert_eq!(line.desk.handle(&unauthenticated).await.status_code, 401);
}

#[tokio::test]
async fn outside_office_hours_the_citizen_is_told_when_staff_are_back() {
    let line = Line::start(|s| {
        let chat = s.chat.as_mut().unwrap();
        chat.office_hours.closes = jiff::civil::time(0, 0, 0, 0); // never open
    })
    .await;
    line.flow("agent", 3).await;
    let said = texts(&line.sent);
    assert!(said[2].contains("Ara l'oficina és tancada; us atendrem"), "{}", said[2]);
    let (_, waiting) = line.desk("GET", "/conversations", None).await;
    assert_eq!(waiting["waiting"].as_array().unwrap().len(), 1, "the request waits");
}

#[tokio::test]
async fn a_replayed_webhook_is_answered_once_and_forged_malformed_or_huge_ones_are_refused() {
    let line = Line::start(|_| {}).await;
    assert_eq!(line.post("message-agent-1").await.0, 200);
    assert_eq!(line.post("message-agent-1").await.0, 200, "Meta redelivers");
    assert_eq!(texts(&line.sent).len(), 1, "answered once");
    let (status, answer) = line.post("malformed").await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("not a WhatsApp notification"), "{answer}");
    let path = avisa_local::moto::workspace_root().join("events/chat-webhook/message-agent-2.json");
    let mut forged: LambdaFunctionUrlRequest = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    forged.body = Some(forged.body.unwrap().replace("agent", "billing"));
    assert_eq!(line.post_request(&forged).await.0, 401, "the body was changed after signing");
    let mut huge = fresh_text("wamid.huge", &"x".repeat(70 * 1024));
    huge.headers.remove("x-hub-signature-256");
    assert_eq!(line.post_request(&huge).await.0, 413);
    assert_eq!(texts(&line.sent).len(), 1);
}

#[tokio::test]
async fn no_answer_to_the_name_is_recontacted_after_20_minutes_then_closed() {
    // GIVEN a citizen who asks for a person just now, and says nothing more
    let line = Line::start(|_| {}).await;
    line.post_request(&fresh_text("wamid.fresh.1", "hola")).await;
    let asked = Timestamp::now();
    let choose = fresh(
        "wamid.fresh.2",
        json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "agent", "title": "Parlar amb una persona"}}}),
    );
    line.post_request(&choose).await;
    assert!(texts(&line.sent).last().unwrap().contains("Com us dieu?"));
    // THEN EventBridge holds the re-contact timer, 20 minutes ahead, on the chat timer queue
    let timers = schedules::list(&line.stack).await.unwrap();
    assert_eq!(timers.len(), 1, "{timers:#?}");
    assert_eq!(timers[0].target_arn, line.stack.queue("ChatTimerQueue").arn);
    assert!(timers[0].due >= asked + SignedDuration::from_mins(19), "{:?}", timers[0].due);
    // WHEN 19 minutes pass, nothing; at 21, one re-contact
    assert_eq!(schedules::fire_due(&line.stack, asked + SignedDuration::from_mins(19)).await.unwrap(), 0);
    assert_eq!(schedules::fire_due(&line.stack, asked + SignedDuration::from_mins(21)).await.unwrap(), 1);
    line.deliver().await;
    assert!(texts(&line.sent).last().unwrap().starts_with("Encara hi sou?"), "{:?}", texts(&line.sent));
    assert_eq!(line.sent.lock().unwrap().last().unwrap()["type"], "text", "inside the 24-hour window");
    // WHEN 20 more minutes pass without an answer, the conversation is closed
    assert_eq!(schedules::fire_due(&line.stack, asked + SignedDuration::from_mins(60)).await.unwrap(), 1);
    line.deliver().await;
    assert!(texts(&line.sent).last().unwrap().starts_with("Tanquem la conversa."));
    let (_, conversation) = line.desk("GET", &format!("/conversations/{CITIZEN}"), None).await;
    assert_eq!(conversation["state"]["state"], "closed");
}

#[tokio::test]
async fn an_answer_cancels_the_no_reply_timer() {
    let line = Line::start(|_| {}).await;
    line.flow("agent", 2).await;
    assert_eq!(schedules::list(&line.stack).await.unwrap().len(), 1);
    line.post("message-agent-3").await;
    assert!(schedules::list(&line.stack).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_staff_reply_retried_with_the_same_idempotency_key_reaches_the_citizen_once() {
    let line = Line::start(|_| {}).await;
    line.flow("agent", 3).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/take"), None).await;
    let before = texts(&line.sent).len();
    let reply = json!({"text": "Ara ho miro"});
    for _ in 0..2 {
        let (status, _) = line
            .desk_with("POST", &format!("/conversations/{CITIZEN}/reply"), Some(reply.clone()), Some("req-7"))
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(texts(&line.sent).len(), before + 1);
}
