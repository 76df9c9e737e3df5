//! Every sample under events/chat-webhook is a valid Function URL request that the function answers.
#![allow(clippy::unwrap_used)]

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;

#[test]
fn the_verification_sample_is_answered_with_501_and_the_reason() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/chat-webhook/verification.json");
    let request: LambdaFunctionUrlRequest = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let response = avisa_runtime::not_implemented::http("chat-webhook", chat_webhook::PENDING, &request);
    assert_eq!(response.status_code, 501);
    let body: serde_json::Value = serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["error"], "not_implemented");
    assert!(body["message"].as_str().unwrap().starts_with("chat-webhook is not implemented yet"));
}
