//! The WhatsApp Cloud API webhook's transport: the subscription handshake and the payload
//! signature. What a notification says is read by `avisa_domain::chat::webhook`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use avisa_domain::chat::webhook::{Parsed, parse};

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

/// The `X-Hub-Signature-256` value Meta sends for `raw_body` (what a local sender signs with).
pub fn signature(app_secret: &str, raw_body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
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
