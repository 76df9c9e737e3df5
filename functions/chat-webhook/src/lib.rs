//! chat-webhook: the WhatsApp Cloud API webhook behind a Function URL. It answers Meta's
//! handshake, checks every payload's signature, turns status receipts (delivered, read, failed)
//! into delivery statuses, and hands each citizen's message to the chat line, once however
//! often Meta delivers it. The line's replies leave through the dispatch queue.

pub mod webhook;

use avisa_domain::Error;
use avisa_domain::chat::Received;
use avisa_domain::feedback::Feedback;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::http::{self, HttpHandler, problem, respond};
use avisa_wiring::chat::{ChatAdapters, ChatConfig};
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone)]
pub struct Config {
    pub chat: ChatConfig,
    /// Unset: the webhook refuses every handshake.
    pub verify_token: Option<SecretString>,
    /// Unset: the webhook refuses every payload.
    pub app_secret: Option<SecretString>,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            chat: ChatConfig::load(source)?,
            verify_token: config::secret(source, "WHATSAPP_VERIFY_TOKEN"),
            app_secret: config::secret(source, "WHATSAPP_APP_SECRET"),
        })
    }
}

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
    config: Config,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        Ok(Self { chat: ChatAdapters::new(&config.chat, sdk)?, config: config.clone() })
    }

    fn handshake(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let query = |name: &str| request.query_string_parameters.get(name).map(String::as_str);
        match webhook::subscription_challenge(
            query("hub.mode"),
            query("hub.verify_token"),
            query("hub.challenge"),
            self.config.verify_token.as_ref().map_or("", ExposeSecret::expose_secret),
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
        if !webhook::signature_is_valid(
            self.config.app_secret.as_ref().map_or("", ExposeSecret::expose_secret),
            &body,
            signature,
        ) {
            return problem(401, "X-Hub-Signature-256 is missing or is not this app's signature of the body");
        }
        let parsed = match webhook::parse(&body) {
            Ok(parsed) => parsed,
            Err(reason) => return problem(400, &reason),
        };
        let feedback = Feedback { deliveries: &self.chat.store, suppressions: &self.chat.store };
        for receipt in &parsed.receipts {
            match feedback.handle_whatsapp(receipt).await {
                Ok(outcome) => {
                    tracing::info!(provider_message_id = receipt.provider_message_id, ?outcome, "whatsapp receipt");
                }
                // A receipt for a message avisa did not send is not Meta's to retry.
                Err(Error::Rejected(rejection)) => {
                    tracing::warn!(provider_message_id = receipt.provider_message_id, reason = %rejection, "whatsapp receipt ignored");
                }
                Err(error) => return retry_later(&error, "a receipt could not be recorded"),
            }
        }
        let line = self.chat.line();
        let mut answered = 0;
        for inbound in &parsed.inbound {
            match line.receive(inbound).await {
                Ok(received) => {
                    answered += usize::from(matches!(received, Received::Answered { .. }));
                    tracing::info!(message_id = inbound.message_id, outcome = ?received, "whatsapp message");
                }
                // Meta cannot fix it by sending it again: acknowledge, keep the reason in the log.
                Err(Error::Rejected(rejection)) => {
                    tracing::warn!(message_id = inbound.message_id, reason = %rejection, "whatsapp message not answered");
                }
                // Earlier messages of this payload are claimed: Meta's retry answers only the rest.
                Err(error) => return retry_later(&error, "a message could not be answered"),
            }
        }
        let summary = serde_json::json!({ "receipts": parsed.receipts.len(), "messages": parsed.inbound.len(), "answered": answered });
        respond(200, "application/json", summary.to_string())
    }
}

/// Meta retries a webhook that does not answer 200: nothing is lost.
fn retry_later(error: &Error, what: &str) -> LambdaFunctionUrlResponse {
    tracing::error!(error = avisa_runtime::redact::error_chain(error), "{what}");
    problem(500, &format!("{what}; retry"))
}

#[async_trait::async_trait]
impl HttpHandler for App {
    async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        match request.request_context.http.method.as_deref() {
            Some("GET") => self.handshake(request),
            Some("POST") => self.notification(request).await,
            _ => problem(405, "only GET (subscription) and POST (notifications) are served"),
        }
    }
}
