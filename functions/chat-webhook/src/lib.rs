//! chat-webhook: the WhatsApp Cloud API webhook behind a Function URL. Today it answers Meta's
//! handshake, checks every payload's signature, and turns status receipts (delivered, read,
//! failed) into delivery statuses; the chat line's conversations come with the chat issue.

pub mod webhook;

use avisa_aws::DynamoStore;
use avisa_domain::Error;
use avisa_domain::feedback::Feedback;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::http::{self, problem, respond};
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    /// Empty: the webhook refuses every handshake.
    pub verify_token: String,
    /// Empty: the webhook refuses every payload.
    pub app_secret: String,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            verify_token: config::optional(source, "WHATSAPP_VERIFY_TOKEN").unwrap_or_default(),
            app_secret: config::optional(source, "WHATSAPP_APP_SECRET").unwrap_or_default(),
        })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    config: Config,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self { store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name), config: config.clone() }
    }

    pub async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        match request.request_context.http.method.as_deref() {
            Some("GET") => self.handshake(request),
            Some("POST") => self.notification(request).await,
            _ => problem(405, "only GET (subscription) and POST (notifications) are served"),
        }
    }

    fn handshake(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let query = |name: &str| request.query_string_parameters.get(name).map(String::as_str);
        match webhook::subscription_challenge(
            query("hub.mode"),
            query("hub.verify_token"),
            query("hub.challenge"),
            &self.config.verify_token,
        ) {
            Some(challenge) => respond(200, "text/plain", challenge),
            None => problem(403, "the verify token does not match this deployment's WhatsAppVerifyToken"),
        }
    }

    async fn notification(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let body = match http::body(request) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let signature = request.headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
        if !webhook::signature_is_valid(&self.config.app_secret, &body, signature) {
            return problem(401, "X-Hub-Signature-256 is missing or is not this app's signature of the body");
        }
        let parsed = match webhook::parse(&body) {
            Ok(parsed) => parsed,
            Err(reason) => return problem(400, &reason),
        };
        let feedback = Feedback { deliveries: &self.store, suppressions: &self.store };
        for receipt in &parsed.receipts {
            match feedback.handle_whatsapp(receipt).await {
                Ok(outcome) => {
                    tracing::info!(provider_message_id = receipt.provider_message_id, ?outcome, "whatsapp receipt");
                }
                // A receipt for a message avisa did not send is not Meta's to retry.
                Err(Error::Rejected(rejection)) => {
                    tracing::warn!(provider_message_id = receipt.provider_message_id, reason = %rejection, "whatsapp receipt ignored");
                }
                // Meta retries a webhook that does not answer 200: nothing is lost.
                Err(error) => {
                    tracing::error!(
                        error = avisa_runtime::redact::error_chain(&error),
                        "whatsapp receipt not recorded"
                    );
                    return problem(500, "a receipt could not be recorded; retry");
                }
            }
        }
        if parsed.inbound_messages > 0 {
            tracing::warn!(
                count = parsed.inbound_messages,
                "inbound WhatsApp messages are not handled yet (the chat line)"
            );
        }
        respond(200, "application/json", serde_json::json!({ "receipts": parsed.receipts.len() }).to_string())
    }
}
