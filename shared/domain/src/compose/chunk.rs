//! One chunk of a send to many people (an outage alert's, an announcement's), composed by one
//! invocation: each citizen's notice on its own, so one that fails never holds back the others;
//! the deliveries queued together; and a tally of what the chunk did, counted into its send once.

use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use super::{Compose, Composed, DeferredDispatch};
use crate::error::{Error, RejectionCode};
use crate::ids::TenantId;
use crate::ports::{RejectedMessage, RejectionLog};
use crate::queues::ComposeJob;
use crate::sends::{ChunkTally, SendLog, SendRecord};

/// Notices composed at once within a chunk.
const IN_FLIGHT: usize = 16;

/// What composing a chunk's notices needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub(crate) struct ChunkOfSend<'a> {
    /// With the recipients of the chunk's kind of notice.
    pub compose: Compose<'a>,
    /// Where a citizen's notice that cannot be written is recorded, with why.
    pub rejections: &'a dyn RejectionLog,
    /// Who recorded such a failure (`outage-alert`, `announcement`).
    pub source: &'static str,
    pub send_id: &'a str,
}

impl ChunkOfSend<'_> {
    /// Composes every job, adding what each did to `tally`, and queues the written notices'
    /// deliveries ten to a request. The first retryable error is returned after that: the retry
    /// finds the others written, and a delivery queued twice is harmless.
    pub(crate) async fn compose_all(&self, jobs: Vec<ComposeJob>, tally: &mut ChunkTally) -> Result<(), Error> {
        tally.recipients += jobs.len() as u64;
        let deliveries = DeferredDispatch::new(self.compose.dispatch);
        let compose = Compose { dispatch: &deliveries, ..self.compose };
        let compose = &compose;
        let composed: Vec<(ComposeJob, Result<Composed, Error>)> = stream::iter(jobs)
            .map(|job| async move {
                let outcome = compose.handle(&job).await;
                (job, outcome)
            })
            .buffered(IN_FLIGHT)
            .collect()
            .await;
        let mut retry = None;
        for (job, outcome) in composed {
            let channels = match outcome {
                Ok(Composed::New { channels } | Composed::AlreadyComposed { channels }) => channels,
                Ok(Composed::NotApplicable { .. }) => {
                    tally.not_applicable += 1;
                    continue;
                }
                Err(error) if error.is_retryable() => {
                    retry.get_or_insert(error);
                    continue;
                }
                Err(error) => {
                    // A contract the tenant does not have is nobody to count among the recipients.
                    if matches!(&error, Error::Rejected(r) if r.code == RejectionCode::UnknownContract) {
                        tally.recipients = tally.recipients.saturating_sub(1);
                    }
                    *tally.failed.entry(reason_code(&error)).or_insert(0) += 1;
                    self.record_failure(&job, error).await?;
                    continue;
                }
            };
            if channels.is_empty() {
                tally.unreachable += 1;
            }
            for channel in channels {
                *tally.composed.entry(channel).or_insert(0) += 1;
            }
        }
        // Queued before the chunk counts as done, and even when it is retried.
        self.compose.dispatch.enqueue_all(&deliveries.take()).await?;
        retry.map_or(Ok(()), Err)
    }

    /// Adds the chunk's tally to its send, once per part: the send as it stands after.
    pub(crate) async fn count(
        &self,
        sends: &dyn SendLog,
        tenant_id: &TenantId,
        part: u32,
        tally: &ChunkTally,
        at: Timestamp,
    ) -> Result<SendRecord, Error> {
        let record = sends.chunk_done(tenant_id, self.send_id, part, &tally.counts(), at).await?;
        record.ok_or_else(|| {
            Error::rejected(RejectionCode::NotFound, format!("chunk {part} of a send never started: {}", self.send_id))
        })
    }

    /// Records why one citizen's notice could not be written, against that citizen's notice.
    async fn record_failure(&self, job: &ComposeJob, error: Error) -> Result<(), Error> {
        let rejection = match error {
            Error::Rejected(rejection) => rejection,
            other => crate::Rejection::new(RejectionCode::RenderFailed, other.to_string()),
        };
        let rejected = RejectedMessage {
            body: rejection.code.redrivable().then(|| serde_json::to_string(job).unwrap_or_default()),
            redriven_at: None,
            source: self.source.to_owned(),
            message_id: job.notice_id.to_string(),
            tenant_id: Some(job.tenant_id.to_string()),
            event_id: Some(format!("{}/{}", self.send_id, job.contract_id)),
            rejection,
            at: self.compose.clock.now(),
        };
        Ok(self.rejections.record(&rejected).await?)
    }
}

/// A refusal's stable code, as the send's status counts it.
fn reason_code(error: &Error) -> String {
    let code = match error {
        Error::Rejected(rejection) => rejection.code,
        _ => RejectionCode::RenderFailed,
    };
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
