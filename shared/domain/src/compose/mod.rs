//! Composing a notice: who it is for, on which channels, in which language, with what content.

mod chunk;
mod deferred;
mod fit;
mod messages;
mod prefetched;
mod preview;
mod recipient;
mod subjects;

pub(crate) use chunk::ChunkOfSend;
pub use deferred::DeferredDispatch;
pub(crate) use fit::{Fit, render_fitting};
pub use prefetched::Prefetched;
pub use preview::{contract_values, preview_notice};
pub use recipient::{AccountHolders, BySubject, Recipient, Recipients, customer_profile, unknown_contract};
pub use subjects::MAX_ATTACHMENT_BYTES;

use crate::applies::{Applies, applies_or_return};
use crate::channel::Channel;
use crate::clock::Clock;
use crate::error::Error;
use crate::notice::{Destination, Notice};
use crate::ports::{DispatchQueue, NoticeRenderer, NoticeStore, Suppressions, TenantDirectory};
use crate::print::{PrintLetter, PrintQueue};
use crate::queues::{ComposeJob, DeliveryJob};
use crate::tenant::TenantSettings;
use messages::{Writer, Written};

/// What composing one job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    New {
        channels: Vec<Channel>,
    },
    /// The notice existed (a redelivered job): its deliveries were queued again, which the
    /// dispatcher's claims make harmless.
    AlreadyComposed {
        channels: Vec<Channel>,
    },
    /// A reminder whose reason went away before it fired (paid, rescheduled…): nothing is sent.
    NotApplicable {
        reason: String,
    },
}

/// The ports composing needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Compose<'a> {
    /// Who each kind of notice is for.
    pub recipients: &'a dyn Recipients,
    pub notices: &'a dyn NoticeStore,
    pub renderer: &'a dyn NoticeRenderer,
    pub dispatch: &'a dyn DispatchQueue,
    pub suppressions: &'a dyn Suppressions,
    pub tenants: &'a dyn TenantDirectory,
    /// Where letters wait for the night's print batch.
    pub print: &'a dyn PrintQueue,
    pub clock: &'a dyn Clock,
    /// The deployment's settings, for tenants with none of their own.
    pub defaults: &'a TenantSettings,
}

impl Compose<'_> {
    pub async fn handle(&self, job: &ComposeJob) -> Result<Composed, Error> {
        // Nearly every job is new: it is drafted first and the conditional create tells a retry
        // apart, instead of a read before every draft (a request per notice).
        let not_drafted = match self.drafter().draft(job).await {
            Ok(Applies::Yes(notice)) => return self.record(job, &notice).await,
            Ok(Applies::No(reason)) => Ok(Composed::NotApplicable { reason }),
            Err(error) => Err(error),
        };
        // A retry of a notice recorded before its account moved on delivers what was recorded.
        if let Some(existing) = self.notices.notice(&job.tenant_id, &job.notice_id).await? {
            let channels = self.enqueue_deliveries(&existing).await?;
            return Ok(Composed::AlreadyComposed { channels });
        }
        not_drafted
    }

    /// Records the drafted notice unless another invocation did first, and queues its deliveries.
    async fn record(&self, job: &ComposeJob, notice: &Notice) -> Result<Composed, Error> {
        if !self.notices.create(notice).await? {
            // Another invocation composed it first; deliver what was recorded.
            let recorded = self.notices.notice(&job.tenant_id, &job.notice_id).await?;
            let recorded = recorded.ok_or_else(|| Error::InProgress { key: job.notice_id.to_string() })?;
            let channels = self.enqueue_deliveries(&recorded).await?;
            return Ok(Composed::AlreadyComposed { channels });
        }
        let channels = self.enqueue_deliveries(notice).await?;
        Ok(Composed::New { channels })
    }

    /// What writes the notice, reading only.
    pub fn drafter(&self) -> Drafter<'_> {
        Drafter {
            recipients: self.recipients,
            notices: self.notices,
            renderer: self.renderer,
            suppressions: self.suppressions,
            tenants: self.tenants,
            clock: self.clock,
            defaults: self.defaults,
        }
    }

    /// Queues one delivery job per electronic channel, and the letter for paper. Safe to repeat.
    async fn enqueue_deliveries(&self, notice: &Notice) -> Result<Vec<Channel>, Error> {
        for message in notice.messages.iter().filter(|m| m.destination.channel() == Channel::Paper) {
            let (Destination::Paper(postal_address), Some(contract_id)) = (&message.destination, &notice.contract_id)
            else {
                continue;
            };
            let letter = PrintLetter {
                tenant_id: notice.tenant_id.clone(),
                notice_id: notice.notice_id.clone(),
                contract_id: contract_id.clone(),
                kind: notice.kind,
                locale: notice.locale,
                recipient: notice.recipient.clone().unwrap_or_default(),
                postal_address: postal_address.clone(),
                document: message.attachment.clone(),
                subject: message.content.as_ref().and_then(|c| c.subject.clone()),
                body: message.content.as_ref().map(|c| c.text.clone()),
                queued_on: notice.created_at.to_zoned(jiff::tz::TimeZone::UTC).date(),
            };
            self.print.add(&letter).await?;
        }
        let channels: Vec<Channel> = notice.electronic_channels().collect();
        let jobs: Vec<DeliveryJob> = channels
            .iter()
            .map(|channel| {
                DeliveryJob::new(notice.tenant_id.clone(), notice.notice_id.clone(), *channel, notice.kind.urgent())
            })
            .collect();
        self.dispatch.enqueue_all(&jobs).await?;
        Ok(channels)
    }
}

/// Writes a notice without recording or sending it: what composing records, and what a billing
/// run's preview shows.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Drafter<'a> {
    pub recipients: &'a dyn Recipients,
    /// Read only: a fallback looks at the channels its original used.
    pub notices: &'a dyn NoticeStore,
    pub renderer: &'a dyn NoticeRenderer,
    pub suppressions: &'a dyn Suppressions,
    pub tenants: &'a dyn TenantDirectory,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
}

impl Drafter<'_> {
    /// The notice, or why it no longer applies.
    pub async fn draft(&self, job: &ComposeJob) -> Result<Applies<Notice>, Error> {
        let settings = self.settings(job).await?;
        let recipient = applies_or_return!(self.recipients.recipient(job, &settings).await?);
        let locale = recipient.customer.language.unwrap_or(settings.default_locale);
        let writer = Writer { renderer: self.renderer, suppressions: self.suppressions, notices: self.notices };
        let Written { messages, reason, content_hash } =
            applies_or_return!(writer.write(job, &recipient, locale, &settings).await?);
        Ok(Applies::Yes(Notice {
            tenant_id: job.tenant_id.clone(),
            notice_id: job.notice_id.clone(),
            contract_id: Some(job.contract_id.clone()),
            kind: job.subject.kind(),
            locale,
            messages,
            channel_reason: reason,
            content_hash,
            cause: job.cause.clone(),
            created_at: self.clock.now(),
            subject: job.subject.clone(),
            fallback_of: job.fallback.as_ref().map(|f| f.of.clone()),
            recipient: Some(recipient.customer.name.to_string()),
        }))
    }

    async fn settings(&self, job: &ComposeJob) -> Result<TenantSettings, Error> {
        let stored = self.tenants.settings(&job.tenant_id).await?;
        Ok(stored.unwrap_or_else(|| self.defaults.clone()))
    }
}

#[cfg(test)]
mod tests;
