//! Side effects taken once: claim the business key, do the work, record how it ended — the one
//! discipline behind applying a billing event, answering a chat message and sending a message.

use jiff::SignedDuration;

use crate::clock::Clock;
use crate::error::{Error, PortError};
use crate::ports::{Claim, ClaimKey, ClaimOutcome, Claims, Held, Release};

/// Claims, and the clock their leases are measured by.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Once<'a> {
    pub claims: &'a dyn Claims,
    pub clock: &'a dyn Clock,
}

impl Once<'_> {
    /// The key, ours until `lease` ends; `None` when its work was done before. Another holder's
    /// unexpired lease is an error worth retrying.
    pub async fn take(
        &self,
        key: &ClaimKey,
        lease: SignedDuration,
        retake_rejected: bool,
    ) -> Result<Option<Held>, Error> {
        match self.claims.acquire(key, self.clock.now(), lease, retake_rejected).await? {
            Claim::Acquired(held) => Ok(Some(held)),
            Claim::Completed => Ok(None),
            Claim::HeldElsewhere => Err(Error::InProgress { key: key.to_string() }),
        }
    }

    /// Records how the work ended.
    pub async fn finish(&self, key: &ClaimKey, outcome: &ClaimOutcome) -> Result<(), PortError> {
        self.claims.complete(key, self.clock.now(), outcome).await
    }

    /// Gives the key back after `error`, telling the next attempt whether the work may have been
    /// done (an answer lost on the way back).
    pub async fn give_back(&self, key: &ClaimKey, held: &Held, error: &Error) -> Result<(), PortError> {
        let why = match error {
            Error::Port(port) if port.maybe_applied() => Some(port.chain()),
            _ => None,
        };
        let how = why.as_deref().map_or(Release::NotDone, |why| Release::MaybeDone { why });
        self.claims.release(key, held, how).await
    }

    /// Runs `work` once for `key`: `None` when it was done before. A rejection is recorded and
    /// returned; any other error gives the key back for a retry. `work` must be safe to repeat
    /// whole (its writes idempotent), because a holder that died half-way is followed by another.
    pub async fn run<T>(
        &self,
        key: &ClaimKey,
        lease: SignedDuration,
        retake_rejected: bool,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<Option<T>, Error> {
        let Some(held) = self.take(key, lease, retake_rejected).await? else { return Ok(None) };
        match work.await {
            Ok(done) => {
                self.finish(key, &ClaimOutcome::Applied).await?;
                Ok(Some(done))
            }
            Err(Error::Rejected(rejection)) => {
                self.finish(key, &ClaimOutcome::Rejected(rejection.clone())).await?;
                Err(Error::Rejected(rejection))
            }
            Err(retryable) => {
                self.give_back(key, &held, &retryable).await?;
                Err(retryable)
            }
        }
    }
}

impl std::fmt::Display for ClaimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Event { tenant_id, event_id } => write!(f, "{tenant_id}/event/{event_id}"),
            Self::Delivery { tenant_id, notice_id, channel } => {
                write!(f, "{tenant_id}/notice/{notice_id}/{}", channel.as_str())
            }
            // WhatsApp's message ids encode the citizen's number; a key may reach a log line.
            Self::Inbound { tenant_id, message_id } => {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(message_id.as_bytes());
                write!(f, "{tenant_id}/inbound/{}", hex::encode(&digest[..6]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rejection;
    use crate::error::RejectionCode;
    use crate::fakes::{FixedClock, InMemoryClaims};
    use crate::ids::{EventId, TenantId};
    use crate::ports::Before;

    const LEASE: SignedDuration = SignedDuration::from_secs(60);

    #[test]
    fn an_inbound_message_key_prints_a_digest_never_the_message_id() {
        let key = ClaimKey::Inbound {
            tenant_id: TenantId::parse("aigues-reus").unwrap(),
            message_id: "wamid.HBgLMzQ2MDAxMTEwMDEVAgASGBQz".into(),
        };
        let shown = key.to_string();
        assert!(shown.starts_with("aigues-reus/inbound/") && !shown.contains("wamid"), "{shown}");
        assert!(!Error::InProgress { key: shown }.to_string().contains("HBgL"));
    }

    fn key() -> ClaimKey {
        ClaimKey::Event { tenant_id: TenantId::parse("t-1").unwrap(), event_id: EventId::parse("e-1").unwrap() }
    }

    fn lost_answer() -> Error {
        PortError::unknown("email.Send", std::io::Error::other("connection reset")).into()
    }

    #[tokio::test]
    async fn work_done_once_is_not_done_again() {
        let (claims, clock) = (InMemoryClaims::default(), FixedClock::default());
        let once = Once { claims: &claims, clock: &clock };
        assert_eq!(once.run(&key(), LEASE, false, async { Ok(1) }).await.unwrap(), Some(1));
        assert_eq!(once.run(&key(), LEASE, false, async { Ok(2) }).await.unwrap(), None);
    }

    #[tokio::test]
    async fn after_a_lost_answer_the_next_attempt_is_told_the_work_may_be_done() {
        // GIVEN work whose answer was lost
        let (claims, clock) = (InMemoryClaims::default(), FixedClock::default());
        let once = Once { claims: &claims, clock: &clock };
        let err = once.run(&key(), LEASE, false, async { Err::<(), _>(lost_answer()) }).await.unwrap_err();
        assert!(err.is_retryable());
        // WHEN the key is taken again
        let held = once.take(&key(), LEASE, false).await.unwrap().unwrap();
        // THEN the holder knows
        assert_eq!(held.before, Some(Before::OutcomeUnknown));
        assert!(held.before.is_some_and(Before::maybe_done));
    }

    #[tokio::test]
    async fn a_rejected_key_is_taken_again_only_when_its_input_comes_back_fixed() {
        let (claims, clock) = (InMemoryClaims::default(), FixedClock::default());
        let once = Once { claims: &claims, clock: &clock };
        let rejected = Rejection::new(RejectionCode::UnknownContract, "no customer yet");
        once.run(&key(), LEASE, true, async { Err::<(), _>(rejected.into()) }).await.unwrap_err();
        assert_eq!(once.take(&key(), LEASE, false).await.unwrap(), None, "a plain redelivery is a duplicate");
        let held = once.take(&key(), LEASE, true).await.unwrap().unwrap();
        assert_eq!(held.before, Some(Before::Rejected));
    }

    #[tokio::test]
    async fn a_key_held_by_a_live_holder_is_retried_later_and_taken_once_its_lease_ends() {
        let (claims, clock) = (InMemoryClaims::default(), FixedClock::default());
        let once = Once { claims: &claims, clock: &clock };
        once.take(&key(), LEASE, false).await.unwrap().unwrap();
        assert!(matches!(once.take(&key(), LEASE, false).await, Err(Error::InProgress { .. })));
        clock.advance(SignedDuration::from_secs(61));
        let held = once.take(&key(), LEASE, false).await.unwrap().unwrap();
        assert_eq!(held.before, Some(Before::LeaseExpired));
    }
}
