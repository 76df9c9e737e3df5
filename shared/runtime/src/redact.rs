//! Error texts from providers can quote the address they refused; logs must not carry it.

/// Replaces anything that looks like an email address or a phone number with `<redacted>`.
pub fn redact(text: &str) -> String {
    avisa_domain::text::without_contacts(text)
}

/// A provider's message id as logs may show it. WhatsApp's ids (`wamid.…`) are base64 of the
/// citizen's phone number among other things: logs get a digest that still correlates (the same
/// id gives the same reference), never the id.
pub fn message_ref(provider_message_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(provider_message_id.as_bytes());
    format!("msg-{}", hex::encode(&digest[..6]))
}

/// The error and its sources, joined and redacted.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let chain: Vec<String> = std::iter::successors(Some(error), |e| e.source()).map(ToString::to_string).collect();
    redact(&chain.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phone_numbers_are_removed() {
        assert_eq!(
            redact("Invalid parameter: PhoneNumber +34600111222 and maria@example.cat refused"),
            "Invalid parameter: PhoneNumber <redacted> and <redacted> refused"
        );
    }

    #[test]
    fn a_message_id_is_logged_as_a_stable_digest() {
        let wamid = "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTk";
        assert_eq!(message_ref(wamid), message_ref(wamid));
        assert_ne!(message_ref(wamid), message_ref("wamid.other"));
        assert!(!message_ref(wamid).contains("HBgL"));
    }

    #[test]
    fn ids_and_codes_are_kept() {
        let text = "notice n-3f2a status 500: ThrottlingException";
        assert_eq!(redact(text), text);
    }
}
