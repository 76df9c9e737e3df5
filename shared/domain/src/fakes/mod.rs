//! In-memory fakes of every port, and sample data, for unit tests of the domain and the handlers.
//! Enabled by the `fakes` feature; never part of a Lambda binary.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod announcements;
mod chat;
mod claims;
mod deliveries;
mod outages;
mod queues;
mod rates;
mod samples;
mod senders;
mod sends;
mod stores;
mod upstreams;

pub use announcements::*;
pub use chat::*;
pub use claims::*;
pub use deliveries::*;
pub use outages::*;
pub use queues::*;
pub use rates::*;
pub use samples::*;
pub use senders::*;
pub use sends::*;
pub use stores::*;
pub use upstreams::*;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile, Slot, StoredSlot};
use crate::announcements::AnnouncementRecipients;
use crate::applies::Applies;
use crate::billing::{BillingEvent, BillingPayload, Document};
use crate::channel::Channel;
use crate::clock::{Clock, TimeZoneName};
use crate::complaints::ComplaintRecipients;
use crate::compose::{AccountHolders, BySubject, Compose, Recipient, Recipients};
use crate::contact::{Locale, PhoneE164};
use crate::dispatch::{Dispatch, Pacing, Providers};
use crate::error::{Error, PortError, Rejection};
use crate::ids::{ContractId, CustomerId, EventId, InvoiceNumber, NoticeId, TenantId};
use crate::ingest::Ingest;
use crate::notice::{Destination, Notice, NoticeSubject, RenderedMessage, TemplateRef};
use crate::outage::OutageRecipients;
use crate::ports::{
    AccountStore, Before, Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue, DeadLetter, DeadLetters,
    DeliveryRecords, DeliveryStatus, DispatchQueue, Documents, EmailSender, Held, NoticeRenderer, NoticeScheduler,
    NoticeStore, OutgoingEmail, OutgoingSms, OutgoingWhatsApp, RejectedMessage, RejectionLog, Release, ScheduledJob,
    SmsSender, Suppressions, TemplateKey, TemplateValues, TenantDirectory, WhatsAppMessage, WhatsAppSender,
};
use crate::print::{PrintArchive, PrintLetter, PrintQueue};
use crate::queues::{ComposeJob, ComposeMessage, DeliveryJob};
use crate::tenant::{DocumentPlace, SmsRules, TenantSettings};
use crate::text::Text;

/// Every fake, wired together.
#[derive(Debug)]
pub struct Fakes {
    pub clock: FixedClock,
    pub claims: InMemoryClaims,
    pub rejections: InMemoryRejections,
    pub dead_letters: InMemoryDeadLetters,
    pub accounts: InMemoryAccounts,
    pub compose: InMemoryQueue<ComposeJob>,
    /// Sends' chunks (outage alerts', announcements'), on the same compose queue.
    pub chunks: InMemoryQueue<ComposeMessage>,
    pub sends: InMemorySends,
    pub dispatch: InMemoryQueue<DeliveryJob>,
    pub notices: InMemoryNotices,
    pub suppressions: InMemorySuppressions,
    pub tenants: InMemoryTenants,
    pub scheduler: InMemoryScheduler,
    /// The deployment's settings: Catalan, Madrid, three SMS parts.
    pub defaults: TenantSettings,
    pub renderer: FakeRenderer,
    pub email: RecordingSender,
    pub sms: RecordingSender,
    pub whatsapp: RecordingWhatsApp,
    pub documents: InMemoryDocuments,
    pub deliveries: InMemoryDeliveries,
    pub rate_limiter: InMemoryRateLimiter,
    /// The providers' quotas every tenant shares (none unless a test sets them).
    pub shared_rates: crate::tenant::SharedRates,
    pub print: InMemoryPrint,
    pub outages: InMemoryOutages,
    pub announcements: InMemoryAnnouncements,
    pub chat: InMemoryChat,
    pub phrases: FakePhrases,
    /// The chat line's timers (a separate schedule target).
    pub chat_timers: InMemoryScheduler,
    /// The chat line's queue of work to do at once.
    pub chat_jobs: InMemoryQueue<crate::queues::ChatJob>,
    /// WhatsApp's media endpoint, and the media bucket.
    pub media: FakeMedia,
    pub feeds: InMemoryFeeds,
    /// [`UPSTREAM`] bound to the sample tenant.
    pub upstreams: InMemoryUpstreams,
}

/// The queue the sample upstream sends on (as `avisa_runtime::sqs::sqs_event` stamps records).
pub const UPSTREAM: &str = "arn:aws:sqs:eu-west-1:123456789012:avisa-BillingEventsQueue";

/// Every kind of recipient, found on these fakes as the composer function finds them.
#[async_trait]
impl Recipients for Fakes {
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error> {
        let accounts = AccountHolders { accounts: &self.accounts };
        let outages =
            OutageRecipients { outages: &self.outages, accounts: &self.accounts, subscriptions: &self.outages };
        let complaints = ComplaintRecipients { complaints: &self.chat, accounts: &self.accounts };
        let announcements =
            AnnouncementRecipients { announcements: &self.announcements, accounts: &self.accounts, known: None };
        let by_subject = BySubject {
            accounts: &accounts,
            outages: &outages,
            complaints: &complaints,
            announcements: &announcements,
        };
        by_subject.recipient(job, settings).await
    }
}

impl Default for Fakes {
    fn default() -> Self {
        Self {
            clock: FixedClock::default(),
            claims: InMemoryClaims::default(),
            rejections: InMemoryRejections::default(),
            dead_letters: InMemoryDeadLetters::default(),
            accounts: InMemoryAccounts::default(),
            compose: InMemoryQueue::default(),
            dispatch: InMemoryQueue::default(),
            notices: InMemoryNotices::default(),
            suppressions: InMemorySuppressions::default(),
            tenants: InMemoryTenants::default(),
            scheduler: InMemoryScheduler::default(),
            defaults: default_settings(),
            renderer: FakeRenderer,
            email: RecordingSender::default(),
            sms: RecordingSender::default(),
            whatsapp: RecordingWhatsApp::default(),
            documents: InMemoryDocuments(Mutex::new(HashMap::from([(
                "s3://avisa-invoice-documents/aigues-reus/2026/11/F-2026-110001.pdf".to_owned(),
                SAMPLE_PDF.to_vec(),
            )]))),
            deliveries: InMemoryDeliveries::default(),
            rate_limiter: InMemoryRateLimiter::default(),
            shared_rates: crate::tenant::SharedRates::default(),
            chunks: InMemoryQueue::default(),
            sends: InMemorySends::default(),
            print: InMemoryPrint::default(),
            outages: InMemoryOutages::default(),
            announcements: InMemoryAnnouncements::default(),
            chat: InMemoryChat::default(),
            phrases: FakePhrases,
            chat_timers: InMemoryScheduler::default(),
            chat_jobs: InMemoryQueue::default(),
            media: FakeMedia::default(),
            feeds: InMemoryFeeds::default(),
            upstreams: InMemoryUpstreams(Mutex::new(HashMap::from([(UPSTREAM.to_owned(), vec![tenant()])]))),
        }
    }
}

/// Catalan, Madrid, three SMS parts, pre-notices 8 days ahead at 10:00; documents in the
/// deployment's bucket under each tenant's id.
pub fn default_settings() -> TenantSettings {
    let mut settings =
        TenantSettings::defaults(Locale::Ca, TimeZoneName::parse("Europe/Madrid").unwrap(), SmsRules::default());
    settings.documents = Some(DocumentPlace { bucket: DOCUMENTS_BUCKET.to_owned(), prefix: None });
    settings
}

/// The deployment's documents bucket (the template's `InvoiceDocumentsBucket` default).
pub const DOCUMENTS_BUCKET: &str = "avisa-invoice-documents";

impl Fakes {
    /// The sample customer (changed by `customize`), their contract and the sample invoice.
    pub async fn with_invoice(customize: impl FnOnce(&mut CustomerProfile)) -> Self {
        let fakes = Self::default();
        let mut profile = customer_profile();
        customize(&mut profile);
        fakes.accounts.upsert_customer(&profile).await.unwrap();
        fakes.accounts.upsert_holder(&contract_holder()).await.unwrap();
        let event = sample("invoice-issued");
        let BillingPayload::InvoiceIssued(data) = event.payload else {
            unreachable!("the sample is an invoice.issued")
        };
        let fact = AccountFact {
            tenant_id: tenant(),
            contract_id: contract(),
            as_of: event.occurred_at,
            fact: crate::account::Fact::InvoiceIssued(data),
        };
        fakes.accounts.record_fact(&fact).await.unwrap();
        fakes
    }

    /// As [`Fakes::with_invoice`], with the invoice notice composed.
    pub async fn with_notice() -> Self {
        let fakes = Self::with_invoice(|_| {}).await;
        fakes.composer().handle(&compose_job()).await.unwrap();
        fakes
    }

    /// Ingestion on these fakes.
    pub fn ingest(&self) -> Ingest<'_> {
        Ingest {
            claims: &self.claims,
            accounts: &self.accounts,
            compose: &self.compose,
            scheduler: &self.scheduler,
            tenants: &self.tenants,
            upstreams: &self.upstreams,
            clock: &self.clock,
            defaults: &self.defaults,
        }
    }

    /// The composer on these fakes, with the fake renderer.
    pub fn composer(&self) -> Compose<'_> {
        self.composer_with(&self.renderer, &self.defaults)
    }

    /// The composer on these fakes, with another renderer and deployment settings.
    pub fn composer_with<'a>(&'a self, renderer: &'a dyn NoticeRenderer, defaults: &'a TenantSettings) -> Compose<'a> {
        Compose {
            recipients: self,
            notices: &self.notices,
            renderer,
            dispatch: &self.dispatch,
            suppressions: &self.suppressions,
            tenants: &self.tenants,
            print: &self.print,
            clock: &self.clock,
            defaults,
        }
    }

    /// Who outages reach, on these fakes.
    pub fn audience(&self) -> crate::outage::Audience<'_> {
        crate::outage::Audience {
            index: &self.accounts,
            subscriptions: &self.outages,
            accounts: &self.accounts,
            suppressions: &self.suppressions,
        }
    }

    /// The outage alerts' chunks waiting on the compose queue, taken off it.
    pub fn alert_chunks(&self) -> Vec<crate::queues::AlertChunk> {
        let taken = self.chunks.drain();
        taken.into_iter().filter_map(|m| if let ComposeMessage::AlertChunk(c) = m { Some(c) } else { None }).collect()
    }

    /// The announcements' chunks waiting on the compose queue, taken off it.
    pub fn announcement_chunks(&self) -> Vec<crate::queues::AnnouncementChunk> {
        let taken = self.chunks.drain();
        let chunks = taken.into_iter().filter_map(|m| match m {
            ComposeMessage::AnnouncementChunk(c) => Some(c),
            _ => None,
        });
        chunks.collect()
    }

    /// The announcement desk on these fakes, with the fake renderer.
    pub fn announcement_desk(&self) -> crate::announcements::AnnouncementDesk<'_> {
        crate::announcements::AnnouncementDesk {
            announcements: &self.announcements,
            renderer: &self.renderer,
            tenants: &self.tenants,
            chunks: &self.chunks,
            sends: &self.sends,
            statuses: &self.sends,
            clock: &self.clock,
            defaults: &self.defaults,
            shared_rates: self.shared_rates,
        }
    }

    /// Announcements' chunks composed on these fakes.
    pub fn announcement_sends(&self) -> crate::announcements::AnnouncementSends<'_> {
        crate::announcements::AnnouncementSends {
            compose: self.composer(),
            announcements: &self.announcements,
            accounts: &self.accounts,
            rejections: &self.rejections,
            sends: &self.sends,
        }
    }

    /// The operator's outage desk on these fakes, with the fake renderer.
    pub fn outage_desk(&self) -> crate::outage::OutageDesk<'_> {
        crate::outage::OutageDesk {
            outages: &self.outages,
            audience: self.audience(),
            renderer: &self.renderer,
            scheduler: &self.scheduler,
            tenants: &self.tenants,
            sends: &self.sends,
            clock: &self.clock,
            defaults: &self.defaults,
            shared_rates: self.shared_rates,
        }
    }

    /// Outage alerts firing on these fakes: composed with the fake renderer, briefing by `email`.
    pub fn outage_alerts(&self) -> crate::outage::OutageAlerts<'_> {
        crate::outage::OutageAlerts {
            compose: self.composer(),
            audience: self.audience(),
            outages: &self.outages,
            claims: &self.claims,
            email: &self.email,
            rejections: &self.rejections,
            chunks: &self.chunks,
            sends: &self.sends,
        }
    }

    /// The chat line on these fakes, with phrases that name themselves.
    pub fn chat_line(&self) -> crate::chat::ChatLine<'_> {
        crate::chat::ChatLine {
            conversations: &self.chat,
            replies: crate::chat::Replies { phrases: &self.phrases, notices: &self.notices, dispatch: &self.dispatch },
            filings: crate::chat::Filings {
                incidents: &self.chat,
                appointments: &self.chat,
                subscriptions: &self.outages,
                complaints: self.complaint_desk(),
                ratings: &self.chat,
            },
            citizens: crate::chat::Citizens { customers: &self.accounts, accounts: &self.accounts },
            timers: &self.chat_timers,
            jobs: &self.chat_jobs,
            feeds: &self.feeds,
            tenants: &self.tenants,
            claims: &self.claims,
            clock: &self.clock,
            defaults: &self.defaults,
        }
    }

    /// The complaint desk on these fakes: notices through `compose`, reminders on `scheduler`.
    pub fn complaint_desk(&self) -> crate::complaints::ComplaintDesk<'_> {
        crate::complaints::ComplaintDesk {
            complaints: &self.chat,
            accounts: &self.accounts,
            compose: &self.compose,
            reminders: &self.scheduler,
            tenants: &self.tenants,
            clock: &self.clock,
            defaults: &self.defaults,
        }
    }

    /// Staff's complaint reminders on these fakes (emails through `email`).
    pub fn complaint_reminders(&self) -> crate::complaints::ComplaintReminders<'_> {
        crate::complaints::ComplaintReminders {
            complaints: &self.chat,
            tenants: &self.tenants,
            staff: crate::staff_mail::StaffMail {
                claims: &self.claims,
                email: &self.email,
                renderer: &self.renderer,
                clock: &self.clock,
            },
            defaults: &self.defaults,
        }
    }

    /// The dispatcher on these fakes.
    pub fn dispatcher(&self) -> Dispatch<'_> {
        Dispatch {
            claims: &self.claims,
            notices: &self.notices,
            deliveries: &self.deliveries,
            providers: Providers {
                email: &self.email,
                sms: &self.sms,
                whatsapp: &self.whatsapp,
                documents: &self.documents,
                suppressions: &self.suppressions,
                clock: &self.clock,
            },
            pacing: Pacing {
                rate_limiter: &self.rate_limiter,
                queue: &self.dispatch,
                scheduler: &self.scheduler,
                clock: &self.clock,
                shared: self.shared_rates,
            },
            compose: &self.compose,
            dispatch: &self.dispatch,
            sends: &self.sends,
            tenants: &self.tenants,
            clock: &self.clock,
            defaults: &self.defaults,
        }
    }
}
