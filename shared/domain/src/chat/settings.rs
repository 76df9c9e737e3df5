//! What a tenant configures for its chat line: the menu, incident categories, information items,
//! appointment services, office hours and links. Checked against WhatsApp's limits when read, so
//! a menu that WhatsApp would refuse never reaches a citizen.

use std::collections::BTreeMap;

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::contact::Locale;

/// WhatsApp's interactive list limits.
pub const MAX_ROWS: usize = 10;
pub const MAX_ROW_TITLE: usize = 24;
pub const MAX_ROW_DESCRIPTION: usize = 72;
pub const MAX_BUTTON: usize = 20;

/// A text in each of the tenant's languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<Locale, String>);

impl Localized {
    /// In `locale`, else in the first language given.
    pub fn get(&self, locale: Locale) -> &str {
        self.0.get(&locale).or_else(|| self.0.values().next()).map_or("", String::as_str)
    }
}

/// What choosing a menu entry does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ServiceAction {
    /// Report an incident in the street.
    Incident,
    /// The tenant's information items (news, agenda, on-duty pharmacies, directory…).
    Information,
    /// Ask for an appointment.
    Appointment,
    /// Language, opting out, legal terms and the data-processing notice.
    Preferences,
    /// Unpaid invoices and the next instalment, for a citizen whose phone is a customer's.
    Billing,
    /// Talk to a person.
    Agent,
    /// A fixed answer (an office's hours and address, a link).
    Answer { body: Localized },
}

/// A row of a list: its id (what WhatsApp sends back), title and optional description. (Rows are
/// flattened into services and items, which serde cannot combine with `deny_unknown_fields`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub title: Localized,
    #[serde(default)]
    pub description: Option<Localized>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    #[serde(flatten)]
    pub row: Row,
    #[serde(flatten)]
    pub action: ServiceAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationItem {
    #[serde(flatten)]
    pub row: Row,
    /// The answer; with a feed, the answer until the feed's first copy (and when it is empty).
    pub body: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<super::feed::Feed>,
}

/// When staff answer, in the tenant's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHours {
    /// ISO weekdays, 1 = Monday.
    pub days: Vec<i8>,
    pub opens: Time,
    pub closes: Time,
}

impl OfficeHours {
    pub fn is_open(&self, local: jiff::civil::DateTime) -> bool {
        self.days.contains(&local.weekday().to_monday_one_offset())
            && local.time() >= self.opens
            && local.time() < self.closes
    }

    /// The next opening after `local` (at most a week ahead).
    pub fn next_opening(&self, local: jiff::civil::DateTime) -> Option<jiff::civil::DateTime> {
        (0..8).find_map(|days| {
            let date = local.date().checked_add(jiff::Span::new().days(days)).ok()?;
            let opening = date.to_datetime(self.opens);
            (self.days.contains(&date.weekday().to_monday_one_offset()) && opening > local).then_some(opening)
        })
    }
}

/// The chat line of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// The languages the line speaks; the first is used until the citizen chooses.
    pub languages: Vec<Locale>,
    pub services: Vec<Service>,
    pub incident_categories: Vec<Row>,
    pub information: Vec<InformationItem>,
    pub appointment_services: Vec<Row>,
    pub office_hours: OfficeHours,
    /// How long the name question waits before one re-contact, and again before closing.
    #[serde(default = "default_no_reply_minutes")]
    pub no_reply_minutes: u32,
    /// How long a citizen may stay silent after an agent's reply before one nudge, and again
    /// before the conversation is resolved.
    #[serde(default = "default_agent_silence_minutes")]
    pub agent_silence_minutes: u32,
    pub survey_url: String,
    pub privacy_url: String,
    pub terms_url: String,
}

/// How a tenant's chat line presents itself (the tenant's settings' `voice`, so a tenant that
/// keeps the default line still speaks as itself). Without a greeting of its own, a council's line greets as
/// the council's assistant and a utility's as the water service's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    #[serde(default)]
    pub institution: Institution,
    /// The tenant's name as citizens know it ("Aigües de Reus"): it signs the closing message when
    /// there is no `sign_off`.
    #[serde(default)]
    pub name: Option<String>,
    /// The tenant's own greeting, per language (the menu follows it).
    #[serde(default)]
    pub greeting: Option<Localized>,
    /// A line after the closing message, per language.
    #[serde(default)]
    pub sign_off: Option<Localized>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Institution {
    #[default]
    Council,
    /// A water utility.
    Utility,
}

impl Voice {
    /// What the line's phrases get in `locale`: the institution, and the greeting and sign-off
    /// (`null` when the tenant set none; the sign-off defaults to the tenant's name).
    pub fn in_language(&self, locale: Locale) -> serde_json::Value {
        let sign_off = match (&self.sign_off, &self.name) {
            (Some(sign_off), _) => Some(sign_off.get(locale).to_owned()),
            (None, Some(name)) => Some(format!("— {name}")),
            (None, None) => None,
        };
        serde_json::json!({
            "institution": self.institution,
            "greeting": self.greeting.as_ref().map(|g| g.get(locale)),
            "sign_off": sign_off,
        })
    }
}

/// Longer than that, a greeting or sign-off is no short phrase (WhatsApp's list body takes 1,024).
pub const MAX_VOICE_PHRASE: usize = 300;

/// A day: longer than that, a citizen waiting for a person has moved on.
pub const MAX_NO_REPLY_MINUTES: u32 = 24 * 60;

/// The first of the line's languages (settings are checked to have one; the tenant's default
/// otherwise).
impl ChatSettings {
    pub fn first_language(&self, fallback: Locale) -> Locale {
        self.languages.first().copied().unwrap_or(fallback)
    }
}

fn default_no_reply_minutes() -> u32 {
    20
}

/// Four hours: a citizen who asked in the morning has had the afternoon to answer.
fn default_agent_silence_minutes() -> u32 {
    4 * 60
}

/// A week: longer than that, a conversation with staff has long been over.
pub const MAX_AGENT_SILENCE_MINUTES: u32 = 7 * 24 * 60;

const DEFAULTS: &str = include_str!("default_settings.json");

impl Default for ChatSettings {
    /// A council's line as in Manresa's (seed 004), in Catalan, Spanish, Italian and English.
    fn default() -> Self {
        let settings: Self = serde_json::from_str(DEFAULTS).expect("the default chat settings parse");
        settings.check().expect("the default chat settings fit WhatsApp's limits");
        settings
    }
}

impl ChatSettings {
    /// Whether every list fits WhatsApp's limits, in every language; the first problem if not.
    pub fn check(&self) -> Result<(), String> {
        if self.languages.is_empty() {
            return Err("chat.languages is empty".to_owned());
        }
        if !(1..=MAX_NO_REPLY_MINUTES).contains(&self.no_reply_minutes) {
            return Err(format!(
                "chat.no_reply_minutes must be 1 to {MAX_NO_REPLY_MINUTES}, not {}",
                self.no_reply_minutes
            ));
        }
        if !(1..=MAX_AGENT_SILENCE_MINUTES).contains(&self.agent_silence_minutes) {
            return Err(format!(
                "chat.agent_silence_minutes must be 1 to {MAX_AGENT_SILENCE_MINUTES}, not {}",
                self.agent_silence_minutes
            ));
        }
        let lists: [(&str, Vec<&Row>); 4] = [
            ("services", self.services.iter().map(|s| &s.row).collect()),
            ("incident_categories", self.incident_categories.iter().collect()),
            ("information", self.information.iter().map(|i| &i.row).collect()),
            ("appointment_services", self.appointment_services.iter().collect()),
        ];
        for (name, rows) in lists {
            if rows.is_empty() || rows.len() > MAX_ROWS {
                return Err(format!(
                    "chat.{name} must have 1 to {MAX_ROWS} entries (a WhatsApp list), not {}",
                    rows.len()
                ));
            }
            for row in rows {
                for locale in &self.languages {
                    let title = row.title.get(*locale);
                    if title.is_empty() || title.chars().count() > MAX_ROW_TITLE {
                        return Err(format!(
                            "chat.{name} {}: the {locale} title {title:?} must be 1 to {MAX_ROW_TITLE} characters",
                            row.id
                        ));
                    }
                    let description = row.description.as_ref().map_or("", |d| d.get(*locale));
                    if description.chars().count() > MAX_ROW_DESCRIPTION {
                        return Err(format!(
                            "chat.{name} {}: the {locale} description exceeds {MAX_ROW_DESCRIPTION} characters",
                            row.id
                        ));
                    }
                }
            }
        }
        for item in &self.information {
            if let Some(feed) = &item.feed {
                feed.check().map_err(|reason| format!("chat.information {}: {reason}", item.row.id))?;
            }
        }
        Ok(())
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.row.id == id)
    }
}

impl Voice {
    /// Whether the name and phrases are short and not blank; the first problem if not.
    pub fn check(&self) -> Result<(), String> {
        let voice = self;
        if voice.name.as_ref().is_some_and(|name| name.trim().is_empty() || name.chars().count() > 100) {
            return Err("voice.name must be 1 to 100 characters".to_owned());
        }
        for (what, phrase) in [("greeting", &voice.greeting), ("sign_off", &voice.sign_off)] {
            let Some(phrase) = phrase else { continue };
            for (locale, text) in &phrase.0 {
                if text.trim().is_empty() || text.chars().count() > MAX_VOICE_PHRASE {
                    return Err(format!("voice.{what} in {locale} must be 1 to {MAX_VOICE_PHRASE} characters"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_line_fits_whatsapps_limits_in_every_language() {
        let settings = ChatSettings::default();
        assert_eq!(settings.languages, Locale::ALL.to_vec());
        assert!(settings.services.len() <= MAX_ROWS);
        settings.check().unwrap();
    }

    #[test]
    fn a_title_longer_than_whatsapp_allows_is_refused_with_where_it_is() {
        let mut settings = ChatSettings::default();
        settings.services[0].row.title.0.insert(Locale::Ca, "Serveis socials i atenció a la ciutadania".into());
        let error = settings.check().unwrap_err();
        assert!(error.contains("services") && error.contains("24"), "{error}");
    }

    #[test]
    fn a_voice_phrase_that_is_empty_or_too_long_is_refused_with_where_it_is() {
        let mut voice = Voice { sign_off: Some(Localized([(Locale::Es, String::new())].into())), ..Voice::default() };
        assert!(voice.check().unwrap_err().contains("voice.sign_off in es"));
        voice.sign_off = None;
        voice.greeting = Some(Localized([(Locale::Ca, "a".repeat(MAX_VOICE_PHRASE + 1))].into()));
        assert!(voice.check().unwrap_err().contains("voice.greeting in ca"));
        voice.greeting = None;
        voice.check().unwrap();
    }

    #[test]
    fn office_hours_say_when_staff_are_back() {
        let hours = OfficeHours {
            days: vec![1, 2, 3, 4, 5],
            opens: jiff::civil::time(8, 0, 0, 0),
            closes: jiff::civil::time(13, 0, 0, 0),
        };
        let friday_evening = jiff::civil::datetime(2026, 11, 27, 18, 0, 0, 0);
        assert!(!hours.is_open(friday_evening));
        assert_eq!(hours.next_opening(friday_evening), Some(jiff::civil::datetime(2026, 11, 30, 8, 0, 0, 0)));
        assert!(hours.is_open(jiff::civil::datetime(2026, 11, 30, 9, 30, 0, 0)));
    }
}
