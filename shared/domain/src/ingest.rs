//! Applying a billing event: exactly once, to the contract's state, with the notices it calls for.

use jiff::SignedDuration;

use crate::account::{AccountFact, ContractHolder, CustomerProfile, Fact};
use crate::billing::{BillingEvent, BillingPayload};
use crate::clock::Clock;
use crate::error::{Error, RejectionCode};
use crate::notice::{ComposeJob, NoticeSubject};
use crate::ports::{AccountStore, Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue};

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
    pub clock: &'a dyn Clock,
}

impl Ingest<'_> {
    /// Ingests one event; `attempt` counts deliveries of this message, from 1.
    pub async fn handle(&self, event: &BillingEvent, attempt: u32) -> Result<Ingested, Error> {
        let key = ClaimKey::Event { tenant_id: event.tenant_id.clone(), event_id: event.event_id.clone() };
        match self.claims.acquire(&key, self.clock.now(), EVENT_LEASE).await? {
            Claim::Completed => return Ok(Ingested::Duplicate),
            Claim::HeldElsewhere => return Err(Error::InProgress { key: event.event_id.to_string() }),
            Claim::Acquired => {}
        }
        match self.apply(event, attempt).await {
            Ok(compose_jobs) => {
                self.claims.complete(&key, self.clock.now(), &ClaimOutcome::Applied).await?;
                Ok(Ingested::Applied { compose_jobs })
            }
            Err(Error::Rejected(rejection)) => {
                let outcome = ClaimOutcome::Rejected(rejection.clone());
                self.claims.complete(&key, self.clock.now(), &outcome).await?;
                Err(Error::Rejected(rejection))
            }
            Err(retryable) => {
                self.claims.release(&key).await?;
                Err(retryable)
            }
        }
    }

    /// Applies the event; returns how many compose jobs it enqueued. Every write is idempotent and
    /// order-independent, so an attempt that failed half-way can be retried whole.
    async fn apply(&self, event: &BillingEvent, attempt: u32) -> Result<usize, Error> {
        let tenant_id = &event.tenant_id;
        let fact = match &event.payload {
            BillingPayload::CustomerUpserted(data) => {
                let profile = CustomerProfile::from_event(tenant_id, data, event.occurred_at);
                self.accounts.upsert_customer(&profile).await?;
                let holder = ContractHolder {
                    tenant_id: tenant_id.clone(),
                    contract_id: event.contract_id.clone(),
                    customer_id: data.customer_id.clone(),
                    supply_point: data.supply_point.clone(),
                    as_of: event.occurred_at,
                };
                self.accounts.upsert_holder(&holder).await?;
                return Ok(0);
            }
            BillingPayload::InvoiceScheduled(data) => Fact::InvoiceScheduled(data.clone()),
            BillingPayload::InvoiceIssued(data) => Fact::InvoiceIssued(data.clone()),
            BillingPayload::InvoicePaid(data) => Fact::InvoicePaid(data.clone()),
            BillingPayload::DirectDebitReturned(data) => Fact::DebitReturned(data.clone()),
            BillingPayload::PaymentPlanUpdated(data) => Fact::PlanUpdated(data.clone()),
            BillingPayload::TelemetryEnabled(data) => Fact::TelemetryEnabled(data.clone()),
            BillingPayload::TariffChanged(data) => Fact::TariffChanged(data.clone()),
        };
        if self.accounts.holder(tenant_id, &event.contract_id).await?.is_none() {
            let reason = format!("contract {} has no customer.upserted yet", event.contract_id);
            if attempt < UNKNOWN_CONTRACT_ATTEMPTS {
                return Err(Error::Deferred { reason });
            }
            return Err(Error::rejected(
                RejectionCode::UnknownContract,
                format!("{reason}; send that first, then this event again"),
            ));
        }
        let compose_job = match &fact {
            Fact::InvoiceIssued(data) => Some(NoticeSubject::InvoiceAvailable { invoice_number: data.number.clone() }),
            _ => None,
        };
        let fact = AccountFact {
            tenant_id: tenant_id.clone(),
            contract_id: event.contract_id.clone(),
            as_of: event.occurred_at,
            fact,
        };
        self.accounts.record_fact(&fact).await?;
        let Some(subject) = compose_job else { return Ok(0) };
        let job = ComposeJob::new(tenant_id.clone(), event.contract_id.clone(), subject, event.event_id.clone());
        self.compose.enqueue(&job).await?;
        Ok(1)
    }
}

#[cfg(test)]
mod tests;
