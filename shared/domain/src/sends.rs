//! A send to many people (an outage alert and its corrections, cancellation, "restored"; an
//! announcement): how far it has got and when it will end.
//!
//! A send is planned as chunks of recipients on the compose queue. Each chunk, once composed, adds
//! its tally once (by its part number); each delivery adds its outcome. Only counters: a send's
//! status is one read, however many people it reaches.

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::error::PortError;
use crate::ids::{OutageId, TenantId};
use crate::notice::{Notice, NoticeSubject};
use crate::outage::PriorityContract;
use crate::ports::TenantDirectory;
pub use crate::queues::{alert_send_id, announcement_send_id};
use crate::tenant::{RateLimits, SharedRates, TenantSettings};

/// Contracts per chunk of a send on the compose queue. A composer invocation takes up to ten
/// chunks one after another, each citizen's notice a few calls: at 25 a chunk, its busiest makes
/// about 600 calls, under 6 s even were each of them made alone at 10 ms (a third of the 100 it
/// was), inside the composer's 30 s timeout whatever the send's size.
pub const CHUNK_CONTRACTS: usize = 25;

/// The settings a send's time is estimated with: the tenant's (the deployment's defaults for a
/// tenant with none), its send rates as far as the deployment's shared quotas allow. Only for
/// estimating: never written back.
pub async fn settings_for_sending(
    tenants: &dyn TenantDirectory,
    defaults: &TenantSettings,
    shared: SharedRates,
    tenant_id: &TenantId,
) -> Result<TenantSettings, PortError> {
    let mut settings = tenants.settings(tenant_id).await?.unwrap_or_else(|| defaults.clone());
    settings.rate_limits = shared.limit(settings.rate_limits);
    Ok(settings)
}

/// The send a notice is part of, if any.
pub fn send_of(notice: &Notice) -> Option<String> {
    match &notice.subject {
        NoticeSubject::OutageAlert { outage_id, revision, stage, label, .. } => {
            Some(alert_send_id(outage_id, *revision, *stage, label))
        }
        NoticeSubject::Announcement { announcement_id } => Some(announcement_send_id(announcement_id)),
        _ => None,
    }
}

/// What a send is, as planned when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendPlan {
    pub tenant_id: TenantId,
    pub send_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_id: Option<OutageId>,
    /// Goes before routine sends when both compete for the tenant's send rate.
    pub urgent: bool,
    /// Contracts in the audience (each chunk looks up its subscribers).
    pub contracts: u64,
    /// Chunks of contracts on the compose queue.
    pub parts: u32,
    /// Who the call centre phones first; its briefing lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority: Vec<PriorityContract>,
    pub started_at: Timestamp,
}

/// Counters of a send, by name (`sent.sms`, `reason.no_channel`…): what a chunk or a delivery adds.
pub type Counts = BTreeMap<String, u64>;

/// A counter's name for one channel.
fn per_channel(what: &str, channel: Channel) -> String {
    format!("{what}.{}", channel.as_str())
}

/// What one chunk of a send did when it was composed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkTally {
    pub contracts: u64,
    pub recipients: u64,
    /// Deliveries queued, per channel.
    pub composed: BTreeMap<Channel, u64>,
    /// Reached by no channel (no consent, no contact, every address suppressed).
    pub unreachable: u64,
    /// Whose notice no longer applied.
    pub not_applicable: u64,
    /// Whose notice could not be written, by reason code.
    pub failed: BTreeMap<String, u64>,
}

impl ChunkTally {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::from([
            ("contracts".to_owned(), self.contracts),
            ("recipients".to_owned(), self.recipients),
            ("unreachable".to_owned(), self.unreachable),
            ("not_applicable".to_owned(), self.not_applicable),
        ]);
        for (channel, n) in &self.composed {
            counts.insert(per_channel("composed", *channel), *n);
        }
        for (code, n) in &self.failed {
            counts.insert("failed".to_owned(), counts.get("failed").copied().unwrap_or(0) + n);
            counts.insert(format!("reason.{code}"), *n);
        }
        counts.retain(|_, n| *n > 0);
        counts
    }
}

/// What happened to one delivery of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent,
    /// Refused for good; `reason` is a stable code (`provider_refused`, `rate_spent`).
    Refused {
        reason: &'static str,
    },
    /// A fallback to the next channel went out.
    Recovered,
    /// Waited for the send rate (counted on its first wait).
    Paced,
    /// Held until the tenant's quiet hours end.
    QuietHours,
}

impl DeliveryOutcome {
    pub fn counts(self, channel: Channel) -> Counts {
        let names = match self {
            Self::Sent => vec![per_channel("sent", channel)],
            Self::Refused { reason } => vec![per_channel("refused", channel), format!("reason.{reason}")],
            Self::Recovered => vec!["recovered".to_owned()],
            Self::Paced => vec!["paced".to_owned()],
            Self::QuietHours => vec!["quiet_hours".to_owned()],
        };
        names.into_iter().map(|name| (name, 1)).collect()
    }
}

/// A send as recorded: its plan, the chunks done and its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    pub plan: SendPlan,
    pub parts_done: u32,
    pub counts: Counts,
    /// When a counter last moved.
    pub last_at: Timestamp,
}

impl SendRecord {
    /// A counter's value (0 when nothing added to it yet).
    pub fn count(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }

    /// The counters `{what}.{channel}` of the electronic channels, those above 0.
    pub fn by_channel(&self, what: &str) -> BTreeMap<Channel, u64> {
        [Channel::Email, Channel::Sms, Channel::Whatsapp]
            .into_iter()
            .map(|c| (c, self.count(&per_channel(what, c))))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Records a send's plan and its chunks (the composer).
#[async_trait]
pub trait SendLog: Send + Sync {
    /// `false` when it was recorded already (the alert fired again).
    async fn start(&self, plan: &SendPlan) -> Result<bool, PortError>;
    /// Adds one chunk's counts, once per part; the send as it stands after, its deliveries not
    /// counted (`None`: no such send).
    async fn chunk_done(
        &self,
        tenant_id: &TenantId,
        send_id: &str,
        part: u32,
        counts: &Counts,
        at: Timestamp,
    ) -> Result<Option<SendRecord>, PortError>;
}

/// Counts deliveries into their send (the dispatcher).
#[async_trait]
pub trait DeliveryTally: Send + Sync {
    async fn add(&self, tenant_id: &TenantId, send_id: &str, counts: &Counts, at: Timestamp) -> Result<(), PortError>;
}

/// Reads sends (the operator's API, the CLI, the console).
#[async_trait]
pub trait SendStatuses: Send + Sync {
    async fn send(&self, tenant_id: &TenantId, send_id: &str) -> Result<Option<SendRecord>, PortError>;
    /// The sends whose id starts with `prefix` (an outage's: `outage/{id}/`), oldest first.
    async fn sends(&self, tenant_id: &TenantId, prefix: &str) -> Result<Vec<SendRecord>, PortError>;
}

/// A send's status as an operator reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendStatus {
    pub send_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outage_id: Option<OutageId>,
    pub urgent: bool,
    pub started_at: Timestamp,
    /// Contracts planned, and composed so far.
    pub contracts: u64,
    pub contracts_composed: u64,
    pub parts: u32,
    pub parts_done: u32,
    /// People found so far (holders and subscribers).
    pub recipients: u64,
    pub composed: BTreeMap<Channel, u64>,
    pub sent: BTreeMap<Channel, u64>,
    pub refused: BTreeMap<Channel, u64>,
    /// Deliveries composed and neither sent nor refused yet.
    pub waiting: u64,
    pub unreachable: u64,
    pub not_applicable: u64,
    /// Notices that could not be written.
    pub failed: u64,
    /// Refusals and failures by reason code.
    pub reasons: BTreeMap<String, u64>,
    /// Refused deliveries that reached the citizen on their next channel.
    pub recovered: u64,
    /// Deliveries that waited for the send rate, and that were held for quiet hours.
    pub waited_for_rate: u64,
    pub held_for_quiet_hours: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// At the tenant's current rates, from what is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_end: Option<Timestamp>,
}

impl SendStatus {
    pub fn of(record: &SendRecord, rates: &RateLimits, now: Timestamp) -> Self {
        let count = |name: &str| record.count(name);
        let (composed, sent, refused) =
            (record.by_channel("composed"), record.by_channel("sent"), record.by_channel("refused"));
        let left = |c: &Channel| {
            composed
                .get(c)
                .copied()
                .unwrap_or(0)
                .saturating_sub(sent.get(c).copied().unwrap_or(0) + refused.get(c).copied().unwrap_or(0))
        };
        let waiting: u64 = composed.keys().map(left).sum();
        let plan = &record.plan;
        let contracts_composed = count("contracts");
        let all_composed = record.parts_done >= plan.parts;
        let finished_at = (all_composed && waiting == 0).then_some(record.last_at);
        // What is not composed yet is assumed to go out like what is (by SMS before anything is).
        let pending = plan.contracts.saturating_sub(contracts_composed);
        let seconds = [Channel::Email, Channel::Sms, Channel::Whatsapp]
            .into_iter()
            .map(|c| {
                let projected = (pending * composed.get(&c).copied().unwrap_or(0))
                    .checked_div(contracts_composed)
                    .unwrap_or(if c == Channel::Sms { pending } else { 0 });
                rates.seconds_for(c, left(&c) + projected)
            })
            .try_fold(0_u64, |longest, s| s.map(|s| longest.max(s)));
        let estimated_end = if finished_at.is_some() {
            None
        } else {
            seconds.and_then(|s| now.checked_add(SignedDuration::from_secs(i64::try_from(s).ok()?)).ok())
        };
        Self {
            send_id: plan.send_id.clone(),
            outage_id: plan.outage_id.clone(),
            urgent: plan.urgent,
            started_at: plan.started_at,
            contracts: plan.contracts,
            contracts_composed,
            parts: plan.parts,
            parts_done: record.parts_done,
            recipients: count("recipients"),
            composed,
            sent,
            refused,
            waiting,
            unreachable: count("unreachable"),
            not_applicable: count("not_applicable"),
            failed: count("failed"),
            reasons: record
                .counts
                .iter()
                .filter_map(|(name, n)| name.strip_prefix("reason.").map(|code| (code.to_owned(), *n)))
                .collect(),
            recovered: count("recovered"),
            waited_for_rate: count("paced"),
            held_for_quiet_hours: count("quiet_hours"),
            finished_at,
            estimated_end,
        }
    }

    /// Deliveries done (sent or refused) of those composed, and contracts composed of those planned.
    pub fn done(&self) -> (u64, u64) {
        let composed: u64 = self.composed.values().sum();
        (composed - self.waiting, composed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(parts_done: u32, counts: &[(&str, u64)]) -> SendRecord {
        SendRecord {
            plan: SendPlan {
                tenant_id: TenantId::parse("t-1").unwrap(),
                send_id: "outage/o-1/r1/advance/48h".into(),
                outage_id: Some(OutageId::parse("o-1").unwrap()),
                urgent: true,
                contracts: 1000,
                parts: 10,
                priority: Vec::new(),
                started_at: Timestamp::UNIX_EPOCH,
            },
            parts_done,
            counts: counts.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            last_at: Timestamp::from_second(60).unwrap(),
        }
    }

    #[test]
    fn a_send_half_composed_estimates_its_end_from_what_is_left_at_the_tenants_rates() {
        // GIVEN half the contracts composed: 400 by SMS (100 sent), 100 by email (all sent)
        let half = record(
            5,
            &[
                ("contracts", 500),
                ("composed.sms", 400),
                ("sent.sms", 100),
                ("composed.email", 100),
                ("sent.email", 100),
            ],
        );
        let rates = RateLimits { email_per_second: 10, sms_parts_per_second: 20, whatsapp_per_second: 20 };
        let now = Timestamp::from_second(1_000).unwrap();
        let status = SendStatus::of(&half, &rates, now);
        // THEN 300 SMS wait, and 300 + 400 more at 20/s end in 35 s; email's 100 more take 10 s
        assert_eq!(status.waiting, 300);
        assert_eq!(status.done(), (200, 500));
        assert_eq!(status.estimated_end, Some(Timestamp::from_second(1_035).unwrap()));
        assert_eq!(status.finished_at, None);
    }

    #[test]
    fn a_send_is_finished_when_every_chunk_is_composed_and_nothing_waits() {
        let counts = [("contracts", 1000), ("composed.sms", 990), ("sent.sms", 985), ("refused.sms", 5)];
        let status = SendStatus::of(&record(10, &counts), &RateLimits::default(), Timestamp::UNIX_EPOCH);
        assert_eq!((status.waiting, status.finished_at), (0, Some(Timestamp::from_second(60).unwrap())));
        assert_eq!(status.estimated_end, None);
        let status = SendStatus::of(&record(9, &counts), &RateLimits::default(), Timestamp::UNIX_EPOCH);
        assert_eq!(status.finished_at, None, "a chunk is still to compose");
    }

    #[test]
    fn a_paused_channel_with_deliveries_waiting_has_no_estimated_end() {
        let rates = RateLimits { sms_parts_per_second: 0, ..RateLimits::default() };
        let status = SendStatus::of(&record(10, &[("composed.sms", 3)]), &rates, Timestamp::UNIX_EPOCH);
        assert_eq!((status.waiting, status.estimated_end), (3, None));
    }

    #[test]
    fn tallies_count_failures_by_reason_and_leave_out_zeros() {
        let tally = ChunkTally {
            contracts: 2,
            recipients: 3,
            composed: BTreeMap::from([(Channel::Sms, 2)]),
            failed: BTreeMap::from([("sms_too_long".to_owned(), 1)]),
            ..ChunkTally::default()
        };
        let counts = tally.counts();
        assert_eq!(counts.get("failed"), Some(&1));
        assert_eq!(counts.get("reason.sms_too_long"), Some(&1));
        assert_eq!(counts.get("composed.sms"), Some(&2));
        assert!(!counts.contains_key("unreachable"));
        let refused = DeliveryOutcome::Refused { reason: "provider_refused" }.counts(Channel::Email);
        assert_eq!(refused.keys().collect::<Vec<_>>(), ["reason.provider_refused", "refused.email"]);
    }
}
