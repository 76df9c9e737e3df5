//! Free text from upstream (names, addresses, reasons): non-empty and bounded, so one field can
//! never fill a notice, a log line or an item.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text must be 1 to {max} characters, not blank (got {got} characters)")]
pub struct InvalidText {
    max: usize,
    got: usize,
}

/// A trimmed, non-empty string of at most `MAX` characters.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn parse(raw: &str) -> Result<Self, InvalidText> {
        let trimmed = raw.trim();
        let got = trimmed.chars().count();
        if (1..=MAX).contains(&got) { Ok(Self(trimmed.to_owned())) } else { Err(InvalidText { max: MAX, got }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Debug for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({} chars)", self.0.chars().count())
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> TryFrom<String> for Text<MAX> {
    type Error = InvalidText;
    fn try_from(raw: String) -> Result<Self, InvalidText> {
        Self::parse(&raw)
    }
}

impl<const MAX: usize> From<Text<MAX>> for String {
    fn from(text: Text<MAX>) -> String {
        text.0
    }
}

impl<const MAX: usize> schemars::JsonSchema for Text<MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Text{MAX}").into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "minLength": 1, "maxLength": MAX, "pattern": "\\S" })
    }
}

/// Replaces anything that looks like an email address or a phone number with `<redacted>`:
/// providers' error texts can quote the address they refused, and such texts reach logs and
/// stored reasons.
pub fn without_contacts(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_non_empty_and_bounded() {
        assert_eq!(Text::<5>::parse("  Reus ").unwrap().as_str(), "Reus");
        assert!(Text::<5>::parse("   ").is_err());
        assert_eq!(
            Text::<3>::parse("Lleida").unwrap_err().to_string(),
            "text must be 1 to 3 characters, not blank (got 6 characters)"
        );
        assert_eq!(Text::<4>::parse("àèìò").unwrap().as_str(), "àèìò");
    }
}
