//! The chat webhook against moto: Meta's handshake, signed payloads, and WhatsApp status receipts
//! recorded on the delivery they are about (the samples under events/chat-webhook).

use avisa_aws::DynamoStore;
use avisa_domain::channel::Channel;
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::ports::{ClaimKey, ClaimOutcome, Claims, DeliveryRecords};
use avisa_runtime::http::HttpHandler;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::stack;

fn sample(name: &str) -> LambdaFunctionUrlRequest {
    let path = avisa_local::moto::workspace_root().join(format!("events/chat-webhook/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn app(stack: &avisa_local::LocalStack) -> chat_webhook::App {
    let mut env = stack.function("chat-webhook").unwrap().env.clone();
    // what the samples were made with
    env.insert("WHATSAPP_VERIFY_TOKEN".into(), "local-verify-token".into());
    env.insert("WHATSAPP_APP_SECRET".into(), "local-app-secret".into());
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

#[tokio::test]
async fn a_signed_read_receipt_marks_the_whatsapp_delivery_and_a_forged_one_is_refused() {
    // GIVEN a WhatsApp delivery the dispatcher made, with WhatsApp's id for it
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let key = ClaimKey::Delivery {
        tenant_id: TenantId::parse("aigues-reus").unwrap(),
        notice_id: NoticeId::parse("n-whatsapp-1").unwrap(),
        channel: Channel::Whatsapp,
    };
    let now = "2026-11-20T09:00:00Z".parse().unwrap();
    store.acquire(&key, now, jiff::SignedDuration::from_secs(60), false).await.unwrap();
    let wamid = "wamid.HBgLMzQ2MDAxMTEwMDEVAgARGBI";
    store.complete(&key, now, &ClaimOutcome::Sent { provider_message_id: wamid.into() }).await.unwrap();
    store.link_provider_id(wamid, &key).await.unwrap();
    let app = app(&stack);
    // WHEN a forged notification arrives, THEN it is refused and changes nothing
    let mut forged = sample("status-read");
    forged.headers.insert("x-hub-signature-256", "sha256=00".parse().unwrap());
    assert_eq!(app.handle(&forged).await.status_code, 401);
    // WHEN Meta's signed read receipt arrives
    let response = app.handle(&sample("status-read")).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    // THEN the delivery says read
    let item = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .get_item()
        .table_name("avisa-Table")
        .key("pk", AttributeValue::S("T#aigues-reus#NOTICE#n-whatsapp-1".into()))
        .key("sk", AttributeValue::S("DELIVERY#whatsapp".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["delivery_status"].as_s().unwrap(), "read");
    assert_eq!(item["provider_message_id"].as_s().unwrap(), wamid);
}
