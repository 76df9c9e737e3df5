//! Error texts from providers can quote the address they refused; logs must not carry it.

/// Replaces anything that looks like an email address or a phone number with `<redacted>`.
pub fn redact(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|token| {
            let word = token.trim_end();
            let digits = word.chars().filter(char::is_ascii_digit).count();
            if word.contains('@') || digits >= 7 {
                format!("<redacted>{}", &token[word.len()..])
            } else {
                token.to_owned()
            }
        })
        .collect()
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
    fn ids_and_codes_are_kept() {
        let text = "notice n-3f2a status 500: ThrottlingException";
        assert_eq!(redact(text), text);
    }
}
