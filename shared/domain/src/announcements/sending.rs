//! Composing one chunk of an announcement's send.

use super::{AnnouncementRecipients, AnnouncementStore};
use crate::compose::{ChunkOfSend, Compose, Prefetched};
use crate::error::{Error, RejectionCode};
use crate::ids::EventId;
use crate::notice::NoticeSubject;
use crate::ports::{AccountStore, RejectionLog};
use crate::queues::{AnnouncementChunk, ComposeJob, announcement_send_id};
use crate::sends::{ChunkTally, SendLog, SendRecord};

/// The ports composing an announcement's chunks needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct AnnouncementSends<'a> {
    pub compose: Compose<'a>,
    pub announcements: &'a dyn AnnouncementStore,
    pub accounts: &'a dyn AccountStore,
    /// Where a citizen's notice that cannot be written is recorded, with why.
    pub rejections: &'a dyn RejectionLog,
    pub sends: &'a dyn SendLog,
}

impl AnnouncementSends<'_> {
    /// Composes one notice per contract of the chunk and adds the chunk's tally to the send. A
    /// retried chunk composes nobody twice and counts once.
    pub async fn compose_chunk(&self, chunk: &AnnouncementChunk) -> Result<(ChunkTally, SendRecord), Error> {
        let id = &chunk.announcement_id;
        let announcement = self
            .announcements
            .announcement(&chunk.tenant_id, id)
            .await?
            .ok_or_else(|| Error::rejected(RejectionCode::NotFound, format!("announcement {id} is not known")))?;
        let read =
            Prefetched::read(self.accounts, self.compose.suppressions, &chunk.tenant_id, &chunk.contracts).await?;
        let recipients =
            AnnouncementRecipients { announcements: self.announcements, accounts: &read, known: Some(&announcement) };
        let send_id = announcement_send_id(id);
        let of_send = ChunkOfSend {
            compose: Compose { recipients: &recipients, suppressions: &read, ..self.compose },
            rejections: self.rejections,
            source: "announcement",
            send_id: &send_id,
        };
        let cause = EventId::parse(&send_id.replace('/', ":"))
            .map_err(|e| Error::rejected(RejectionCode::InvalidField, format!("announcement id {id}: {e}")))?;
        let jobs = chunk
            .contracts
            .iter()
            .map(|contract_id| {
                let subject = NoticeSubject::Announcement { announcement_id: id.clone() };
                ComposeJob::new(chunk.tenant_id.clone(), contract_id.clone(), subject, cause.clone())
            })
            .collect();
        let mut tally = ChunkTally { contracts: chunk.contracts.len() as u64, ..ChunkTally::default() };
        of_send.compose_all(jobs, &mut tally).await?;
        let record = of_send.count(self.sends, &chunk.tenant_id, chunk.part, &tally, self.compose.clock.now()).await?;
        Ok((tally, record))
    }
}
