//! When an alert's schedule fires: every citizen the outage reaches gets the alert through the
//! composer (and so the dispatcher's exactly-once), and the call centre gets a briefing.

use std::collections::BTreeMap;

use serde_json::json;

use super::audience::template_values;
use super::recipients::{KnownOutage, OutageRecipients, stale};
use super::{Audience, Outage, OutageArea, PriorityContract, is_priority_only};
use crate::applies::{Applies, applies_or_return};
use crate::channel::Channel;
use crate::compose::{ChunkOfSend, Compose, Prefetched};
use crate::error::{Error, RejectionCode};
use crate::ids::{ContractId, EventId, NoticeId, SubscriberId};
use crate::notice::{AlertStage, NoticeKind, NoticeSubject};
use crate::outage::ports::OutageStore;
use crate::ports::{ChunkQueue, Claims, EmailSender, RejectionLog};
use crate::queues::{AlertChunk, ComposeJob, ComposeMessage, OutageAlertDue};
use crate::sends::{CHUNK_CONTRACTS, ChunkTally, Counts, SendLog, SendPlan, SendRecord};
use crate::staff_mail::{StaffEmail, StaffMail};
use crate::tenant::TenantSettings;

/// The ports firing an alert needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct OutageAlerts<'a> {
    pub compose: Compose<'a>,
    pub audience: Audience<'a>,
    pub outages: &'a dyn OutageStore,
    pub claims: &'a dyn Claims,
    pub email: &'a dyn EmailSender,
    /// Where a citizen's alert that cannot be written is recorded, with why.
    pub rejections: &'a dyn RejectionLog,
    /// The compose queue, for the alert's chunks.
    pub chunks: &'a dyn ChunkQueue,
    pub sends: &'a dyn SendLog,
}

/// How many contracts a firing reaches, in how many chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FannedOut {
    pub contracts: usize,
    pub parts: usize,
    /// Set when nobody is reached: the briefing went at once.
    pub briefing: Option<String>,
}

/// What one chunk did, and the briefing when it was the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDone {
    pub tally: ChunkTally,
    /// `sent`, `already_sent`, `no_call_centre_address` or `refused: …`.
    pub briefing: Option<String>,
}

/// What a whole alert did, as the call centre's briefing tells it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertsFired {
    pub recipients: u64,
    pub by_channel: BTreeMap<Channel, u64>,
    /// Reached by no channel (no consent, no contact, every address suppressed).
    pub unreachable: u64,
    /// Whose alert could not be written (recorded with the reason among the rejections).
    pub failed: u64,
}

impl AlertsFired {
    fn of(record: &SendRecord) -> Self {
        Self {
            recipients: record.count("recipients"),
            by_channel: record.by_channel("composed"),
            unreachable: record.count("unreachable"),
            failed: record.count("failed"),
        }
    }
}

impl OutageAlerts<'_> {
    /// Plans the send to everyone the outage reaches and puts it on the compose queue in chunks
    /// of contracts, so that no invocation's work grows with the audience. Firing twice plans the
    /// same send and the same chunks (the notices' ids come from the alert): nobody is told twice.
    pub async fn fire(&self, due: &OutageAlertDue) -> Result<Applies<FannedOut>, Error> {
        cause_of(due)?;
        let outage = applies_or_return!(self.announce(due).await?);
        let mut holders = self.audience.holders(&outage).await?;
        if is_priority_only(&due.label) {
            holders.retain(|h| h.priority().is_some());
        }
        let contracts: Vec<ContractId> = holders.iter().map(|h| h.contract_id.clone()).collect();
        let chunks: Vec<ComposeMessage> = contracts
            .chunks(CHUNK_CONTRACTS)
            .zip(0..)
            .map(|(contracts, part)| {
                ComposeMessage::AlertChunk(AlertChunk { alert: due.clone(), part, contracts: contracts.to_vec() })
            })
            .collect();
        let plan = SendPlan {
            tenant_id: outage.tenant_id.clone(),
            send_id: due.key(),
            outage_id: Some(outage.outage_id.clone()),
            urgent: true,
            contracts: contracts.len() as u64,
            parts: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
            priority: PriorityContract::listed(holders.iter()),
            started_at: self.compose.clock.now(),
        };
        self.sends.start(&plan).await?;
        if chunks.is_empty() {
            // Nobody to tell: the call centre still hears that the alert went out to no one.
            let record =
                SendRecord { plan: plan.clone(), parts_done: 0, counts: Counts::new(), last_at: plan.started_at };
            let briefing = self.brief(&outage, due, &record).await?;
            return Ok(Applies::Yes(FannedOut { contracts: 0, parts: 0, briefing: Some(briefing) }));
        }
        self.chunks.enqueue_chunks(&chunks).await?;
        Ok(Applies::Yes(FannedOut { contracts: contracts.len(), parts: chunks.len(), briefing: None }))
    }

    /// Composes one chunk's alerts and adds its tally to the send; the chunk that completes the
    /// send briefs the call centre. A retried chunk composes nothing twice and counts once.
    pub async fn compose_chunk(&self, chunk: &AlertChunk) -> Result<Applies<ChunkDone>, Error> {
        let due = &chunk.alert;
        let cause = cause_of(due)?;
        let outage = self.outages.outage(&due.tenant_id, &due.outage_id).await?.ok_or_else(|| {
            Error::rejected(RejectionCode::UnknownOutage, format!("outage {} is not known", due.outage_id))
        })?;
        let mut tally = ChunkTally { contracts: chunk.contracts.len() as u64, ..ChunkTally::default() };
        let stale = stale(&outage, due.revision, due.stage);
        let send_id = due.key();
        // Every job of the chunk is an alert of this outage, read a moment ago: its recipients
        // are found without reading it again per citizen.
        let known = KnownOutage { outage: &outage, store: self.outages };
        // So are the holders, their customers and whether their addresses are suppressed (none
        // for a chunk that sends nothing).
        let contracts = if stale.is_some() { &[][..] } else { &chunk.contracts[..] };
        let accounts = self.audience.accounts;
        let read = Prefetched::read(accounts, self.compose.suppressions, &due.tenant_id, contracts).await?;
        let recipients =
            OutageRecipients { outages: &known, accounts: &read, subscriptions: self.audience.subscriptions };
        let chunk_of_send = ChunkOfSend {
            compose: Compose { recipients: &recipients, suppressions: &read, ..self.compose },
            rejections: self.rejections,
            source: "outage-alert",
            send_id: &send_id,
        };
        if stale.is_some() {
            tally.not_applicable = tally.contracts;
        } else {
            chunk_of_send.compose_all(self.jobs(&outage, chunk, &cause).await?, &mut tally).await?;
        }
        let record =
            chunk_of_send.count(self.sends, &due.tenant_id, chunk.part, &tally, self.compose.clock.now()).await?;
        let briefing = match (&stale, record.parts_done >= record.plan.parts) {
            (None, true) => Some(self.brief(&outage, due, &record).await?),
            _ => None,
        };
        if let Some(reason) = stale {
            return Ok(Applies::No(reason));
        }
        Ok(Applies::Yes(ChunkDone { tally, briefing }))
    }

    /// One compose job per holder of the chunk's contracts and per subscriber at their supply
    /// points (holders only for a priority alert).
    async fn jobs(&self, outage: &Outage, chunk: &AlertChunk, cause: &EventId) -> Result<Vec<ComposeJob>, Error> {
        let due = &chunk.alert;
        let mut subscribers = if is_priority_only(&due.label) {
            BTreeMap::new()
        } else {
            self.audience.subscriptions.subscribers_of(&outage.tenant_id, &chunk.contracts).await?
        };
        let mut jobs = Vec::with_capacity(chunk.contracts.len());
        for contract_id in &chunk.contracts {
            jobs.push(alert_job(outage, due, contract_id, None, cause));
            for subscriber in subscribers.remove(contract_id).unwrap_or_default() {
                jobs.push(alert_job(outage, due, contract_id, Some(&subscriber.subscriber_id), cause));
            }
        }
        Ok(jobs)
    }

    /// The outage, once it is recorded as announced (before anyone is told, so that an operator
    /// who cancels meanwhile knows to send a cancellation); or why the alert no longer applies.
    async fn announce(&self, due: &OutageAlertDue) -> Result<Applies<Outage>, Error> {
        for _ in 0..3 {
            let mut outage = self.outages.outage(&due.tenant_id, &due.outage_id).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::UnknownOutage, format!("outage {} is not known", due.outage_id))
            })?;
            if let Some(reason) = stale(&outage, due.revision, due.stage) {
                return Ok(Applies::No(reason));
            }
            if due.stage != AlertStage::Advance || outage.announced {
                return Ok(Applies::Yes(outage));
            }
            outage.announced = true;
            if self.outages.save(&outage).await? {
                outage.version += 1;
                return Ok(Applies::Yes(outage));
            }
        }
        Err(Error::InProgress { key: due.key() })
    }

    async fn settings(&self, outage: &Outage) -> Result<TenantSettings, Error> {
        let stored = self.compose.tenants.settings(&outage.tenant_id).await?;
        Ok(stored.unwrap_or_else(|| self.compose.defaults.clone()))
    }

    /// Emails the call centre what went out, once per alert.
    async fn brief(&self, outage: &Outage, due: &OutageAlertDue, record: &SendRecord) -> Result<String, Error> {
        let fired = AlertsFired::of(record);
        let settings = self.settings(outage).await?;
        let Some(to) = settings.outages.call_centre_email.as_ref() else {
            return Ok("no_call_centre_address".to_owned());
        };
        let locale = settings.default_locale;
        let mut values = template_values(outage, due.stage, locale)?;
        values["alert"] = json!(due.label);
        values["notified"] = json!({
            "recipients": fired.recipients,
            "sms": fired.by_channel.get(&Channel::Sms).copied().unwrap_or(0),
            "email": fired.by_channel.get(&Channel::Email).copied().unwrap_or(0),
            "unreachable": fired.unreachable,
            "failed": fired.failed,
        });
        // Who the call centre phones first: the hospitals and households the cut reaches.
        values["priority"] = json!(record.plan.priority);
        values["priority_only"] = json!(is_priority_only(&due.label));
        values["area"] = match &outage.area {
            OutageArea::NetworkSectors(sectors) => json!({ "sectors": sectors, "polygon": false }),
            OutageArea::Polygon(_) => json!({ "sectors": [], "polygon": true }),
        };
        let mail = StaffEmail {
            tenant_id: &outage.tenant_id,
            notice_id: NoticeId::derived(
                &outage.tenant_id,
                &format!("{}/briefing", due.key()),
                NoticeKind::OutageBriefing,
            ),
            kind: NoticeKind::OutageBriefing,
            to,
            values,
        };
        self.staff_mail().send_once(mail, &settings).await
    }

    fn staff_mail(&self) -> StaffMail<'_> {
        StaffMail { claims: self.claims, email: self.email, renderer: self.compose.renderer, clock: self.compose.clock }
    }
}

fn alert_job(
    outage: &Outage,
    due: &OutageAlertDue,
    contract_id: &ContractId,
    subscriber: Option<&SubscriberId>,
    cause: &EventId,
) -> ComposeJob {
    let subject = NoticeSubject::OutageAlert {
        outage_id: outage.outage_id.clone(),
        revision: due.revision,
        stage: due.stage,
        label: due.label.clone(),
        subscriber: subscriber.cloned(),
    };
    ComposeJob::new(outage.tenant_id.clone(), contract_id.clone(), subject, cause.clone())
}

/// The alert's label comes off the queue: one that cannot be part of an id refuses the alert, with why.
fn cause_of(due: &OutageAlertDue) -> Result<EventId, Error> {
    EventId::parse(&due.key().replace('/', ":"))
        .map_err(|e| Error::rejected(RejectionCode::InvalidField, format!("outage alert label {:?}: {e}", due.label)))
}
