//! Deliveries held back while many notices are composed, then queued together: ten to a request
//! instead of one request each.

use std::sync::Mutex;

use async_trait::async_trait;
use jiff::SignedDuration;

use crate::PortError;
use crate::ports::DispatchQueue;
use crate::queues::DeliveryJob;

/// Keeps what is enqueued until [`DeferredDispatch::take`]; a delayed delivery goes at once (it
/// waits on the queue, not here).
#[allow(missing_debug_implementations)] // trait objects only
pub struct DeferredDispatch<'a> {
    queue: &'a dyn DispatchQueue,
    held: Mutex<Vec<DeliveryJob>>,
}

impl<'a> DeferredDispatch<'a> {
    pub fn new(queue: &'a dyn DispatchQueue) -> Self {
        Self { queue, held: Mutex::new(Vec::new()) }
    }

    /// How many deliveries are held.
    pub fn held_count(&self) -> usize {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Everything held so far, in the order it was enqueued.
    pub fn take(&self) -> Vec<DeliveryJob> {
        std::mem::take(&mut *self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[async_trait]
impl DispatchQueue for DeferredDispatch<'_> {
    async fn enqueue(&self, job: &DeliveryJob) -> Result<(), PortError> {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(job.clone());
        Ok(())
    }

    async fn enqueue_after(&self, job: &DeliveryJob, delay: SignedDuration) -> Result<(), PortError> {
        self.queue.enqueue_after(job, delay).await
    }
}
