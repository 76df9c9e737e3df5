//! Announcements: staff's own message to many citizens at once — Hera's first SMS telling 20,000
//! customers of its new outage alerts, works in a neighbourhood, a new office. The audience comes
//! from a file of contracts; the send goes through the compose queue in chunks, like an outage
//! alert's, and has a status.

mod desk;
mod file;
mod ports;
mod recipients;
mod sending;
#[cfg(test)]
mod tests;

pub use desk::{Announced, AnnouncementDesk, AnnouncementPreview, SubmittedBefore};
pub use file::contracts_in;
pub use ports::AnnouncementStore;
pub use recipients::{AnnouncementRecipients, template_values};
pub use sending::AnnouncementSends;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::{AnnouncementId, ContractId, TenantId};

/// The most contracts one announcement goes to: a file larger than this is split into several.
pub const MAX_CONTRACTS: usize = 100_000;
const MAX_SUBJECT: usize = 120;
const MAX_BODY: usize = 2_000;

/// What an announcement says in one language: the email's subject, and the text of both the email
/// and the SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementText {
    pub subject: String,
    pub body: String,
}

/// What staff submit: the texts and who they go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementRequest {
    pub announcement_id: AnnouncementId,
    /// By language; the tenant's default language is required, and a citizen whose language has
    /// no text gets that one.
    pub texts: BTreeMap<Locale, AnnouncementText>,
    pub contracts: Vec<ContractId>,
}

impl AnnouncementRequest {
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        crate::outage::parse_body(body, "not an announcement ({announcement_id, texts, contracts})")
    }

    /// Its texts, each within bounds; what the tenant's language needs is checked by the desk.
    fn check_texts(&self) -> Result<(), Error> {
        if self.texts.is_empty() {
            return Err(invalid("texts: give the announcement's text in at least the tenant's language"));
        }
        for (locale, text) in &self.texts {
            let (subject, body) = (text.subject.trim(), text.body.trim());
            if subject.is_empty() || subject.chars().count() > MAX_SUBJECT || subject.contains(['\r', '\n']) {
                return Err(invalid(format!(
                    "texts.{}.subject: 1 to {MAX_SUBJECT} characters on one line",
                    locale.code()
                )));
            }
            if body.is_empty() || body.chars().count() > MAX_BODY {
                return Err(invalid(format!("texts.{}.body: 1 to {MAX_BODY} characters", locale.code())));
            }
        }
        Ok(())
    }

    /// The contracts once each, in the file's order, and how many repeats were dropped.
    fn audience(&self) -> Result<(Vec<ContractId>, usize), Error> {
        if self.contracts.is_empty() {
            return Err(invalid("contracts: the file names no contract"));
        }
        let mut seen = std::collections::HashSet::with_capacity(self.contracts.len());
        let unique: Vec<ContractId> = self.contracts.iter().filter(|c| seen.insert(*c)).cloned().collect();
        if unique.len() > MAX_CONTRACTS {
            return Err(invalid(format!(
                "contracts: {} contracts, more than the {MAX_CONTRACTS} one announcement takes: split the file",
                unique.len()
            )));
        }
        let repeats = self.contracts.len() - unique.len();
        Ok((unique, repeats))
    }
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::rejected(RejectionCode::InvalidField, detail)
}

/// An announcement as recorded when it was first submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub tenant_id: TenantId,
    pub announcement_id: AnnouncementId,
    pub texts: BTreeMap<Locale, AnnouncementText>,
    /// Contracts it goes to (each once).
    pub contracts: u64,
    pub parts: u32,
    /// What was submitted (texts and contracts): the same id submitted again with anything else
    /// is refused, never sent as if it were the same announcement.
    pub digest: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

impl Announcement {
    /// The text for a citizen of `locale`, and its language: the tenant's `default` where the
    /// announcement has none in theirs.
    pub fn text_for(&self, locale: Locale, default: Locale) -> Option<(Locale, &AnnouncementText)> {
        [locale, default].into_iter().find_map(|l| self.texts.get(&l).map(|text| (l, text)))
    }
}

/// What makes two submissions the same announcement.
fn digest(texts: &BTreeMap<Locale, AnnouncementText>, contracts: &[ContractId]) -> String {
    let mut sorted: Vec<&str> = contracts.iter().map(ContractId::as_str).collect();
    sorted.sort_unstable();
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(texts).unwrap_or_default());
    for contract in sorted {
        hash.update([0]);
        hash.update(contract);
    }
    hex::encode(&hash.finalize()[..16])
}
