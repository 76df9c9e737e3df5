//! In-memory queues: what was enqueued, in order, and how many requests a real queue would have answered.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// A queue that keeps what was enqueued, and can be told to fail once.
#[derive(Debug)]
pub struct InMemoryQueue<J> {
    jobs: Mutex<Vec<J>>,
    delays: Mutex<Vec<SignedDuration>>,
    fail_next: Mutex<bool>,
    /// Requests a real queue would have answered (SQS takes up to ten messages in one).
    requests: Mutex<usize>,
}

impl<J> Default for InMemoryQueue<J> {
    fn default() -> Self {
        Self {
            jobs: Mutex::new(Vec::new()),
            delays: Mutex::new(Vec::new()),
            fail_next: Mutex::new(false),
            requests: Mutex::new(0),
        }
    }
}

impl<J: Clone> InMemoryQueue<J> {
    pub fn jobs(&self) -> Vec<J> {
        self.jobs.lock().unwrap().clone()
    }

    /// The delays of the jobs put back to wait, in order.
    pub fn delays(&self) -> Vec<SignedDuration> {
        self.delays.lock().unwrap().clone()
    }

    /// Takes every job out, as a consumer of the queue does.
    pub fn drain(&self) -> Vec<J> {
        std::mem::take(&mut *self.jobs.lock().unwrap())
    }

    pub fn fail_next_transiently(&self) {
        *self.fail_next.lock().unwrap() = true;
    }

    /// How many requests the jobs so far took: one each, or one per ten put together.
    pub fn requests(&self) -> usize {
        *self.requests.lock().unwrap()
    }

    fn push_all(&self, jobs: &[J]) -> Result<(), PortError> {
        *self.requests.lock().unwrap() += jobs.len().div_ceil(10);
        jobs.iter().try_for_each(|job| self.push_one(job))
    }

    fn push(&self, job: &J) -> Result<(), PortError> {
        *self.requests.lock().unwrap() += 1;
        self.push_one(job)
    }

    fn push_one(&self, job: &J) -> Result<(), PortError> {
        if std::mem::take(&mut *self.fail_next.lock().unwrap()) {
            return Err(PortError::transient("enqueue", std::io::Error::other("queue unavailable")));
        }
        self.jobs.lock().unwrap().push(job.clone());
        Ok(())
    }
}

#[async_trait]
impl ComposeQueue for InMemoryQueue<ComposeJob> {
    async fn enqueue(&self, job: &ComposeJob) -> Result<(), PortError> {
        self.push(job)
    }

    async fn enqueue_all(&self, jobs: &[ComposeJob]) -> Result<(), PortError> {
        self.push_all(jobs)
    }
}

#[async_trait]
impl crate::ports::ChunkQueue for InMemoryQueue<ComposeMessage> {
    async fn enqueue_chunks(&self, chunks: &[ComposeMessage]) -> Result<(), PortError> {
        self.push_all(chunks)
    }
}

#[async_trait]
impl DispatchQueue for InMemoryQueue<DeliveryJob> {
    async fn enqueue(&self, job: &DeliveryJob) -> Result<(), PortError> {
        self.push(job)
    }

    async fn enqueue_all(&self, jobs: &[DeliveryJob]) -> Result<(), PortError> {
        self.push_all(jobs)
    }

    async fn enqueue_after(&self, job: &DeliveryJob, delay: SignedDuration) -> Result<(), PortError> {
        self.push(job)?;
        self.delays.lock().unwrap().push(delay);
        Ok(())
    }
}

#[async_trait]
impl crate::chat::ports::ChatJobs for InMemoryQueue<crate::queues::ChatJob> {
    async fn send(&self, job: &crate::queues::ChatJob) -> Result<(), PortError> {
        self.push(job)
    }
}
