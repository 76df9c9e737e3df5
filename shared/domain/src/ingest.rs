//! Applying a billing event: exactly once, to the contract's state, with the notices it calls for.

use jiff::SignedDuration;

use crate::account::{AccountFact, ContractHolder, CustomerProfile, Fact};
use crate::billing::{BillingEvent, BillingPayload, CustomerUpserted, InvoiceIssued, PlanStatus};
use crate::clock::Clock;
use crate::error::{Error, RejectionCode};
use crate::ids::{ContractId, TenantId};
use crate::notice::NoticeSubject;
use crate::once::Once;
use crate::ports::{
    AccountStore, ClaimKey, Claims, ComposeQueue, NoticeScheduler, Scheduled, ScheduledJob, TenantDirectory, Upstreams,
};
use crate::queues::{ComposeJob, ComposeMessage};
use crate::tenant::TenantSettings;

/// Longer than the function's timeout, so a live holder never loses its claim.
pub const EVENT_LEASE: SignedDuration = SignedDuration::from_secs(120);

/// An event for a contract not known yet is retried this many times (its `customer.upserted` may
/// be a little behind), then rejected.
pub const UNKNOWN_CONTRACT_ATTEMPTS: u32 = 4;

/// What ingesting one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    Applied { compose_jobs: usize },
    Duplicate,
}

/// The ports ingestion needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Ingest<'a> {
    pub claims: &'a dyn Claims,
    pub accounts: &'a dyn AccountStore,
    pub compose: &'a dyn ComposeQueue,
    pub scheduler: &'a dyn NoticeScheduler,
    pub tenants: &'a dyn TenantDirectory,
    pub upstreams: &'a dyn Upstreams,
    pub clock: &'a dyn Clock,
    /// The deployment's settings, for tenants with none of their own.
    pub defaults: &'a TenantSettings,
}

/// A notice an event calls for: composed now, or at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Now(ComposeJob),
    At(ScheduledJob),
}

impl Ingest<'_> {
    /// Ingests one event that came on `source` (the queue's ARN); `attempt` counts deliveries of
    /// this message, from 1. An event for a tenant its upstream is not bound to does nothing.
    pub async fn handle(&self, event: &BillingEvent, source: &str, attempt: u32) -> Result<Ingested, Error> {
        if !self.upstreams.tenants_of(source).await?.contains(&event.tenant_id) {
            return Err(Error::rejected(
                RejectionCode::ForeignTenant,
                format!(
                    "the upstream sending on {source} is not bound to tenant {}; an operator binds it with \
                     `avisa upstreams bind --queue {source} --tenant {}`",
                    event.tenant_id, event.tenant_id
                ),
            ));
        }
        let key = ClaimKey::Event { tenant_id: event.tenant_id.clone(), event_id: event.event_id.clone() };
        let once = Once { claims: self.claims, clock: self.clock };
        // A rejected event did nothing: sent again (its customer has arrived since), it applies.
        let applied = once.run(&key, EVENT_LEASE, true, self.apply(event, attempt)).await?;
        Ok(applied.map_or(Ingested::Duplicate, |compose_jobs| Ingested::Applied { compose_jobs }))
    }

    /// Applies the event; returns how many compose jobs it enqueued. Every write is idempotent and
    /// order-independent, so an attempt that failed half-way can be retried whole.
    async fn apply(&self, event: &BillingEvent, attempt: u32) -> Result<usize, Error> {
        let tenant_id = &event.tenant_id;
        let Some(fact) = Fact::of(&event.payload) else {
            if let BillingPayload::CustomerUpserted(data) = &event.payload {
                let (profile, holder) = holder_of(event, data);
                self.accounts.upsert_customer(&profile).await?;
                self.accounts.upsert_holder(&holder).await?;
            }
            return Ok(0);
        };
        let planner = self.planner();
        planner.admit(event).await?;
        if self.accounts.holder(tenant_id, &event.contract_id).await?.is_none() {
            let reason = format!("contract {} has no customer.upserted yet", event.contract_id);
            if attempt < UNKNOWN_CONTRACT_ATTEMPTS {
                return Err(Error::Deferred { reason });
            }
            return Err(unknown_contract(&reason));
        }
        let fact = AccountFact {
            tenant_id: tenant_id.clone(),
            contract_id: event.contract_id.clone(),
            as_of: event.occurred_at,
            fact,
        };
        self.accounts.record_fact(&fact).await?;
        let notices = planner.notices_for(event, &fact.fact).await?;
        for notice in &notices {
            match notice {
                Planned::Now(job) => self.compose.enqueue(job).await?,
                Planned::At(scheduled) => self.scheduler.schedule(scheduled).await?,
            }
        }
        Ok(notices.len())
    }

    /// Of a batch's events (`(source, tenant, contract)`), the contracts their upstreams are bound
    /// to: what the batch may read ahead of them, so a foreign event reads nothing.
    pub async fn bound_contracts(
        &self,
        events: impl IntoIterator<Item = (String, TenantId, ContractId)>,
    ) -> Vec<(TenantId, ContractId)> {
        let mut bound = Vec::new();
        for (source, tenant_id, contract_id) in events {
            if self.upstreams.tenants_of(&source).await.is_ok_and(|tenants| tenants.contains(&tenant_id)) {
                bound.push((tenant_id, contract_id));
            }
        }
        bound
    }

    /// What plans the notices, reading only.
    pub fn planner(&self) -> Planner<'_> {
        Planner { accounts: self.accounts, tenants: self.tenants, clock: self.clock, defaults: self.defaults }
    }
}

/// The profile and the holder a `customer.upserted` states.
pub fn holder_of(event: &BillingEvent, data: &CustomerUpserted) -> (CustomerProfile, ContractHolder) {
    let profile = CustomerProfile::from_event(&event.tenant_id, data, event.occurred_at);
    let holder = ContractHolder {
        tenant_id: event.tenant_id.clone(),
        contract_id: event.contract_id.clone(),
        customer_id: data.customer_id.clone(),
        supply_point: data.supply_point.clone(),
        as_of: event.occurred_at,
        staff_priority: None,
    };
    (profile, holder)
}

/// Why an event about a contract with no holder is refused for good.
pub fn unknown_contract(reason: &str) -> Error {
    Error::rejected(RejectionCode::UnknownContract, format!("{reason}; send that first, then this event again"))
}

/// Which notices an event calls for and when, from the account's state: it only reads, so a
/// billing run's preview plans exactly as ingestion does.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Planner<'a> {
    pub accounts: &'a dyn AccountStore,
    pub tenants: &'a dyn TenantDirectory,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
}

impl Planner<'_> {
    /// Refuses what no state could make acceptable: an invoice document from another tenant's place.
    pub async fn admit(&self, event: &BillingEvent) -> Result<(), Error> {
        if let BillingPayload::InvoiceIssued(InvoiceIssued { pdf: Some(pdf), .. }) = &event.payload {
            self.document_admitted(&event.tenant_id, pdf.uri.as_str()).await?;
        }
        Ok(())
    }

    /// A document must come from the tenant's own place: its settings', or the deployment's bucket
    /// under the tenant's id.
    async fn document_admitted(&self, tenant_id: &TenantId, uri: &str) -> Result<(), Error> {
        let own = self.tenants.settings(tenant_id).await?.and_then(|settings| settings.documents);
        let Some(place) = own.or_else(|| self.defaults.documents.clone()) else {
            return Err(Error::rejected(
                RejectionCode::ForeignDocument,
                "this deployment accepts no documents: set `documents` in the tenant's settings, or the \
                 template's InvoiceDocumentsBucket",
            ));
        };
        place.admits(tenant_id, uri).map_err(|reason| Error::rejected(RejectionCode::ForeignDocument, reason))
    }

    /// The notices a fact calls for. Reminders are planned from the account's current state
    /// (not the event), so a late, older event cannot move them back.
    pub async fn notices_for(&self, event: &BillingEvent, fact: &Fact) -> Result<Vec<Planned>, Error> {
        let job = |subject| {
            ComposeJob::new(event.tenant_id.clone(), event.contract_id.clone(), subject, event.event_id.clone())
        };
        let reminder = match fact {
            Fact::InvoiceIssued(data) => {
                return Ok(vec![Planned::Now(job(NoticeSubject::InvoiceAvailable {
                    invoice_number: data.number.clone(),
                }))]);
            }
            Fact::DebitReturned(data) => {
                let subject = NoticeSubject::DirectDebitReturned { invoice_number: data.invoice_number.clone() };
                return Ok(vec![Planned::Now(job(subject))]);
            }
            Fact::InvoiceScheduled(data) => {
                let account = self.accounts.account(&event.tenant_id, &event.contract_id).await?;
                let state = account.as_ref().and_then(|a| a.invoice(&data.number));
                let Some(scheduled) = state.filter(|s| s.issued.is_none()).and_then(|s| s.scheduled.as_ref()) else {
                    return Ok(vec![]); // issued already: the invoice notice says it all
                };
                let charge_date = scheduled.value.bank_charge_date.unwrap_or(scheduled.value.planned_issue_date);
                let subject = NoticeSubject::InvoiceUpcoming { invoice_number: data.number.clone(), charge_date };
                Some((subject, charge_date, Reminder::Invoice))
            }
            Fact::PlanUpdated(data) => {
                let account = self.accounts.account(&event.tenant_id, &event.contract_id).await?;
                let plan = account.as_ref().and_then(|a| a.plans.iter().find(|p| p.value.plan_id == data.plan_id));
                let next = plan
                    .filter(|p| p.value.status == PlanStatus::Active)
                    .and_then(|p| p.value.instalments.iter().filter(|i| !i.paid).min_by_key(|i| i.due_date));
                next.map(|instalment| {
                    let subject = NoticeSubject::PaymentPlanMilestone {
                        plan_id: data.plan_id.clone(),
                        due_date: instalment.due_date,
                    };
                    (subject, instalment.due_date, Reminder::Instalment)
                })
            }
            Fact::InvoicePaid(_) | Fact::TelemetryEnabled(_) | Fact::TariffChanged(_) | Fact::InvoiceCorrected(_) => {
                None
            }
        };
        let Some((subject, date, reminder)) = reminder else { return Ok(vec![]) };
        let settings = self.tenants.settings(&event.tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        let days = match reminder {
            Reminder::Invoice => settings.invoice_notice_days,
            Reminder::Instalment => settings.plan_reminder_days,
        };
        let invalid =
            |e: jiff::Error| Error::rejected(RejectionCode::InvalidField, format!("no send time for {date}: {e}"));
        let (local, instant) = settings.send_time(date, days).map_err(invalid)?;
        let now = self.clock.now();
        let job = job(subject);
        if instant > now {
            let name = job
                .subject
                .schedule_name(&job.tenant_id, &job.contract_id)
                .unwrap_or_else(|| job.notice_id.to_string());
            return Ok(vec![Planned::At(ScheduledJob {
                name,
                at: local,
                time_zone: settings.time_zone.as_str().to_owned(),
                job: Scheduled::Compose(ComposeMessage::Notice(job)),
            })]);
        }
        // Late (the event came after the send time): at once while the date is still ahead.
        let today = now.to_zoned(settings.time_zone.zone()).date();
        Ok(if date >= today { vec![Planned::Now(job)] } else { vec![] })
    }
}

enum Reminder {
    Invoice,
    Instalment,
}

mod held_jobs;
mod prefetched;
pub use held_jobs::HeldJobs;
pub use prefetched::PrefetchedHolders;

#[cfg(test)]
mod tests;
