//! The chat webhook against moto: Meta's handshake, signed payloads, and WhatsApp status receipts
//! recorded on the delivery they are about (the samples under events/chat-webhook).

use avisa_aws::DynamoStore;
use avisa_domain::channel::Channel;
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::ports::{ClaimKey, ClaimOutcome, Claims, DeliveryRecords, RejectionLog};
use avisa_runtime::http::HttpHandler;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::stack;

fn sample(name: &str) -> LambdaFunctionUrlRequest {
    let path = avisa_local::moto::workspace_root().join(format!("events/chat-webhook/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn app(stack: &avisa_local::LocalStack) -> chat_webhook::App {
    // The samples were made with the local stack's secrets (avisa_local::stack::LOCAL_SECRETS).
    let env = stack.function("chat-webhook").unwrap().env.clone();
    chat_webhook::App::new(&chat_webhook::Config::load(&env).unwrap(), &stack.sdk_for("chat-webhook")).unwrap()
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_for_our_token_only() {
    let stack = stack().await;
    let app = app(&stack);
    let ok = app.handle(&sample("verification")).await;
    assert_eq!((ok.status_code, ok.body.as_deref()), (200, Some("1158201444")));
    let mut wrong = sample("verification");
    wrong.query_string_parameters.insert("hub.verify_token".into(), "guess".into());
    assert_eq!(app.handle(&wrong).await.status_code, 403);
}

/// A sample request carrying `body`, signed as Meta signs it.
fn signed(body: &serde_json::Value) -> LambdaFunctionUrlRequest {
    let mut request = sample("status-read");
    let body = body.to_string();
    let signature = chat_webhook::webhook::signature("local-app-secret", body.as_bytes());
    request.headers.insert("x-hub-signature-256", signature.parse().unwrap());
    request.body = Some(body);
    request
}

fn notification(value: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]})
}

fn receipt(wamid: &str, status: &str, at: u64) -> serde_json::Value {
    notification(&serde_json::json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34977000000", "phone_number_id": "106540352242922"},
        "statuses": [{"id": wamid, "status": status, "timestamp": at.to_string(), "recipient_id": "34600111001"}]}))
}

async fn delivery(stack: &avisa_local::LocalStack, notice: &str) -> std::collections::HashMap<String, AttributeValue> {
    aws_sdk_dynamodb::Client::new(&stack.sdk)
        .get_item()
        .table_name("avisa-Table")
        .key("pk", AttributeValue::S(format!("T#aigues-reus#NOTICE#{notice}")))
        .key("sk", AttributeValue::S("DELIVERY#whatsapp".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

/// A WhatsApp delivery the dispatcher made, with WhatsApp's id for it.
async fn sent_on_whatsapp(stack: &avisa_local::LocalStack, notice: &str, wamid: &str) {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let key = ClaimKey::Delivery {
        tenant_id: TenantId::parse("aigues-reus").unwrap(),
        notice_id: NoticeId::parse(notice).unwrap(),
        channel: Channel::Whatsapp,
    };
    let now = "2026-11-20T09:00:00Z".parse().unwrap();
    store.acquire(&key, now, jiff::SignedDuration::from_secs(60), false).await.unwrap();
    store.complete(&key, now, &ClaimOutcome::Sent { provider_message_id: wamid.into() }).await.unwrap();
    store.link_provider_id(wamid, &key).await.unwrap();
}

#[tokio::test]
async fn a_late_delivered_receipt_never_overwrites_read_and_a_replay_changes_nothing() {
    // GIVEN a WhatsApp message the citizen has read
    let stack = stack().await;
    let wamid = "wamid.HBgLMzQ2MDAxMTEwMDIVAgARGBI";
    sent_on_whatsapp(&stack, "n-whatsapp-2", wamid).await;
    let app = app(&stack);
    assert_eq!(app.handle(&signed(&receipt(wamid, "read", 1_763_630_400))).await.status_code, 200);
    // WHEN the `delivered` receipt arrives late, and the `read` one again
    assert_eq!(app.handle(&signed(&receipt(wamid, "delivered", 1_763_630_300))).await.status_code, 200);
    assert_eq!(app.handle(&signed(&receipt(wamid, "read", 1_763_630_400))).await.status_code, 200);
    // THEN the delivery still says read
    assert_eq!(delivery(&stack, "n-whatsapp-2").await["delivery_status"].as_s().unwrap(), "read");
}

#[tokio::test]
async fn a_malformed_message_is_refused_alone_recorded_and_acknowledged_while_the_good_one_is_answered() {
    // GIVEN a payload of two messages, the first of which Meta sent malformed
    let stack = stack().await;
    let text = |id: &str, from: serde_json::Value| serde_json::json!({"from": from, "id": id, "timestamp": "1763630200", "type": "text", "text": {"body": "hola"}});
    let payload = notification(&serde_json::json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34977000000", "phone_number_id": "106540352242922"},
        "messages": [text("wamid.BROKEN1", serde_json::json!("34 600 999 888")), text("wamid.GOOD1", serde_json::json!("34600999777"))]}));
    // WHEN it arrives
    let response = app(&stack).handle(&signed(&payload)).await;
    // THEN it is acknowledged (Meta stops retrying), the good message is handled, the other refused
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    let summary: serde_json::Value = serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
    assert_eq!(summary["messages"], 1, "{summary}");
    let refused = summary["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{summary}");
    assert!(refused[0].as_str().unwrap().contains("messages[0].from: phone number must be in E.164"), "{summary}");
    // AND the refusal is recorded for staff, without the number
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let rejected = store.list(None, 100).await.unwrap();
    let ours: Vec<_> = rejected.iter().filter(|r| r.source == "chat-webhook").collect();
    assert_eq!(ours.len(), 1, "{rejected:?}");
    assert!(!ours[0].rejection.detail.contains("999"), "{:?}", ours[0]);
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_whatsapp_notification_is_refused_with_the_reason() {
    let stack = stack().await;
    let app = app(&stack);
    for body in [serde_json::json!({"hello": "world"}), serde_json::json!({"object": "page", "entry": []})] {
        let response = app.handle(&signed(&body)).await;
        assert_eq!(response.status_code, 400, "{body}");
        assert!(response.body.unwrap().contains("not a WhatsApp notification"), "{body}");
    }
}

#[tokio::test]
async fn a_signed_read_receipt_marks_the_whatsapp_delivery_and_a_forged_one_is_refused() {
    // GIVEN a WhatsApp delivery the dispatcher made, with WhatsApp's id for it
    let stack = stack().await;
    let wamid = "wamid.HBgLMzQ2MDAxMTEwMDEVAgARGBI";
    sent_on_whatsapp(&stack, "n-whatsapp-1", wamid).await;
    let app = app(&stack);
    // WHEN a forged notification arrives, THEN it is refused and changes nothing
    let mut forged = sample("status-read");
    forged.headers.insert("x-hub-signature-256", "sha256=00".parse().unwrap());
    assert_eq!(app.handle(&forged).await.status_code, 401);
    // WHEN Meta's signed read receipt arrives
    let response = app.handle(&sample("status-read")).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    // THEN the delivery says read
    let item = delivery(&stack, "n-whatsapp-1").await;
    assert_eq!(item["delivery_status"].as_s().unwrap(), "read");
    assert_eq!(item["provider_message_id"].as_s().unwrap(), wamid);
}
