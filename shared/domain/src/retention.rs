//! How long what avisa keeps about people is kept: a tenant's retention settings, by kind of
//! record. Every stored item holding personal data expires this long after its last change
//! (DynamoDB's TTL removes it); the defaults are documented in README ("Security and privacy").

use serde::{Deserialize, Serialize};

/// The kinds of records that hold personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kept {
    /// Customer profiles and contracts, with their invoices, plans and alert subscriptions.
    Accounts,
    /// Notices and their delivery records.
    Notices,
    /// Letters waiting for the print batch.
    Letters,
    /// Chat conversations.
    Conversations,
    /// Incidents, appointments and billing complaints.
    Cases,
}

/// Days each kind is kept after its last change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Six years: invoicing records' legal term.
    pub accounts_days: u32,
    /// 400 days: a year of notices, to answer "did you tell me?", and a month's grace.
    pub notices_days: u32,
    /// 30 days: the print batch takes them the next night; the rest is the margin for a rerun.
    pub letters_days: u32,
    /// 90 days after the last message.
    pub conversations_days: u32,
    /// Two years: a complaint's steps and appeal run for months.
    pub cases_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self { accounts_days: 2190, notices_days: 400, letters_days: 30, conversations_days: 90, cases_days: 730 }
    }
}

/// Ten years: the longest anything may be kept.
pub const MAX_RETENTION_DAYS: u32 = 3650;

impl Retention {
    pub fn days(&self, kept: Kept) -> u32 {
        match kept {
            Kept::Accounts => self.accounts_days,
            Kept::Notices => self.notices_days,
            Kept::Letters => self.letters_days,
            Kept::Conversations => self.conversations_days,
            Kept::Cases => self.cases_days,
        }
    }

    /// When something of `kept` changed at `now` is to be gone.
    pub fn until(&self, kept: Kept, now: jiff::Timestamp) -> jiff::Timestamp {
        let hours = i64::from(self.days(kept)) * 24;
        now.saturating_add(jiff::SignedDuration::from_hours(hours)).unwrap_or(now)
    }

    pub fn check(&self) -> Result<(), String> {
        let all = [
            ("accounts_days", self.accounts_days),
            ("notices_days", self.notices_days),
            ("letters_days", self.letters_days),
            ("conversations_days", self.conversations_days),
            ("cases_days", self.cases_days),
        ];
        match all.iter().find(|(_, days)| !(1..=MAX_RETENTION_DAYS).contains(days)) {
            Some((name, days)) => Err(format!("retention.{name} must be 1 to {MAX_RETENTION_DAYS} days, not {days}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_sets_only_what_it_changes_and_nothing_is_kept_for_ever() {
        let retention: Retention = serde_json::from_str(r#"{"conversations_days": 30}"#).unwrap();
        assert_eq!(retention.conversations_days, 30);
        assert_eq!(retention.accounts_days, Retention::default().accounts_days);
        let now: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        assert_eq!(retention.until(Kept::Conversations, now).to_string(), "2026-12-31T00:00:00Z");
        assert!(Retention { cases_days: 0, ..retention }.check().unwrap_err().contains("retention.cases_days"));
        assert!(Retention { accounts_days: 36_500, ..retention }.check().is_err());
    }
}
