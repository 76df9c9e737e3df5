//! Applying a billing event: exactly once, to the contract's state, with the notices it calls for.

use jiff::SignedDuration;

use crate::account::{ContractHolder, CustomerProfile, Invoice};
use crate::billing::{BillingEvent, BillingPayload};
use crate::clock::Clock;
use crate::error::{Error, RejectionCode};
use crate::notice::{ComposeJob, NoticeSubject};
use crate::ports::{AccountStore, Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue};

/// Longer than the function's timeout, so a live holder never loses its claim.
pub const EVENT_LEASE: SignedDuration = SignedDuration::from_secs(120);

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
    pub async fn handle(&self, event: &BillingEvent) -> Result<Ingested, Error> {
        let key = ClaimKey::Event { tenant_id: event.tenant_id.clone(), event_id: event.event_id.clone() };
        match self.claims.acquire(&key, self.clock.now(), EVENT_LEASE).await? {
            Claim::Completed => return Ok(Ingested::Duplicate),
            Claim::HeldElsewhere => return Err(Error::InProgress { key: event.event_id.to_string() }),
            Claim::Acquired => {}
        }
        match self.apply(event).await {
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

    /// Applies the event; returns how many compose jobs it enqueued. Each write is idempotent, so
    /// an attempt that failed half-way can be retried whole.
    async fn apply(&self, event: &BillingEvent) -> Result<usize, Error> {
        let tenant_id = &event.tenant_id;
        match &event.payload {
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
                Ok(0)
            }
            BillingPayload::InvoiceIssued(data) => {
                if self.accounts.holder(tenant_id, &event.contract_id).await?.is_none() {
                    return Err(Error::rejected(
                        RejectionCode::UnknownContract,
                        format!("contract {} has no customer.upserted yet; send that first", event.contract_id),
                    ));
                }
                self.accounts.put_invoice(&Invoice::from_event(tenant_id, &event.contract_id, data)).await?;
                let subject = NoticeSubject::InvoiceAvailable { invoice_number: data.number.clone() };
                let job =
                    ComposeJob::new(tenant_id.clone(), event.contract_id.clone(), subject, event.event_id.clone());
                self.compose.enqueue(&job).await?;
                Ok(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, Fakes};
    use crate::ports::ClaimOutcome;

    fn ingest(f: &Fakes) -> Ingest<'_> {
        Ingest { claims: &f.claims, accounts: &f.accounts, compose: &f.compose, clock: &f.clock }
    }

    #[tokio::test]
    async fn an_invoice_for_a_known_contract_is_stored_and_asks_for_one_notice() {
        // GIVEN a known customer
        let f = Fakes::default();
        ingest(&f).handle(&fakes::customer_event("evt-c")).await.unwrap();
        // WHEN their invoice arrives
        let outcome = ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap();
        // THEN it is stored and one compose job is queued
        assert_eq!(outcome, Ingested::Applied { compose_jobs: 1 });
        assert_eq!(f.compose.jobs().len(), 1);
        assert_eq!(f.accounts.invoice_count(), 1);
    }

    #[tokio::test]
    async fn a_redelivered_event_is_acknowledged_without_applying_it_again() {
        let f = Fakes::default();
        ingest(&f).handle(&fakes::customer_event("evt-c")).await.unwrap();
        ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap();
        let again = ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap();
        assert_eq!(again, Ingested::Duplicate);
        assert_eq!(f.compose.jobs().len(), 1);
    }

    #[tokio::test]
    async fn an_invoice_for_an_unknown_contract_is_rejected_and_remembered() {
        let f = Fakes::default();
        let err = ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("unknown_contract"), "{err}");
        assert!(matches!(f.claims.outcome_of("evt-i"), Some(ClaimOutcome::Rejected(_))));
        assert!(f.compose.jobs().is_empty());
    }

    #[tokio::test]
    async fn a_failing_queue_releases_the_claim_so_the_retry_applies_the_event() {
        let f = Fakes::default();
        ingest(&f).handle(&fakes::customer_event("evt-c")).await.unwrap();
        f.compose.fail_next_transiently();
        let err = ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap_err();
        assert!(err.is_retryable());
        let retry = ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap();
        assert_eq!(retry, Ingested::Applied { compose_jobs: 1 });
    }

    #[tokio::test]
    async fn an_event_claimed_by_another_invocation_is_retried_later() {
        let f = Fakes::default();
        ingest(&f).handle(&fakes::customer_event("evt-c")).await.unwrap();
        let key =
            ClaimKey::Event { tenant_id: fakes::tenant(), event_id: crate::ids::EventId::parse("evt-i").unwrap() };
        f.claims.acquire(&key, f.clock.now(), EVENT_LEASE).await.unwrap();
        let err = ingest(&f).handle(&fakes::invoice_event("evt-i")).await.unwrap_err();
        assert!(matches!(err, Error::InProgress { .. }));
        assert!(f.compose.jobs().is_empty());
    }
}
