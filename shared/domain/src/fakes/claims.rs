//! In-memory claims: the idempotency keys, with the outcomes and releases the adapter keeps.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;

#[derive(Debug, Clone)]
enum ClaimState {
    Held { until: Timestamp, token: String },
    Done(ClaimOutcome),
    Released { maybe_done: bool },
}

#[derive(Debug, Default)]
pub struct InMemoryClaims(
    Mutex<HashMap<ClaimKey, ClaimState>>,
    std::sync::atomic::AtomicU64,
    std::sync::atomic::AtomicBool,
    /// Requests that completed claims: one per `complete`, one per `complete_applied`.
    std::sync::atomic::AtomicUsize,
);

impl InMemoryClaims {
    /// The next `complete` fails as a throttled write would.
    pub fn fail_next_complete(&self) {
        self.2.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many requests completed claims (a batch of them counts once).
    pub fn completion_requests(&self) -> usize {
        self.3.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether nothing was ever claimed.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap().is_empty()
    }

    /// The recorded outcome of a billing event's claim, by event id.
    pub fn outcome_of(&self, event_id: &str) -> Option<ClaimOutcome> {
        self.0.lock().unwrap().iter().find_map(|(key, state)| match (key, state) {
            (ClaimKey::Event { event_id: id, .. }, ClaimState::Done(outcome)) if id.as_str() == event_id => {
                Some(outcome.clone())
            }
            _ => None,
        })
    }

    /// How the delivery of `channel` ended, for every notice that has one.
    pub fn delivery_outcomes(&self, channel: Channel) -> Vec<ClaimOutcome> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(key, state)| match (key, state) {
                (ClaimKey::Delivery { channel: c, .. }, ClaimState::Done(outcome)) if *c == channel => {
                    Some(outcome.clone())
                }
                _ => None,
            })
            .collect()
    }
}

impl InMemoryClaims {
    fn complete_all(&self, keys: &[ClaimKey], outcome: &ClaimOutcome) -> Result<(), PortError> {
        self.3.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.2.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(PortError::transient("complete", std::io::Error::other("ProvisionedThroughputExceeded")));
        }
        let mut claims = self.0.lock().unwrap();
        claims.extend(keys.iter().map(|key| (key.clone(), ClaimState::Done(outcome.clone()))));
        Ok(())
    }
}

#[async_trait]
impl Claims for InMemoryClaims {
    async fn acquire(
        &self,
        key: &ClaimKey,
        now: Timestamp,
        lease: SignedDuration,
        retake_rejected: bool,
    ) -> Result<Claim, PortError> {
        let mut claims = self.0.lock().unwrap();
        let before = match claims.get(key) {
            None => None,
            Some(ClaimState::Done(ClaimOutcome::Rejected(_))) if retake_rejected => Some(Before::Rejected),
            Some(ClaimState::Done(_)) => return Ok(Claim::Completed),
            Some(ClaimState::Held { until, .. }) if *until > now => return Ok(Claim::HeldElsewhere),
            Some(ClaimState::Held { .. }) => Some(Before::LeaseExpired),
            Some(ClaimState::Released { maybe_done: true }) => Some(Before::OutcomeUnknown),
            Some(ClaimState::Released { maybe_done: false }) => Some(Before::Released),
        };
        let token = self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst).to_string();
        claims.insert(key.clone(), ClaimState::Held { until: now.checked_add(lease).unwrap(), token: token.clone() });
        Ok(Claim::Acquired(Held { token, before }))
    }

    async fn complete(&self, key: &ClaimKey, _now: Timestamp, outcome: &ClaimOutcome) -> Result<(), PortError> {
        self.complete_all(std::slice::from_ref(key), outcome)
    }

    async fn complete_applied(&self, keys: &[ClaimKey], _now: Timestamp) -> Result<(), PortError> {
        self.complete_all(keys, &ClaimOutcome::Applied)
    }

    async fn release(&self, key: &ClaimKey, held: &Held, how: Release<'_>) -> Result<(), PortError> {
        let mut claims = self.0.lock().unwrap();
        if let Some(ClaimState::Held { token, .. }) = claims.get(key)
            && *token == held.token
        {
            let maybe_done = matches!(how, Release::MaybeDone { .. });
            claims.insert(key.clone(), ClaimState::Released { maybe_done });
        }
        Ok(())
    }
}
