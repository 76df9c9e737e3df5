//! Amounts of money, kept exactly in minor units (cents): invoices never pass through floats.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMoney {
    #[error("amount must be a decimal string with at most two decimals, like \"1234.56\" (got {0:?})")]
    Amount(String),
    #[error("currency must be an ISO 4217 code of three capital letters, like \"EUR\" (got {0:?})")]
    Currency(String),
}

/// A decimal amount as upstream writes it (`"48.20"`, `"-3.5"`), held in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Amount {
    minor: i64,
}

impl Amount {
    pub fn from_minor(minor: i64) -> Self {
        Self { minor }
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidMoney> {
        let invalid = || InvalidMoney::Amount(raw.chars().take(24).collect());
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((_, "")) => return Err(invalid()),
            Some(parts) => parts,
            None => (unsigned, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 15 || fraction.len() > 2 || !digits_only(whole) || !digits_only(fraction) {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        let minor = whole * 100 + cents;
        Ok(Self { minor: if negative { -minor } else { minor } })
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

string_schema!(Amount, "Amount", {
    "pattern": "^-?[0-9]{1,15}(\\.[0-9]{1,2})?$",
    "description": "a decimal amount with at most two decimals, as a string: \"1234.56\""
});

impl TryFrom<String> for Amount {
    type Error = InvalidMoney;
    fn try_from(raw: String) -> Result<Self, InvalidMoney> {
        Self::parse(&raw)
    }
}

impl From<Amount> for String {
    fn from(amount: Amount) -> String {
        amount.to_string()
    }
}

/// An ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, InvalidMoney> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidMoney::Currency(raw.chars().take(10).collect()))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

string_schema!(Currency, "Currency", { "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code" });

impl TryFrom<String> for Currency {
    type Error = InvalidMoney;
    fn try_from(raw: String) -> Result<Self, InvalidMoney> {
        Self::parse(&raw)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.0
    }
}

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Money {
    pub amount: Amount,
    pub currency: Currency,
}

impl Money {
    /// `units` of this price (SMS parts at a price a part); saturating, never wrapping.
    #[must_use]
    pub fn times(&self, units: usize) -> Self {
        let units = i64::try_from(units).unwrap_or(i64::MAX);
        Self { amount: Amount::from_minor(self.amount.minor().saturating_mul(units)), currency: self.currency.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_strings_exactly() {
        assert_eq!(Amount::parse("48.20").unwrap().minor(), 4820);
        assert_eq!(Amount::parse("48.2").unwrap().minor(), 4820);
        assert_eq!(Amount::parse("1234").unwrap().minor(), 123_400);
        assert_eq!(Amount::parse("-3.05").unwrap().minor(), -305);
    }

    #[test]
    fn refuses_what_is_not_a_two_decimal_amount() {
        for bad in ["", "1.234", "1,50", "abc", "1.", "+5", "1e3", "-"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_back_in_the_canonical_form() {
        for raw in ["48.20", "0.05", "-3.05", "1234.00"] {
            assert_eq!(Amount::parse(raw).unwrap().to_string(), raw);
        }
    }

    #[test]
    fn currencies_are_three_capital_letters() {
        assert!(Currency::parse("EUR").is_ok());
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("EURO").is_err());
    }
}
