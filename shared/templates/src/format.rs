//! Amounts and dates in the citizen's language, from CLDR data (ICU4X, compiled in: Lambda's
//! al2023 image has no locale data). Filter output is built from typed values only (never from
//! citizen-provided text), so it is marked safe and not HTML-escaped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use avisa_domain::contact::Locale;
use avisa_domain::money::{Amount, Currency, Money};
use fixed_decimal::Decimal;
use icu_calendar::Gregorian;
use icu_datetime::fieldsets::{YMD, YMDE};
use icu_datetime::input::Date;
use icu_datetime::{DateTimeFormatterLoadError, FixedCalendarDateTimeFormatter};
use icu_decimal::options::DecimalFormatterOptions;
use icu_decimal::{DecimalFormatter, DecimalFormatterPreferences};
use icu_locale_core::{Locale as IcuLocale, locale};
use minijinja::{Error, ErrorKind, Value};
use writeable::Writeable;

/// The formatters of one language. Gregorian only (every language avisa writes uses it): a
/// formatter for any calendar links every calendar's names.
struct LocaleFormatters {
    decimal: DecimalFormatter,
    long_date: FixedCalendarDateTimeFormatter<Gregorian, YMDE>,
    short_date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
}

/// Every language's formatters, each built the first time a message in that language needs it
/// (building all four at start was a good part of a cold start), and the dates they wrote last.
#[derive(Clone, Default)]
pub struct Formatters {
    built: Arc<[OnceLock<Result<LocaleFormatters, FormatterError>>; Locale::ALL.len()]>,
    dates: Arc<Mutex<WrittenDates>>,
}

/// Dates as written, by date, language and style.
type WrittenDates = HashMap<(jiff::civil::Date, Locale, DateStyle), Value>;

/// How a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DateStyle {
    Long,
    Short,
}

/// Dates kept written: a billing run's notices share their periods and due dates, and a notice's
/// text and HTML write the same ones (ICU's date formatting was a twentieth of composing). Past
/// this many, the cache starts again.
const DATES_KEPT: usize = 512;

impl std::fmt::Debug for Formatters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Formatters")
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum FormatterError {
    #[error("no number format for {0}")]
    Decimal(Locale),
    #[error("no date format for {0}")]
    Date(Locale, #[source] DateTimeFormatterLoadError),
}

fn icu_locale(locale: Locale) -> IcuLocale {
    match locale {
        Locale::Ca => locale!("ca"),
        Locale::Es => locale!("es"),
        Locale::It => locale!("it"),
        Locale::En => locale!("en"),
    }
}

impl LocaleFormatters {
    fn build(locale: Locale) -> Result<Self, FormatterError> {
        let icu = icu_locale(locale);
        let decimal =
            DecimalFormatter::try_new(DecimalFormatterPreferences::from(&icu), DecimalFormatterOptions::default())
                .map_err(|_| FormatterError::Decimal(locale))?;
        let long_date = FixedCalendarDateTimeFormatter::try_new((&icu).into(), YMDE::long())
            .map_err(|e| FormatterError::Date(locale, e))?;
        let short_date = FixedCalendarDateTimeFormatter::try_new((&icu).into(), YMD::medium())
            .map_err(|e| FormatterError::Date(locale, e))?;
        Ok(Self { decimal, long_date, short_date })
    }
}

impl Formatters {
    /// The formatters, none built yet.
    pub fn load() -> Result<Self, FormatterError> {
        Ok(Self::default())
    }

    /// Builds every language's formatters now (a test's check that the compiled data has them).
    pub fn build_all(&self) -> Result<(), FormatterError> {
        for locale in Locale::ALL {
            self.built(locale)?;
        }
        Ok(())
    }

    fn built(&self, locale: Locale) -> Result<&LocaleFormatters, FormatterError> {
        let index = Locale::ALL.iter().position(|l| *l == locale).unwrap_or_default();
        self.built[index].get_or_init(|| LocaleFormatters::build(locale)).as_ref().map_err(Clone::clone)
    }

    fn of(&self, locale: Locale) -> Result<&LocaleFormatters, Error> {
        self.built(locale).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    }

    /// `{{ money|money(locale) }}`: `1.234,56 €` (ca), `1234,56 €` (es, it: CLDR groups from five
    /// digits), `€1,234.56` (en).
    pub fn money(&self, value: &Money, locale_code: &str) -> Result<Value, Error> {
        let formatters = self.of(locale_of(locale_code)?)?;
        let mut decimal = Decimal::from(value.amount.minor());
        decimal.multiply_pow10(-2);
        let number = formatters.decimal.format(&decimal);
        // CLDR's currency patterns for these languages: symbol after (with a space) but in English.
        let mut formatted = String::with_capacity(16);
        match (locale_code, value.currency.code()) {
            ("en", "EUR") => {
                formatted.push('€');
                number.write_to(&mut formatted).map_err(unwritable)?;
            }
            (_, code) => {
                number.write_to(&mut formatted).map_err(unwritable)?;
                formatted.push(' ');
                formatted.push_str(if code == "EUR" { "€" } else { code });
            }
        }
        Ok(Value::from_safe_string(formatted))
    }

    /// `{{ date|date(locale) }}`: `dimarts, 1 de desembre del 2026`.
    pub fn long_date(&self, value: jiff::civil::Date, locale_code: &str) -> Result<Value, Error> {
        self.date(value, locale_code, DateStyle::Long)
    }

    /// `{{ date|short_date(locale) }}`: `1 de set. 2026`.
    pub fn short_date(&self, value: jiff::civil::Date, locale_code: &str) -> Result<Value, Error> {
        self.date(value, locale_code, DateStyle::Short)
    }

    fn kept_dates(&self) -> std::sync::MutexGuard<'_, WrittenDates> {
        // Poisoned only by a panic while inserting, which leaves the map whole.
        self.dates.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn date(&self, value: jiff::civil::Date, locale_code: &str, style: DateStyle) -> Result<Value, Error> {
        let key = (value, locale_of(locale_code)?, style);
        if let Some(written) = self.kept_dates().get(&key) {
            return Ok(written.clone());
        }
        let date = gregorian_date(value)?;
        let formatters = self.of(key.1)?;
        let written = Value::from_safe_string(match style {
            DateStyle::Long => formatters.long_date.format(&date).to_string(),
            DateStyle::Short => formatters.short_date.format(&date).to_string(),
        });
        let mut dates = self.kept_dates();
        if dates.len() >= DATES_KEPT {
            dates.clear();
        }
        dates.insert(key, written.clone());
        Ok(written)
    }

    /// Registers the filters on `env`. Their arguments are read from the values as they are
    /// (an amount's string and currency, a date's ISO string), not deserialized through serde:
    /// a notice formats a dozen of them.
    pub fn register(&self, env: &mut minijinja::Environment<'_>) {
        let money = self.clone();
        env.add_filter("money", move |value: &Value, locale: &str| money.money(&money_of(value)?, locale));
        let long = self.clone();
        env.add_filter("date", move |value: &Value, locale: &str| long.long_date(date_of(value)?, locale));
        let short = self.clone();
        env.add_filter("short_date", move |value: &Value, locale: &str| short.short_date(date_of(value)?, locale));
    }
}

/// Writing into a `String` never fails; the error is kept rather than unwrapped.
fn unwritable(e: std::fmt::Error) -> Error {
    Error::new(ErrorKind::WriteFailure, e.to_string())
}

fn locale_of(code: &str) -> Result<Locale, Error> {
    Locale::parse(code).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// A `Money` value of the context: `{"amount": "12.30", "currency": "EUR"}`.
fn money_of(value: &Value) -> Result<Money, Error> {
    let invalid = |e: avisa_domain::money::InvalidMoney| Error::new(ErrorKind::InvalidOperation, e.to_string());
    let (amount, currency) = (value.get_attr("amount")?, value.get_attr("currency")?);
    match (amount.as_str(), currency.as_str()) {
        (Some(amount), Some(currency)) => Ok(Money {
            amount: Amount::parse(amount).map_err(invalid)?,
            currency: Currency::parse(currency).map_err(invalid)?,
        }),
        _ => Err(Error::new(ErrorKind::InvalidOperation, format!("money needs an amount and a currency, not {value}"))),
    }
}

/// A date of the context: `2026-12-01`.
fn date_of(value: &Value) -> Result<jiff::civil::Date, Error> {
    let invalid = || Error::new(ErrorKind::InvalidOperation, format!("not a date: {value}"));
    value.as_str().ok_or_else(invalid)?.parse().map_err(|_| invalid())
}

fn gregorian_date(value: jiff::civil::Date) -> Result<Date<Gregorian>, Error> {
    Date::try_new_gregorian(i32::from(value.year()), value.month().unsigned_abs(), value.day().unsigned_abs())
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("date {value} cannot be formatted: {e:?}")))
}
