//! chat-webhook: the WhatsApp Cloud API webhook behind a Function URL. It answers Meta's
//! handshake, checks every payload's signature, turns status receipts (delivered, read, failed)
//! into delivery statuses, and hands each citizen's message to the chat line, once however
//! often Meta delivers it. The line's replies leave through the dispatch queue.

pub mod webhook;

use avisa_aws::{Secret, StoredSecret};
use avisa_domain::chat::Received;
use avisa_domain::clock::Clock;
use avisa_domain::error::RejectionCode;
use avisa_domain::feedback::Feedback;
use avisa_domain::ports::{RejectedMessage, RejectionLog};
use avisa_domain::{Error, Rejection};
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::http::{self, HttpHandler, problem, respond};
use avisa_runtime::{RuntimeError, redact};
use avisa_wiring::Clients;
use avisa_wiring::chat::{ChatAdapters, ChatConfig};
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use secrecy::ExposeSecret;

#[derive(Debug, Clone)]
pub struct Config {
    pub chat: ChatConfig,
    /// The secret holding `verify_token` and `app_secret`; unset (or empty fields): the webhook
    /// refuses every handshake and every payload.
    pub webhook_secret: Option<String>,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            chat: ChatConfig::load(source)?,
            webhook_secret: config::optional(source, "WHATSAPP_WEBHOOK_SECRET_ARN"),
        })
    }
}

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
    verify_token: Secret,
    signing_secret: Secret,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        let secret = config.webhook_secret.as_deref().map(|id| StoredSecret::new(sdk, id));
        let field = |name| secret.clone().map_or(Secret::Unset, |secret| Secret::Stored(secret, name));
        Ok(Self {
            chat: ChatAdapters::new(&config.chat, &Clients::new(sdk))?,
            verify_token: field("verify_token"),
            signing_secret: field("app_secret"),
        })
    }

    async fn handshake(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let query = |name: &str| request.query_string_parameters.get(name).map(String::as_str);
        let verify_token = match self.verify_token.value().await {
            Ok(token) => token,
            Err(error) => return retry_later(&error.into(), "the verify token could not be read"),
        };
        match webhook::subscription_challenge(
            query("hub.mode"),
            query("hub.verify_token"),
            query("hub.challenge"),
            verify_token.as_ref().map_or("", ExposeSecret::expose_secret),
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
        let app_secret = match self.signing_secret.value().await {
            Ok(secret) => secret,
            Err(error) => return retry_later(&error.into(), "the app secret could not be read"),
        };
        if !webhook::signature_is_valid(app_secret.as_ref().map_or("", ExposeSecret::expose_secret), &body, signature) {
            return problem(401, "X-Hub-Signature-256 is missing or is not this app's signature of the body");
        }
        let parsed = match webhook::parse(&body) {
            Ok(parsed) => parsed,
            Err(reason) => return problem(400, &reason),
        };
        let mut outcomes = Outcomes::default();
        for refused in &parsed.refused {
            self.not_retried(&Rejection::new(RejectionCode::InvalidField, refused.reason.clone()), None, &mut outcomes)
                .await;
        }
        let feedback = Feedback { deliveries: &self.chat.store, suppressions: &self.chat.store };
        for receipt in &parsed.receipts {
            let message = redact::message_ref(&receipt.provider_message_id);
            match feedback.handle_whatsapp(receipt).await {
                Ok(outcome) => tracing::info!(message = %message, ?outcome, "whatsapp receipt"),
                Err(error) if error.is_retryable() => return retry_later(&error, "a receipt could not be recorded"),
                // Meta cannot fix it by sending it again: acknowledge, keep the reason.
                Err(error) => self.not_retried(&reason(error), Some(&message), &mut outcomes).await,
            }
        }
        let line = self.chat.line();
        for inbound in &parsed.inbound {
            let message = redact::message_ref(&inbound.message_id);
            match line.receive(inbound).await {
                Ok(received) => {
                    outcomes.answered += usize::from(matches!(received, Received::Answered { .. }));
                    tracing::info!(message = %message, outcome = ?received, "whatsapp message");
                }
                // Earlier messages of this payload are claimed: Meta's retry answers only the rest.
                Err(error) if error.is_retryable() => return retry_later(&error, "a message could not be answered"),
                Err(error) => self.not_retried(&reason(error), Some(&message), &mut outcomes).await,
            }
        }
        let summary = serde_json::json!({
            "receipts": parsed.receipts.len(),
            "messages": parsed.inbound.len(),
            "answered": outcomes.answered,
            "refused": outcomes.refused,
        });
        respond(200, "application/json", summary.to_string())
    }

    /// A message or receipt that no retry can mend: recorded with its reason (`avisa rejected`) and
    /// acknowledged, so that Meta stops sending it. A record that cannot be written is logged.
    async fn not_retried(&self, rejection: &Rejection, message: Option<&str>, outcomes: &mut Outcomes) {
        outcomes.refused.push(rejection.to_string());
        tracing::warn!(message, reason = %rejection, "whatsapp item not processed");
        let rejected = RejectedMessage {
            source: SOURCE.to_owned(),
            message_id: message.unwrap_or("payload").to_owned(),
            tenant_id: None,
            event_id: None,
            rejection: rejection.clone(),
            at: self.chat.clock.now(),
            body: None,
            redriven_at: None,
        };
        if let Err(error) = self.chat.store.record(&rejected).await {
            tracing::error!(error = redact::error_chain(&error), "the rejection could not be recorded");
        }
    }
}

/// What `avisa rejected` names this function.
pub const SOURCE: &str = "chat-webhook";

#[derive(Default)]
struct Outcomes {
    answered: usize,
    refused: Vec<String>,
}

/// Why a failure that is not worth retrying was not: the rejection, or the permanent error's chain.
fn reason(error: Error) -> Rejection {
    match error {
        Error::Rejected(rejection) => rejection,
        other => Rejection::new(RejectionCode::InvalidField, redact::error_chain(&other)),
    }
}

/// Meta retries a webhook that does not answer 200: nothing is lost.
fn retry_later(error: &Error, what: &str) -> LambdaFunctionUrlResponse {
    tracing::error!(error = redact::error_chain(error), "{what}");
    problem(500, &format!("{what}; retry"))
}

#[async_trait::async_trait]
impl HttpHandler for App {
    async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        match request.request_context.http.method.as_deref() {
            Some("GET") => self.handshake(request).await,
            Some("POST") => self.notification(request).await,
            _ => problem(405, "only GET (subscription) and POST (notifications) are served"),
        }
    }
}
