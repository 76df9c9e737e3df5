//! How a citizen is reached: phone numbers, email addresses, languages.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidContact {
    #[error("phone number must be in E.164 form: '+', country code and number, 8 to 15 digits")]
    Phone,
    #[error("email address must look like name@domain.tld, at most 254 characters, without spaces")]
    Email,
    #[error("language must be one of ca, es, it, en (got {0:?})")]
    Locale(String),
}

/// A mobile number in E.164 form (`+34600111222`).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    pub fn parse(raw: &str) -> Result<Self, InvalidContact> {
        let digits = raw.strip_prefix('+').ok_or(InvalidContact::Phone)?;
        let well_formed =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if well_formed { Ok(Self(raw.to_owned())) } else { Err(InvalidContact::Phone) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Redacted: phone numbers never reach logs, not even through `{:?}`.
impl fmt::Debug for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneE164(<redacted>)")
    }
}

string_schema!(PhoneE164, "PhoneE164", { "pattern": "^\\+[1-9][0-9]{7,14}$", "description": "E.164: '+', country code and number" });

impl TryFrom<String> for PhoneE164 {
    type Error = InvalidContact;
    fn try_from(raw: String) -> Result<Self, InvalidContact> {
        Self::parse(&raw)
    }
}

impl From<PhoneE164> for String {
    fn from(phone: PhoneE164) -> String {
        phone.0
    }
}

/// An email address, checked for shape only: deliverability is the provider's verdict.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidContact> {
        let (local, domain) = raw.rsplit_once('@').ok_or(InvalidContact::Email)?;
        let well_formed = raw.len() <= 254
            && !local.is_empty()
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if well_formed { Ok(Self(raw.to_owned())) } else { Err(InvalidContact::Email) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Redacted: addresses never reach logs, not even through `{:?}`.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

string_schema!(Email, "Email", { "format": "email", "maxLength": 254 });

impl TryFrom<String> for Email {
    type Error = InvalidContact;
    fn try_from(raw: String) -> Result<Self, InvalidContact> {
        Self::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// The languages notices are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Locale {
    Ca,
    Es,
    It,
    En,
}

impl Locale {
    pub const ALL: [Locale; 4] = [Locale::Ca, Locale::Es, Locale::It, Locale::En];

    pub fn parse(raw: &str) -> Result<Self, InvalidContact> {
        match raw {
            "ca" => Ok(Self::Ca),
            "es" => Ok(Self::Es),
            "it" => Ok(Self::It),
            "en" => Ok(Self::En),
            other => Err(InvalidContact::Locale(other.chars().take(10).collect())),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Ca => "ca",
            Self::Es => "es",
            Self::It => "it",
            Self::En => "en",
        }
    }
}

string_schema!(Locale, "Locale", { "enum": ["ca", "es", "it", "en"] });

impl TryFrom<String> for Locale {
    type Error = InvalidContact;
    fn try_from(raw: String) -> Result<Self, InvalidContact> {
        Self::parse(&raw)
    }
}

impl From<Locale> for &'static str {
    fn from(locale: Locale) -> &'static str {
        locale.code()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        assert!(PhoneE164::parse("+34600111222").is_ok());
        for bad in ["34600111222", "+34 600 111 222", "+0123456789", "+1234567", "+1234567890123456"] {
            assert_eq!(PhoneE164::parse(bad), Err(InvalidContact::Phone), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("maria.puig@example.cat").is_ok());
        for bad in ["maria", "@example.cat", "maria@example", "maria @example.cat", "maria@.cat"] {
            assert_eq!(Email::parse(bad), Err(InvalidContact::Email), "{bad}");
        }
    }

    #[test]
    fn contact_details_are_redacted_in_debug_output() {
        let phone = PhoneE164::parse("+34600111222").unwrap();
        let email = Email::parse("maria@example.cat").unwrap();
        let shown = format!("{phone:?} {email:?}");
        assert!(!shown.contains("600") && !shown.contains("maria"), "{shown}");
    }

    #[test]
    fn locales_round_trip_through_their_codes() {
        for locale in Locale::ALL {
            assert_eq!(Locale::parse(locale.code()), Ok(locale));
        }
        assert_eq!(Locale::parse("fr"), Err(InvalidContact::Locale("fr".into())));
    }
}
