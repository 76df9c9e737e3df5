//! The WhatsApp Cloud API webhook, read at the edge: the subscription handshake, the payload
//! signature, and the status receipts in a notification.

use avisa_domain::feedback::WhatsAppReceipt;
use avisa_domain::ports::DeliveryStatus;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::Deserialize;
use sha2::Sha256;

/// Meta's `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: the challenge to echo
/// when the token is ours.
pub fn subscription_challenge(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    verify_token: &str,
) -> Option<String> {
    let ours = !verify_token.is_empty() && token == Some(verify_token);
    (mode == Some("subscribe") && ours).then(|| challenge.unwrap_or_default().to_owned())
}

/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`, compared
/// in constant time.
pub fn signature_is_valid(app_secret: &str, raw_body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_signature) = header.and_then(|h| h.strip_prefix("sha256=")) else { return false };
    let Ok(signature) = hex::decode(hex_signature) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else { return false };
    mac.update(raw_body);
    !app_secret.is_empty() && mac.verify_slice(&signature).is_ok()
}

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
    statuses: Vec<Status>,
    #[serde(default)]
    messages: Vec<serde_json::Value>,
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

/// What a notification carries: status receipts, and how many inbound messages (the chat line's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub receipts: Vec<WhatsAppReceipt>,
    pub inbound_messages: usize,
}

pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| format!("body is not a WhatsApp notification: {e}"))?;
    let mut parsed = Parsed { receipts: Vec::new(), inbound_messages: 0 };
    for value in notification.entry.into_iter().flat_map(|e| e.changes).map(|c| c.value) {
        parsed.inbound_messages += value.messages.len();
        for status in value.statuses {
            let seconds: i64 = status
                .timestamp
                .parse()
                .map_err(|_| format!("status timestamp {:?} is not epoch seconds", status.timestamp))?;
            let at = Timestamp::from_second(seconds).map_err(|e| e.to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_our_token() {
        assert_eq!(subscription_challenge(Some("subscribe"), Some("t"), Some("42"), "t"), Some("42".into()));
        assert_eq!(subscription_challenge(Some("subscribe"), Some("x"), Some("42"), "t"), None);
        assert_eq!(subscription_challenge(Some("unsubscribe"), Some("t"), Some("42"), "t"), None);
        assert_eq!(
            subscription_challenge(Some("subscribe"), Some(""), Some("42"), ""),
            None,
            "an unset token matches nothing"
        );
    }

    #[test]
    fn only_the_hmac_of_the_exact_body_with_our_secret_passes() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"{}");
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_is_valid("secret", b"{}", Some(&good)));
        assert!(!signature_is_valid("secret", b"{ }", Some(&good)));
        assert!(!signature_is_valid("other", b"{}", Some(&good)));
        assert!(!signature_is_valid("secret", b"{}", None));
        assert!(!signature_is_valid("secret", b"{}", Some("sha256=zz")));
        assert!(!signature_is_valid("", b"{}", Some(&good)));
    }
}
