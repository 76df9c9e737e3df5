//! A billing batch's compose jobs, queued together after it (ten to a request instead of a
//! request each), and the claims of the events that asked for them completed only once they are
//! queued: an event is never recorded as applied while its notices could still be lost. When the
//! queueing fails, those events' claims are given back and their records retried; applying an
//! event again is safe, as every write of it is idempotent, and a job queued twice stops at the
//! composer's conditional create.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::error::PortError;
use crate::ports::{Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue, Held, Release};
use crate::queues::ComposeJob;

#[allow(missing_debug_implementations)] // trait objects only
pub struct HeldJobs<'a> {
    queue: &'a dyn ComposeQueue,
    claims: &'a dyn Claims,
    jobs: Mutex<Vec<ComposeJob>>,
    /// Claims taken and not yet completed, with how many jobs were held when each was taken.
    taken: Mutex<Vec<(ClaimKey, Held, usize)>>,
    /// Events whose jobs are held, in the order they were applied: completed once those are queued.
    waiting: Mutex<Vec<Waiting>>,
}

struct Waiting {
    key: ClaimKey,
    held: Held,
    at: Timestamp,
    outcome: ClaimOutcome,
}

/// Poisoned only by a panic between two pushes, which leaves the list whole.
fn locked<T>(list: &Mutex<T>) -> MutexGuard<'_, T> {
    list.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a> HeldJobs<'a> {
    pub fn new(queue: &'a dyn ComposeQueue, claims: &'a dyn Claims) -> Self {
        Self {
            queue,
            claims,
            jobs: Mutex::new(Vec::new()),
            taken: Mutex::new(Vec::new()),
            waiting: Mutex::new(Vec::new()),
        }
    }

    /// How many applied events wait for their jobs to be queued.
    pub fn waiting_count(&self) -> usize {
        locked(&self.waiting).len()
    }

    /// Queues the held jobs, then completes the claims of the events that asked for them. Returns
    /// the positions (in the order they began waiting) of the events to retry, and why: every
    /// waiting one when the jobs could not be queued (their claims given back), else those whose
    /// completion failed (their claims stay taken until the lease ends, as a completion that
    /// fails in [`crate::once::Once`] leaves them).
    pub async fn queue_then_complete(&self) -> Vec<(usize, String)> {
        let jobs = std::mem::take(&mut *locked(&self.jobs));
        let waiting = std::mem::take(&mut *locked(&self.waiting));
        if let Err(error) = self.queue.enqueue_all(&jobs).await {
            let why = format!("the batch's compose jobs could not be queued: {}", error.chain());
            tracing::warn!(events = waiting.len(), error = %error.chain(), "the batch's compose jobs could not be queued: their events are retried");
            for event in &waiting {
                if let Err(error) = self.claims.release(&event.key, &event.held, Release::NotDone).await {
                    tracing::warn!(key = %event.key, error = %error.chain(), "claim not given back: taken again when its lease ends");
                }
            }
            return (0..waiting.len()).map(|position| (position, why.clone())).collect();
        }
        let (applied, other): (Vec<_>, Vec<_>) =
            waiting.iter().enumerate().partition(|(_, event)| event.outcome == ClaimOutcome::Applied);
        let mut retry = Vec::new();
        if let Some(at) = applied.iter().map(|(_, event)| event.at).max() {
            let keys: Vec<ClaimKey> = applied.iter().map(|(_, event)| event.key.clone()).collect();
            if let Err(error) = self.claims.complete_applied(&keys, at).await {
                tracing::warn!(events = keys.len(), error = %error.chain(), "jobs queued, claims not all completed: the events are retried");
                let why = format!("jobs queued, the event not recorded as applied: {}", error.chain());
                retry.extend(applied.iter().map(|(position, _)| (*position, why.clone())));
            }
        }
        for (position, event) in other {
            if let Err(error) = self.claims.complete(&event.key, event.at, &event.outcome).await {
                tracing::warn!(key = %event.key, error = %error.chain(), "jobs queued, claim not completed: the event is retried");
                retry.push((position, format!("jobs queued, the event not recorded as done: {}", error.chain())));
            }
        }
        retry.sort_unstable();
        retry
    }
}

#[async_trait]
impl ComposeQueue for HeldJobs<'_> {
    async fn enqueue(&self, job: &ComposeJob) -> Result<(), PortError> {
        locked(&self.jobs).push(job.clone());
        Ok(())
    }
}

#[async_trait]
impl Claims for HeldJobs<'_> {
    async fn acquire(
        &self,
        key: &ClaimKey,
        now: Timestamp,
        lease: SignedDuration,
        retake_rejected: bool,
    ) -> Result<Claim, PortError> {
        // The same event twice in a batch: the first's jobs are held, and if they cannot be
        // queued the first is retried, so the second has nothing to do either way.
        if locked(&self.waiting).iter().any(|event| &event.key == key) {
            return Ok(Claim::Completed);
        }
        let claim = self.claims.acquire(key, now, lease, retake_rejected).await?;
        if let Claim::Acquired(held) = &claim {
            let jobs_held = locked(&self.jobs).len();
            locked(&self.taken).push((key.clone(), held.clone(), jobs_held));
        }
        Ok(claim)
    }

    /// Held back while the event's own jobs are: completed by [`HeldJobs::queue_then_complete`].
    async fn complete(&self, key: &ClaimKey, now: Timestamp, outcome: &ClaimOutcome) -> Result<(), PortError> {
        let Some((held, jobs_before)) = self.take(key) else {
            return self.claims.complete(key, now, outcome).await;
        };
        if locked(&self.jobs).len() == jobs_before {
            return self.claims.complete(key, now, outcome).await;
        }
        let waiting = Waiting { key: key.clone(), held, at: now, outcome: outcome.clone() };
        locked(&self.waiting).push(waiting);
        Ok(())
    }

    async fn release(&self, key: &ClaimKey, held: &Held, how: Release<'_>) -> Result<(), PortError> {
        // An event given back asked for nothing: what it held before failing is not queued.
        if let Some((_, jobs_before)) = self.take(key) {
            locked(&self.jobs).truncate(jobs_before);
        }
        self.claims.release(key, held, how).await
    }
}

impl HeldJobs<'_> {
    /// The claim taken for `key`, and how many jobs were held when it was.
    fn take(&self, key: &ClaimKey) -> Option<(Held, usize)> {
        let mut taken = locked(&self.taken);
        let position = taken.iter().position(|(taken_key, _, _)| taken_key == key)?;
        let (_, held, jobs_before) = taken.remove(position);
        Some((held, jobs_before))
    }
}
