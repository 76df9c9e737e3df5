//! The WhatsApp Cloud API's webhook notifications, read at the edge: the citizens' messages and
//! the status receipts of what was sent, as the chat line and the delivery records know them.

use jiff::Timestamp;
use serde::Deserialize;

use super::{Inbound, Said};
use crate::contact::PhoneE164;
use crate::feedback::WhatsAppReceipt;
use crate::ports::DeliveryStatus;

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    value: Value,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    statuses: Vec<Status>,
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Metadata {
    phone_number_id: String,
}

/// An inbound message as Meta sends it; only what the chat line reads.
#[derive(Deserialize)]
struct Message {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<TextBody>,
    #[serde(default)]
    interactive: Option<InteractiveReply>,
    #[serde(default)]
    button: Option<ButtonReply>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    image: Option<Media>,
}

#[derive(Deserialize)]
struct TextBody {
    body: String,
}

#[derive(Deserialize)]
struct InteractiveReply {
    #[serde(default)]
    list_reply: Option<Reply>,
    #[serde(default)]
    button_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    id: String,
    #[serde(default)]
    title: String,
}

/// A template's quick-reply button.
#[derive(Deserialize)]
struct ButtonReply {
    payload: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Media {
    id: String,
    #[serde(default)]
    caption: Option<String>,
}

/// What the chat line reads of a message; a kind it cannot read is kept as unsupported.
fn said(message: Message) -> Said {
    let Message { kind, text, interactive, button, location, image, .. } = message;
    let reply = interactive.and_then(|i| i.list_reply.or(i.button_reply));
    match kind.as_str() {
        "text" if text.is_some() => Said::Text { body: text.map(|t| t.body).unwrap_or_default() },
        "interactive" if reply.is_some() => {
            let reply = reply.unwrap_or(Reply { id: String::new(), title: String::new() });
            Said::Choice { id: reply.id, title: reply.title }
        }
        "button" if button.is_some() => {
            let button = button.unwrap_or(ButtonReply { payload: String::new(), text: String::new() });
            Said::Choice { id: button.payload, title: button.text }
        }
        "location" => match location {
            Some(l) => Said::Location { lat: l.latitude, lon: l.longitude, address: l.address.or(l.name) },
            None => Said::Unsupported { kind },
        },
        "image" => match image {
            Some(m) => Said::Image { media_id: m.id, caption: m.caption },
            None => Said::Unsupported { kind },
        },
        _ => Said::Unsupported { kind },
    }
}

/// Field names follow Meta's JSON.
#[allow(clippy::struct_field_names)]
#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    timestamp: String,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    title: String,
}

/// What a notification carries: status receipts, and the citizens' messages (the chat line's).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub receipts: Vec<WhatsAppReceipt>,
    pub inbound: Vec<Inbound>,
}

fn epoch(raw: &str, what: &str) -> Result<Timestamp, String> {
    let seconds: i64 = raw.parse().map_err(|_| format!("{what} timestamp {raw:?} is not epoch seconds"))?;
    Timestamp::from_second(seconds).map_err(|e| e.to_string())
}

pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| format!("body is not a WhatsApp notification: {e}"))?;
    let mut parsed = Parsed { receipts: Vec::new(), inbound: Vec::new() };
    for value in notification.entry.into_iter().flat_map(|e| e.changes).map(|c| c.value) {
        if !value.messages.is_empty() && value.metadata.is_none() {
            return Err("messages without metadata.phone_number_id: which number were they sent to?".to_owned());
        }
        let phone_number_id = value.metadata.map(|m| m.phone_number_id).unwrap_or_default();
        for message in value.messages {
            let at = epoch(&message.timestamp, "message")?;
            let from = PhoneE164::parse(&format!("+{}", message.from.trim_start_matches('+')))
                .map_err(|e| format!("message {}: from: {e}", message.id))?;
            let message_id = message.id.clone();
            parsed.inbound.push(Inbound {
                message_id,
                phone_number_id: phone_number_id.clone(),
                from,
                at,
                said: said(message),
            });
        }
        for status in value.statuses {
            let at = epoch(&status.timestamp, "status")?;
            let (delivery_status, detail) = match status.status.as_str() {
                "delivered" => (Some(DeliveryStatus::Delivered), String::new()),
                "read" => (Some(DeliveryStatus::Read), String::new()),
                "failed" => {
                    let detail = status.errors.first().map(|e| format!("{}: {}", e.code, e.title)).unwrap_or_default();
                    (Some(DeliveryStatus::Failed), detail)
                }
                _ => (None, String::new()), // "sent": the dispatcher recorded it already
            };
            parsed.receipts.push(WhatsAppReceipt {
                provider_message_id: status.id,
                status: delivery_status,
                detail,
                at,
            });
        }
    }
    Ok(parsed)
}
