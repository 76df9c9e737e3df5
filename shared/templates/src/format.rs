//! Amounts and dates in the citizen's language, from CLDR data (ICU4X, compiled in: Lambda's
//! al2023 image has no locale data). Filter output is built from typed values only (never from
//! citizen-provided text), so it is marked safe and not HTML-escaped.

use std::sync::Arc;

use avisa_domain::contact::Locale;
use avisa_domain::money::Money;
use fixed_decimal::Decimal;
use icu_datetime::fieldsets::{YMD, YMDE};
use icu_datetime::input::Date;
use icu_datetime::{DateTimeFormatter, DateTimeFormatterLoadError};
use icu_decimal::options::DecimalFormatterOptions;
use icu_decimal::{DecimalFormatter, DecimalFormatterPreferences};
use icu_locale_core::{Locale as IcuLocale, locale};
use minijinja::value::Serde;
use minijinja::{Error, ErrorKind, Value};

/// The formatters of one language, built once.
struct LocaleFormatters {
    decimal: DecimalFormatter,
    long_date: DateTimeFormatter<YMDE>,
    short_date: DateTimeFormatter<YMD>,
}

/// Every language's formatters.
#[derive(Clone)]
pub struct Formatters(Arc<Vec<(Locale, LocaleFormatters)>>);

impl std::fmt::Debug for Formatters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Formatters")
    }
}

#[derive(Debug, thiserror::Error)]
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

impl Formatters {
    pub fn load() -> Result<Self, FormatterError> {
        let mut all = Vec::with_capacity(Locale::ALL.len());
        for locale in Locale::ALL {
            let icu = icu_locale(locale);
            let decimal =
                DecimalFormatter::try_new(DecimalFormatterPreferences::from(&icu), DecimalFormatterOptions::default())
                    .map_err(|_| FormatterError::Decimal(locale))?;
            let long_date =
                DateTimeFormatter::try_new((&icu).into(), YMDE::long()).map_err(|e| FormatterError::Date(locale, e))?;
            let short_date = DateTimeFormatter::try_new((&icu).into(), YMD::medium())
                .map_err(|e| FormatterError::Date(locale, e))?;
            all.push((locale, LocaleFormatters { decimal, long_date, short_date }));
        }
        Ok(Self(Arc::new(all)))
    }

    fn of(&self, code: &str) -> Result<&LocaleFormatters, Error> {
        let locale = Locale::parse(code).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        self.0
            .iter()
            .find(|(l, _)| *l == locale)
            .map(|(_, f)| f)
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("no formatters for {locale}")))
    }

    /// `{{ money|money(locale) }}`: `1.234,56 €` (ca), `1234,56 €` (es, it: CLDR groups from five
    /// digits), `€1,234.56` (en).
    pub fn money(&self, value: &Money, locale_code: &str) -> Result<Value, Error> {
        let formatters = self.of(locale_code)?;
        let mut decimal = Decimal::from(value.amount.minor());
        decimal.multiply_pow10(-2);
        let number = formatters.decimal.format(&decimal).to_string();
        // CLDR's currency patterns for these languages: symbol after (with a space) but in English.
        let formatted = match (locale_code, value.currency.code()) {
            ("en", "EUR") => format!("€{number}"),
            (_, "EUR") => format!("{number} €"),
            (_, other) => format!("{number} {other}"),
        };
        Ok(Value::from_safe_string(formatted))
    }

    /// `{{ date|date(locale) }}`: `dimarts, 1 de desembre del 2026`.
    pub fn long_date(&self, value: jiff::civil::Date, locale_code: &str) -> Result<Value, Error> {
        let date = iso_date(value)?;
        Ok(Value::from_safe_string(self.of(locale_code)?.long_date.format(&date).to_string()))
    }

    /// `{{ date|short_date(locale) }}`: `1 de set. 2026`.
    pub fn short_date(&self, value: jiff::civil::Date, locale_code: &str) -> Result<Value, Error> {
        let date = iso_date(value)?;
        Ok(Value::from_safe_string(self.of(locale_code)?.short_date.format(&date).to_string()))
    }

    /// Registers the filters on `env`.
    pub fn register(&self, env: &mut minijinja::Environment<'_>) {
        let money = self.clone();
        env.add_filter("money", move |value: Serde<Money>, locale: &str| money.money(&value, locale));
        let long = self.clone();
        env.add_filter("date", move |value: Serde<jiff::civil::Date>, locale: &str| long.long_date(*value, locale));
        let short = self.clone();
        env.add_filter("short_date", move |value: Serde<jiff::civil::Date>, locale: &str| {
            short.short_date(*value, locale)
        });
    }
}

fn iso_date(value: jiff::civil::Date) -> Result<Date<icu_calendar::Iso>, Error> {
    Date::try_new_iso(i32::from(value.year()), value.month().unsigned_abs(), value.day().unsigned_abs())
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("date {value} cannot be formatted: {e:?}")))
}
