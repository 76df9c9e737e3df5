use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::notice::Interactive;
use avisa_domain::ports::{OutgoingWhatsApp, WhatsAppMessage, WhatsAppSender};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::secrets::Secret;

const OPERATION: &str = "whatsapp.messages";

/// The WhatsApp Cloud API (`POST {base}/{phone_number_id}/messages` with a bearer token).
#[derive(Debug, Clone)]
pub struct WhatsAppCloud {
    pub(crate) client: crate::https::LazyClient,
    /// e.g. `https://graph.facebook.com/v21.0`
    pub(crate) base_url: String,
    pub(crate) access_token: Secret,
}

/// The Cloud API answers in well under a second; one that has not in this time is not going to.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl WhatsAppCloud {
    pub fn new(base_url: impl Into<String>, access_token: Secret) -> Self {
        // Without a timeout a hung connection would hold the delivery until Lambda kills it.
        let client = crate::https::LazyClient::new(|builder| builder.timeout(TIMEOUT));
        Self { client, base_url: base_url.into(), access_token }
    }
}

/// The Cloud API's fields for a message's content.
fn content(message: &WhatsAppMessage<'_>) -> serde_json::Map<String, Value> {
    let fields = match message {
        WhatsAppMessage::Template { name, language, body } => json!({
            "type": "template",
            "template": {
                "name": name,
                "language": { "code": language.code() },
                "components": [{ "type": "body", "parameters": [{ "type": "text", "text": body }] }],
            },
        }),
        WhatsAppMessage::Session { text, interactive: None } => json!({ "type": "text", "text": { "body": text } }),
        WhatsAppMessage::Session { text, interactive: Some(Interactive::List { button, rows }) } => json!({
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": { "text": text },
                "action": {
                    "button": button,
                    "sections": [{ "title": button, "rows": rows.iter().map(|r| json!({
                        "id": r.id, "title": r.title, "description": r.description,
                    })).collect::<Vec<_>>() }],
                },
            },
        }),
        WhatsAppMessage::Session { text, interactive: Some(Interactive::Buttons { buttons }) } => json!({
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": { "text": text },
                "action": { "buttons": buttons.iter().map(|b| json!({
                    "type": "reply", "reply": { "id": b.id, "title": b.title },
                })).collect::<Vec<_>>() },
            },
        }),
    };
    match fields {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn failed(kind: fn(&'static str, std::io::Error) -> PortError, reason: String) -> PortError {
    kind(OPERATION, std::io::Error::other(reason))
}

impl WhatsAppCloud {
    /// The access token, or why there is none.
    pub(crate) async fn token(&self, operation: &'static str) -> Result<secrecy::SecretString, PortError> {
        self.access_token.value().await?.ok_or_else(|| {
            PortError::misconfigured(
                operation,
                std::io::Error::other(
                    "WhatsApp is not configured in this deployment: put access_token in the secret WhatsAppSendingSecret",
                ),
            )
        })
    }
}

#[async_trait]
impl WhatsAppSender for WhatsAppCloud {
    async fn send(&self, message: OutgoingWhatsApp<'_>) -> Result<String, PortError> {
        let token = self.token(OPERATION).await?;
        let mut body = content(&message.message);
        body.insert("messaging_product".to_owned(), json!("whatsapp"));
        body.insert("recipient_type".to_owned(), json!("individual"));
        body.insert("to".to_owned(), json!(message.to.as_str().trim_start_matches('+')));
        let url = format!("{}/{}/messages", self.base_url.trim_end_matches('/'), message.phone_number_id);
        let response =
            self.client.get().post(url).bearer_auth(token.expose_secret()).json(&body).send().await.map_err(|e| {
                // Not connected: nothing left. Anything later: the message may have gone.
                let kind = if e.is_connect() { PortError::transient } else { PortError::unknown };
                failed(kind, format!("no answer from the Cloud API: {e}"))
            })?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return answer["messages"][0]["id"].as_str().map(str::to_owned).ok_or_else(|| {
                failed(PortError::unknown, format!("the Cloud API answered {status} without a message id"))
            });
        }
        // Meta's error text says what is wrong (template not approved, number not on WhatsApp…).
        let reason = answer["error"]["message"].as_str().unwrap_or("no reason given");
        let kind = match status.as_u16() {
            429 => PortError::transient,
            401 | 403 => PortError::misconfigured, // the deployment's token or app is wrong
            _ if status.is_server_error() => PortError::unknown,
            _ => PortError::permanent,
        };
        Err(failed(kind, format!("{status}: {reason}")))
    }
}
