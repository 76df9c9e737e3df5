//! Locale-aware formatting filters for the templates. Their output is built from typed values
//! only (never from citizen-provided text), so it is marked safe and not HTML-escaped.

use minijinja::value::Serde;
use minijinja::{Error, ErrorKind, Value};

use avisa_domain::contact::Locale;
use avisa_domain::money::Money;

fn locale(code: &str) -> Result<Locale, Error> {
    Locale::parse(code).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// `1234.5 EUR` → `1.234,50 €` (ca, es, it) or `€1,234.50` (en).
#[allow(clippy::needless_pass_by_value)] // MiniJinja hands filter arguments over by value
pub fn money(value: Serde<Money>, locale_code: &str) -> Result<Value, Error> {
    let locale = locale(locale_code)?;
    let minor = value.amount.minor();
    let abs = minor.unsigned_abs();
    let (group, decimal) = if locale == Locale::En { (',', '.') } else { ('.', ',') };
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let sign = if minor < 0 { "-" } else { "" };
    let number = format!("{sign}{grouped}{decimal}{:02}", abs % 100);
    let symbol = match value.currency.code() {
        "EUR" => "€",
        other => other,
    };
    let formatted = if locale == Locale::En { format!("{symbol}{number}") } else { format!("{number} {symbol}") };
    Ok(Value::from_safe_string(formatted))
}

/// `2026-12-01` → `01/12/2026` (day first in every supported language).
#[allow(clippy::needless_pass_by_value)] // MiniJinja hands filter arguments over by value
pub fn date(value: Serde<jiff::civil::Date>, locale_code: &str) -> Result<Value, Error> {
    locale(locale_code)?;
    Ok(Value::from_safe_string(value.strftime("%d/%m/%Y").to_string()))
}
