//! Where a tenant's notices stand: each notice's deliveries as recorded (sent, what the provider
//! said since, or refused and why), and the report operators read — statuses by kind and channel,
//! failures with their reasons. Addresses never appear: a delivery is known by its notice and
//! channel.

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::PortError;
use crate::channel::Channel;
use crate::ids::{ContractId, NoticeId, TenantId};
use crate::notice::NoticeKind;
use crate::ports::DeliveryStatus;

/// A notice and each of its channels' deliveries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeDeliveries {
    pub notice_id: NoticeId,
    pub kind: NoticeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    pub created_at: Timestamp,
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub channel: Channel,
    pub state: DeliveryState,
}

/// Where one delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not sent yet: queued, paced, held back by quiet hours, or being sent.
    Pending,
    /// A letter, waiting for the night's print batch.
    Letter,
    /// The provider accepted it and has said nothing since.
    Sent,
    /// What the provider reported after accepting it.
    Reported { status: DeliveryStatus, detail: String },
    /// Refused for good, by avisa or by the provider when sending: why.
    Refused { reason: String },
}

impl DeliveryState {
    /// As the report's columns name it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Letter => "letter",
            Self::Sent => "sent",
            Self::Reported { status, .. } => status.as_str(),
            Self::Refused { .. } => "refused",
        }
    }

    /// Why it did not reach the citizen, when it did not: refused, bounced, complained of, failed.
    pub fn failure(&self) -> Option<&str> {
        match self {
            Self::Refused { reason } => Some(reason),
            Self::Reported {
                status: DeliveryStatus::Bounced | DeliveryStatus::Failed | DeliveryStatus::Complained,
                detail,
            } => Some(detail),
            _ => None,
        }
    }

    /// Nothing more will happen to it unless someone acts (it was sent, or failed).
    pub fn is_settled(&self) -> bool {
        !matches!(self, Self::Pending)
    }
}

/// `reason` without what looks like an address: providers' diagnostics quote the mailbox or the
/// number (`550 5.1.1 <jane@example.org>: user unknown`), and a report shows none.
pub fn without_addresses(reason: &str) -> String {
    reason
        .split(' ')
        .map(|word| {
            let core = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '+');
            let number = core.strip_prefix('+').unwrap_or(core);
            if word.contains('@') {
                "<address>"
            } else if number.len() >= 7 && number.chars().all(|c| c.is_ascii_digit()) {
                "<number>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The recorded notices and their deliveries.
#[async_trait]
pub trait DeliveryLedger: Send + Sync {
    /// The tenant's notices created on `day` (UTC), oldest first.
    async fn notices_of_day(&self, tenant_id: &TenantId, day: Date) -> Result<Vec<NoticeDeliveries>, PortError>;
    /// These notices of the tenant, those that exist, in no particular order.
    async fn notices(&self, tenant_id: &TenantId, notice_ids: &[NoticeId]) -> Result<Vec<NoticeDeliveries>, PortError>;
}

/// Statuses by kind and channel, and every failure with its reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeliveryReport {
    pub notices: u64,
    pub rows: Vec<ReportRow>,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    pub kind: NoticeKind,
    pub channel: Channel,
    /// Deliveries by [`DeliveryState::label`].
    pub states: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub notice_id: NoticeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<ContractId>,
    pub kind: NoticeKind,
    pub channel: Channel,
    pub created_at: Timestamp,
    pub state: &'static str,
    pub reason: String,
}

impl DeliveryReport {
    pub fn add(&mut self, notice: &NoticeDeliveries) {
        self.notices += 1;
        for delivery in &notice.deliveries {
            let at = match self.rows.binary_search_by(|r| (r.kind, r.channel).cmp(&(notice.kind, delivery.channel))) {
                Ok(at) => at,
                Err(at) => {
                    let row = ReportRow { kind: notice.kind, channel: delivery.channel, states: BTreeMap::new() };
                    self.rows.insert(at, row);
                    at
                }
            };
            *self.rows[at].states.entry(delivery.state.label()).or_default() += 1;
            if let Some(reason) = delivery.state.failure() {
                self.failures.push(Failure {
                    notice_id: notice.notice_id.clone(),
                    contract_id: notice.contract_id.clone(),
                    kind: notice.kind,
                    channel: delivery.channel,
                    created_at: notice.created_at,
                    state: delivery.state.label(),
                    reason: reason.to_owned(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: NoticeKind, deliveries: Vec<(Channel, DeliveryState)>) -> NoticeDeliveries {
        NoticeDeliveries {
            notice_id: NoticeId::parse(&format!("n-{}", deliveries.len())).unwrap(),
            kind,
            contract_id: None,
            created_at: Timestamp::UNIX_EPOCH,
            deliveries: deliveries.into_iter().map(|(channel, state)| Delivery { channel, state }).collect(),
        }
    }

    #[test]
    fn deliveries_are_counted_by_kind_channel_and_state_and_failures_keep_their_reason() {
        // GIVEN an invoice notice delivered by email and refused by SMS, and one still pending
        let mut report = DeliveryReport::default();
        let bounced = DeliveryState::Reported { status: DeliveryStatus::Bounced, detail: "mailbox full".into() };
        report.add(&notice(
            NoticeKind::InvoiceAvailable,
            vec![(Channel::Email, bounced), (Channel::Sms, DeliveryState::Refused { reason: "opted out".into() })],
        ));
        report.add(&notice(NoticeKind::InvoiceAvailable, vec![(Channel::Email, DeliveryState::Pending)]));
        // THEN each kind × channel counts its states, and both failures say why
        assert_eq!(report.notices, 2);
        let email = &report.rows[0];
        assert_eq!((email.channel, email.states["bounced"], email.states["pending"]), (Channel::Email, 1, 1));
        assert_eq!(report.rows[1].states["refused"], 1);
        let reasons: Vec<&str> = report.failures.iter().map(|f| f.reason.as_str()).collect();
        assert_eq!(reasons, ["mailbox full", "opted out"]);
        assert!(!DeliveryState::Pending.is_settled() && DeliveryState::Sent.is_settled());
    }

    #[test]
    fn a_providers_diagnostic_is_reported_without_the_address_it_quotes() {
        let said = without_addresses("550 5.1.1 <jane.doe@example.org>: user unknown; sms to +34600111001 failed");
        assert_eq!(said, "550 5.1.1 <address> user unknown; sms to <number> failed");
        let kept = "throttled at 2026-12-02T05:55:38Z, 3 times";
        assert_eq!(without_addresses(kept), kept);
    }
}
