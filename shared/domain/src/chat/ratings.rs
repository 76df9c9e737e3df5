//! How citizens rate the help they got: when an agent resolves a conversation (or the line closes
//! one gone quiet) the bot asks for 1 to 5 inside WhatsApp; each answer is kept per conversation,
//! agent and team, and staff read the averages per agent, team and week.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Conversation, Said};
use crate::contact::PhoneE164;
use crate::ids::TenantId;
use crate::notice::InteractiveRow;

/// The prefix of a rating row's id (`rating:4`).
const ROW_PREFIX: &str = "rating:";

/// A score from 1 (poor) to 5 (excellent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    pub const ALL: [Self; 5] = [Self(5), Self(4), Self(3), Self(2), Self(1)];

    /// A row picked from the rating list, or the digit typed instead ("4", " 4 ", "4/5").
    pub fn said(said: &Said) -> Option<Self> {
        let typed = match said {
            Said::Choice { id, .. } => id.strip_prefix(ROW_PREFIX)?,
            Said::Text { body } => {
                let body = body.trim();
                body.strip_suffix("/5").unwrap_or(body).trim()
            }
            _ => return None,
        };
        typed.parse::<u8>().ok().and_then(|n| Self::try_from(n).ok())
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The rows of the rating list, best first: stars read the same in every language.
    pub fn rows() -> Vec<InteractiveRow> {
        Self::ALL
            .into_iter()
            .map(|score| InteractiveRow {
                id: format!("{ROW_PREFIX}{}", score.0),
                title: format!("{} {}", score.0, "★".repeat(usize::from(score.0))),
                description: None,
            })
            .collect()
    }
}

impl TryFrom<u8> for Score {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        if (1..=5).contains(&n) { Ok(Self(n)) } else { Err(format!("a rating is 1 to 5, not {n}")) }
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> Self {
        score.0
    }
}

/// One citizen's rating of one resolved conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub tenant_id: TenantId,
    /// The conversation, by [`conversation_digest`]: ratings are statistics, kept without the
    /// citizen's number.
    pub conversation: String,
    /// When the question was asked (the resolve it rates): one rating per question.
    pub asked_at: Timestamp,
    pub agent: String,
    /// The menu service the citizen chose to talk to a person (the team it was handed to).
    pub team: Option<String>,
    pub score: Score,
    pub at: Timestamp,
}

impl Rating {
    /// `conversation`'s citizen rates `agent`'s help, asked at `asked_at`.
    pub fn of(conversation: &Conversation, agent: String, asked_at: Timestamp, score: Score, at: Timestamp) -> Self {
        Self {
            tenant_id: conversation.tenant_id.clone(),
            conversation: conversation_digest(&conversation.tenant_id, &conversation.phone),
            asked_at,
            agent,
            team: conversation.team.clone(),
            score,
            at,
        }
    }
}

/// A conversation's stable name without its phone number.
pub fn conversation_digest(tenant_id: &TenantId, phone: &PhoneE164) -> String {
    let digest = Sha256::digest(format!("{tenant_id}/{}", phone.as_str()).as_bytes());
    hex::encode(digest)[..16].to_owned()
}

/// How many ratings and their mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Average {
    /// The agent, team (`-` for none) or ISO week (`2026-W49`).
    pub of: String,
    pub ratings: u32,
    pub mean: f64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    count: u32,
    total: u32,
}

impl Sum {
    fn add(&mut self, score: Score) {
        self.count += 1;
        self.total += u32::from(score.get());
    }

    fn average(self, of: String) -> Average {
        let mean = if self.count == 0 { 0.0 } else { f64::from(self.total) / f64::from(self.count) };
        Average { of, ratings: self.count, mean: (mean * 100.0).round() / 100.0 }
    }
}

/// Averages of some ratings: overall, per agent, per team and per week (in the tenant's zone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingSummary {
    pub overall: Average,
    pub by_agent: Vec<Average>,
    pub by_team: Vec<Average>,
    pub by_week: Vec<Average>,
    /// How many ratings of each score, 1 to 5.
    pub distribution: [u32; 5],
}

impl RatingSummary {
    pub fn of(ratings: &[Rating], zone: &TimeZone) -> Self {
        let (mut overall, mut distribution) = (Sum::default(), [0; 5]);
        let mut groups: [BTreeMap<String, Sum>; 3] = Default::default();
        for rating in ratings {
            overall.add(rating.score);
            distribution[usize::from(rating.score.get() - 1)] += 1;
            let week = rating.at.to_zoned(zone.clone()).date().iso_week_date();
            let keys = [
                rating.agent.clone(),
                rating.team.clone().unwrap_or_else(|| "-".to_owned()),
                format!("{}-W{:02}", week.year(), week.week()),
            ];
            for (group, key) in groups.iter_mut().zip(keys) {
                group.entry(key).or_default().add(rating.score);
            }
        }
        let [by_agent, by_team, by_week] = groups.map(|group| group.into_iter().map(|(k, s)| s.average(k)).collect());
        Self { overall: overall.average("all".to_owned()), by_agent, by_team, by_week, distribution }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(agent: &str, team: Option<&str>, score: u8, at: &str) -> Rating {
        Rating {
            tenant_id: TenantId::parse("aigues-reus").unwrap(),
            conversation: "c".into(),
            asked_at: at.parse().unwrap(),
            agent: agent.into(),
            team: team.map(Into::into),
            score: Score::try_from(score).unwrap(),
            at: at.parse().unwrap(),
        }
    }

    #[test]
    fn a_picked_row_or_a_typed_digit_is_a_score_and_nothing_else_is() {
        let choice = |id: &str| Said::Choice { id: id.into(), title: String::new() };
        let text = |body: &str| Said::Text { body: body.into() };
        assert_eq!(Score::said(&choice("rating:4")).map(Score::get), Some(4));
        assert_eq!(Score::said(&text(" 5 ")).map(Score::get), Some(5));
        assert_eq!(Score::said(&text("3/5")).map(Score::get), Some(3));
        for no in [text("0"), text("6"), text("good"), text("hola"), choice("4"), choice("rating:9")] {
            assert_eq!(Score::said(&no), None, "{no:?}");
        }
        assert!(serde_json::from_str::<Score>("7").is_err());
    }

    #[test]
    fn averages_are_per_agent_team_and_iso_week_in_the_tenants_zone() {
        let ratings = [
            rating("Marta", Some("social"), 5, "2026-11-30T10:00:00Z"),
            rating("Marta", Some("social"), 4, "2026-12-01T10:00:00Z"),
            rating("Jordi", None, 2, "2026-12-06T23:30:00Z"), // Sunday in UTC, Monday 7 December in Madrid
        ];
        let summary = RatingSummary::of(&ratings, &TimeZone::get("Europe/Madrid").unwrap());
        assert_eq!(summary.overall, Average { of: "all".into(), ratings: 3, mean: 3.67 });
        let means = |list: &[Average]| list.iter().map(|a| (a.of.clone(), a.ratings, a.mean)).collect::<Vec<_>>();
        assert_eq!(means(&summary.by_agent), [("Jordi".into(), 1, 2.0), ("Marta".into(), 2, 4.5)]);
        assert_eq!(means(&summary.by_team), [("-".into(), 1, 2.0), ("social".into(), 2, 4.5)]);
        assert_eq!(means(&summary.by_week), [("2026-W49".into(), 2, 4.5), ("2026-W50".into(), 1, 2.0)]);
        assert_eq!(summary.distribution, [0, 1, 0, 1, 1]);
    }

    #[test]
    fn no_ratings_average_nothing() {
        let summary = RatingSummary::of(&[], &TimeZone::UTC);
        assert_eq!(summary.overall.ratings, 0);
        assert!(summary.by_agent.is_empty() && summary.by_week.is_empty());
    }
}
