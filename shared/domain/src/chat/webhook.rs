//! The WhatsApp Cloud API's webhook notifications, read at the edge: the citizens' messages and
//! the status receipts of what was sent, as the chat line and the delivery records know them.

use jiff::Timestamp;
use serde::Deserialize;

use super::{Inbound, Said};
use crate::contact::PhoneE164;
use crate::feedback::WhatsAppReceipt;
use crate::ports::DeliveryStatus;

/// What Meta's notifications name themselves; anything else was not meant for this webhook.
const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

#[derive(Deserialize)]
struct Notification {
    object: String,
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
    // Read one by one: a message Meta sends malformed is refused alone, the rest answered.
    #[serde(default)]
    statuses: Vec<serde_json::Value>,
    #[serde(default)]
    messages: Vec<serde_json::Value>,
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

/// What a notification carries: status receipts, the citizens' messages (the chat line's), and
/// the items of it that could not be read, each with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub receipts: Vec<WhatsAppReceipt>,
    pub inbound: Vec<Inbound>,
    pub refused: Vec<RefusedItem>,
}

/// One message or status of a notification that could not be read. The reason names the item by
/// its place in the payload and the rule it broke, never a value (a phone, a message id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedItem {
    pub reason: String,
}

fn epoch(raw: &str, what: &str) -> Result<Timestamp, String> {
    let seconds: i64 = raw.parse().map_err(|_| format!("{what}.timestamp is not epoch seconds"))?;
    Timestamp::from_second(seconds).map_err(|_| format!("{what}.timestamp is out of range"))
}

fn item<T: serde::de::DeserializeOwned>(value: serde_json::Value, what: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let rule = crate::error::without_values(&e.inner().to_string());
        if path == "." { format!("{what}: {rule}") } else { format!("{what}.{path}: {rule}") }
    })
}

fn inbound(value: serde_json::Value, what: &str, phone_number_id: Option<&str>) -> Result<Inbound, String> {
    let phone_number_id =
        phone_number_id.ok_or_else(|| format!("{what}: no metadata.phone_number_id: which number was it sent to?"))?;
    let message: Message = item(value, what)?;
    let at = epoch(&message.timestamp, what)?;
    let from = PhoneE164::parse(&format!("+{}", message.from.trim_start_matches('+')))
        .map_err(|e| format!("{what}.from: {e}"))?;
    Ok(Inbound {
        message_id: message.id.clone(),
        phone_number_id: phone_number_id.to_owned(),
        from,
        at,
        said: said(message),
    })
}

fn receipt(value: serde_json::Value, what: &str) -> Result<WhatsAppReceipt, String> {
    let status: Status = item(value, what)?;
    let at = epoch(&status.timestamp, what)?;
    let (delivery_status, detail) = match status.status.as_str() {
        "delivered" => (Some(DeliveryStatus::Delivered), String::new()),
        "read" => (Some(DeliveryStatus::Read), String::new()),
        "failed" => {
            // Meta's title is a fixed text per code; capped all the same, it reaches a record.
            let detail = status
                .errors
                .first()
                .map(|e| format!("{}: {}", e.code, e.title.chars().take(120).collect::<String>()))
                .unwrap_or_default();
            (Some(DeliveryStatus::Failed), detail)
        }
        _ => (None, String::new()), // "sent": the dispatcher recorded it already
    };
    Ok(WhatsAppReceipt { provider_message_id: status.id, status: delivery_status, detail, at })
}

/// Reads a notification. `Err` only when the body is not a WhatsApp notification at all; a message
/// or status that cannot be read is refused alone (see [`Parsed::refused`]).
pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    let notification: Notification = serde_json::from_slice(body).map_err(|e| {
        format!("body is not a WhatsApp notification: {}", crate::error::without_values(&e.to_string()))
    })?;
    if notification.object != WHATSAPP_OBJECT {
        return Err(format!("body is not a WhatsApp notification: object is not {WHATSAPP_OBJECT:?}"));
    }
    let mut parsed = Parsed { receipts: Vec::new(), inbound: Vec::new(), refused: Vec::new() };
    for (e, entry) in notification.entry.into_iter().enumerate() {
        for (c, change) in entry.changes.into_iter().enumerate() {
            let value = change.value;
            let phone_number_id = value.metadata.as_ref().map(|m| m.phone_number_id.as_str());
            for (m, message) in value.messages.into_iter().enumerate() {
                match inbound(message, &format!("entry[{e}].changes[{c}].value.messages[{m}]"), phone_number_id) {
                    Ok(message) => parsed.inbound.push(message),
                    Err(reason) => parsed.refused.push(RefusedItem { reason }),
                }
            }
            for (i, status) in value.statuses.into_iter().enumerate() {
                match receipt(status, &format!("entry[{e}].changes[{c}].value.statuses[{i}]")) {
                    Ok(receipt) => parsed.receipts.push(receipt),
                    Err(reason) => parsed.refused.push(RefusedItem { reason }),
                }
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(messages: &serde_json::Value, statuses: &serde_json::Value) -> Vec<u8> {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "34977000000", "phone_number_id": "106540352242922"},
            "messages": messages, "statuses": statuses
        }}]}]})
        .to_string()
        .into_bytes()
    }

    fn text(id: &str, from: &serde_json::Value) -> serde_json::Value {
        json!({"from": from, "id": id, "timestamp": "1763630200", "type": "text", "text": {"body": "hola"}})
    }

    #[test]
    fn a_malformed_message_is_refused_alone_and_the_good_one_is_read() {
        let body = payload(
            &json!([text("wamid.BAD", &json!("34 600 111 222")), text("wamid.GOOD", &json!("34600222333"))]),
            &json!([]),
        );
        let parsed = parse(&body).unwrap();
        assert_eq!(parsed.inbound.len(), 1);
        assert_eq!(parsed.inbound[0].message_id, "wamid.GOOD");
        assert_eq!(parsed.refused.len(), 1);
        let reason = &parsed.refused[0].reason;
        assert!(
            reason.starts_with("entry[0].changes[0].value.messages[0].from: phone number must be in E.164"),
            "{reason}"
        );
        assert!(!reason.contains("600") && !reason.contains("wamid"), "no value in the reason: {reason}");
    }

    #[test]
    fn a_status_without_its_id_is_refused_and_the_others_read() {
        let statuses = json!([
            {"status": "read", "timestamp": "1763630300"},
            {"id": "wamid.X", "status": "read", "timestamp": "1763630300"}
        ]);
        let parsed = parse(&payload(&json!([]), &statuses)).unwrap();
        assert_eq!(parsed.receipts.len(), 1);
        assert_eq!(parsed.refused[0].reason, "entry[0].changes[0].value.statuses[0]: missing field `id`");
    }

    #[test]
    fn a_signed_body_that_is_not_a_whatsapp_notification_is_refused_whole() {
        for body in [json!({}), json!({"object": "page", "entry": []}), json!({"entry": []}), json!([1, 2])] {
            let error = parse(body.to_string().as_bytes()).unwrap_err();
            assert!(error.starts_with("body is not a WhatsApp notification"), "{body}: {error}");
        }
    }
}
