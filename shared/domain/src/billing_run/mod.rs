//! A billing run's preview: for every event of a file, the notices it would bring — for which
//! contract, when, on which channels and why, in which language, in how many SMS parts, at what
//! cost — planned by ingestion's [`Planner`] and written by composing's [`Drafter`], so the preview
//! says what submitting the file would do. Nothing is sent and nothing is stored.

mod cached;
mod file;
mod lines;
mod overlay;
mod totals;

pub use cached::CachedTenants;
pub use file::{RunFile, customers_in};
pub use lines::{Line, preview_all};
pub use overlay::{FileCustomers, Overlay};
pub use totals::{ChannelTotal, RunTotals};

use serde::Serialize;

use crate::PortError;
use crate::account::{AccountFact, Fact};
use crate::applies::Applies;
use crate::billing::BillingEvent;
use crate::channel::Channel;
use crate::clock::Clock;
use crate::compose::{AccountHolders, Drafter, MAX_ATTACHMENT_BYTES};
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::NoticeId;
use crate::ingest::{Planned, Planner, unknown_contract};
use crate::money::Money;
use crate::notice::{Notice, NoticeKind};
use crate::ports::{AccountStore, Documents, NoticeRenderer, NoticeStore, Scheduled, Suppressions, TenantDirectory};
use crate::queues::{ComposeJob, ComposeMessage};
use crate::tenant::TenantSettings;

/// The ports a preview reads; it calls nothing that writes.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Preview<'a> {
    pub accounts: &'a dyn AccountStore,
    pub tenants: &'a dyn TenantDirectory,
    /// To tell a notice composed already (its event was submitted before) from a new one.
    pub notices: &'a dyn NoticeStore,
    pub renderer: &'a dyn NoticeRenderer,
    pub suppressions: &'a dyn Suppressions,
    /// To find an attachment the dispatcher could not send (missing, too large) before it is sent.
    pub documents: &'a dyn Documents,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
}

/// What one line of the file would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinePreview {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    #[serde(flatten)]
    pub outcome: LineOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LineOutcome {
    Notices {
        notices: Vec<PreviewedNotice>,
    },
    /// Applied, but it calls for no notice (a payment, a customer's new details…): why.
    NoNotice {
        why: String,
    },
    /// billing-ingest would refuse it: the code and what to do.
    Refused {
        code: RejectionCode,
        reason: String,
    },
}

/// One notice, as composing would write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewedNotice {
    pub notice_id: NoticeId,
    pub kind: NoticeKind,
    /// When its reminder's schedule composes it (local time and zone); `None`: at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    pub locale: Locale,
    pub channels: Vec<PreviewedChannel>,
    /// Why these channels.
    pub why: String,
    /// SMS parts × the tenant's price per part (`outages.sms_part_price`); `None` without a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    /// It was composed before (the file, or these events, were submitted already): submitting
    /// again sends nothing.
    pub already_composed: bool,
    /// What would go wrong when it is sent (an attachment missing or too large), per channel.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PreviewedChannel {
    pub channel: Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_parts: Option<usize>,
}

impl Preview<'_> {
    /// One contract's lines, in the file's order: each is previewed against the stored state, the
    /// customers the whole file states, and the facts of the lines before it. `Err` only when a
    /// store could not be read (nothing about the file: try again).
    pub async fn contract(&self, file: &FileCustomers, lines: Vec<Line>) -> Result<Vec<LinePreview>, Error> {
        let overlay = Overlay::new(self.accounts, file);
        let mut previews = Vec::with_capacity(lines.len());
        for line in lines {
            let (event_id, contract_id, outcome) = match line.event {
                Err(refused) => {
                    (refused.event_id, None, refused_because(refused.rejection.code, refused.rejection.detail))
                }
                Ok(event) => {
                    let outcome = match self.event(&overlay, &event).await {
                        Ok(outcome) => outcome,
                        Err(Error::Rejected(rejection)) => refused_because(rejection.code, rejection.detail),
                        Err(other) => return Err(other),
                    };
                    (Some(event.event_id.to_string()), Some(event.contract_id.to_string()), outcome)
                }
            };
            previews.push(LinePreview { line: line.number, event_id, contract_id, outcome });
        }
        Ok(previews)
    }

    /// As billing-ingest applies it, with the overlay for the store.
    async fn event(&self, overlay: &Overlay<'_>, event: &BillingEvent) -> Result<LineOutcome, Error> {
        // A customer's details are in the overlay already, from the file's first pass.
        let Some(fact) = Fact::of(&event.payload) else {
            return Ok(LineOutcome::NoNotice { why: "the customer's details are updated".into() });
        };
        let planner = Planner { accounts: overlay, tenants: self.tenants, clock: self.clock, defaults: self.defaults };
        planner.admit(event).await?;
        if overlay.holder(&event.tenant_id, &event.contract_id).await?.is_none() {
            return Err(unknown_contract(&format!(
                "contract {} has no customer.upserted, neither stored nor in the file",
                event.contract_id
            )));
        }
        let fact = AccountFact {
            tenant_id: event.tenant_id.clone(),
            contract_id: event.contract_id.clone(),
            as_of: event.occurred_at,
            fact,
        };
        overlay.record_fact(&fact).await?;
        let recipients = AccountHolders { accounts: overlay };
        let drafter = Drafter {
            recipients: &recipients,
            notices: self.notices,
            renderer: self.renderer,
            suppressions: self.suppressions,
            tenants: self.tenants,
            clock: self.clock,
            defaults: self.defaults,
        };
        let mut notices = Vec::new();
        let mut not_applicable = Vec::new();
        for planned in planner.notices_for(event, &fact.fact).await? {
            let (job, at) = match planned {
                Planned::Now(job) => (job, None),
                Planned::At(scheduled) => match scheduled.job {
                    Scheduled::Compose(ComposeMessage::Notice(job)) => {
                        (job, Some(format!("{} {}", scheduled.at.strftime("%Y-%m-%d %H:%M"), scheduled.time_zone)))
                    }
                    _ => continue, // billing events plan notices only
                },
            };
            match drafter.draft(&job).await? {
                Applies::Yes(notice) => notices.push(self.previewed(&job, notice, at).await?),
                Applies::No(reason) => not_applicable.push(reason),
            }
        }
        Ok(match (notices.is_empty(), not_applicable.is_empty()) {
            (false, _) => LineOutcome::Notices { notices },
            (true, false) => LineOutcome::NoNotice { why: not_applicable.join("; ") },
            (true, true) => {
                LineOutcome::NoNotice { why: format!("{} calls for no notice", event.payload.event_type()) }
            }
        })
    }

    async fn previewed(&self, job: &ComposeJob, notice: Notice, at: Option<String>) -> Result<PreviewedNotice, Error> {
        let already_composed = self.notices.notice(&job.tenant_id, &job.notice_id).await?.is_some();
        let channels: Vec<PreviewedChannel> = notice
            .messages
            .iter()
            .map(|m| PreviewedChannel {
                channel: m.destination.channel(),
                sms_parts: m.content.as_ref().and_then(|c| c.parts),
            })
            .collect();
        let sms_parts: usize = channels.iter().filter(|c| c.channel == Channel::Sms).filter_map(|c| c.sms_parts).sum();
        let mut problems = Vec::new();
        for message in notice.messages.iter().filter(|m| m.destination.channel() != Channel::Paper) {
            let Some(document) = &message.attachment else { continue };
            match self.documents.check(document, MAX_ATTACHMENT_BYTES).await {
                Ok(()) => {}
                // What the dispatcher would refuse the message for; anything else is the store's.
                Err(PortError::Permanent { source, .. }) => problems.push(format!(
                    "{}: its attachment {} cannot be sent ({source}): the message would be refused and the next \
                     channel used",
                    message.destination.channel().as_str(),
                    document.uri
                )),
                Err(other) => return Err(other.into()),
            }
        }
        let settings = self.tenants.settings(&job.tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        let cost = settings.outages.sms_part_price.map(|price| price.times(sms_parts));
        Ok(PreviewedNotice {
            notice_id: notice.notice_id,
            kind: notice.kind,
            at,
            locale: notice.locale,
            channels,
            why: notice.channel_reason,
            cost,
            already_composed,
            problems,
        })
    }
}

fn refused_because(code: RejectionCode, reason: String) -> LineOutcome {
    LineOutcome::Refused { code, reason }
}

#[cfg(test)]
mod tests;
