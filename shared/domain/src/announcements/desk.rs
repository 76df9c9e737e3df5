//! Submitting an announcement and following it: checked, recorded once, planned as a send and
//! put on the compose queue in chunks; the same submission twice is the same send.

use std::collections::BTreeMap;

use super::{Announcement, AnnouncementRequest, AnnouncementStore, digest, invalid};
use crate::channel::Channel;
use crate::clock::Clock;
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::{AnnouncementId, ContractId, TenantId};
use crate::money::Money;
use crate::notice::NoticeKind;
use crate::ports::{ChunkQueue, NoticeRenderer, TemplateKey, TenantDirectory};
use crate::queues::{AnnouncementChunk, ComposeMessage, announcement_send_id};
use crate::sends::{CHUNK_CONTRACTS, SendLog, SendPlan, SendRecord, SendStatus, SendStatuses, settings_for_sending};
use crate::tenant::{SharedRates, TenantSettings};

/// The ports the announcement desk uses.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct AnnouncementDesk<'a> {
    pub announcements: &'a dyn AnnouncementStore,
    /// To check that each text fits the tenant's SMS parts before anyone is sent it.
    pub renderer: &'a dyn NoticeRenderer,
    pub tenants: &'a dyn TenantDirectory,
    /// The compose queue.
    pub chunks: &'a dyn ChunkQueue,
    pub sends: &'a dyn SendLog,
    pub statuses: &'a dyn SendStatuses,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
    /// The providers' quotas the tenants share: a send's time is estimated at what it will get.
    pub shared_rates: SharedRates,
}

/// What submitting did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Announced {
    pub announcement: Announcement,
    /// Contracts named more than once in the file (each is told once).
    pub repeated_contracts: usize,
    /// `false`: it had been submitted before, and this is that send.
    pub new: bool,
    pub send: SendStatus,
}

/// What sending an announcement would be, worked out before anything is recorded or queued.
/// Its citizens are not read (a file may name 100,000 of them): the time and the cost are the
/// most they can be, with every holder told on the slower channel.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AnnouncementPreview {
    /// Contracts it would go to (each once), and those the file names more than once.
    pub contracts: usize,
    pub repeated_contracts: usize,
    /// Chunks of contracts on the compose queue.
    pub chunks: usize,
    /// Each language's SMS, in parts.
    pub sms_parts: BTreeMap<Locale, u32>,
    /// The longest the send can take at the tenant's current rates, within the deployment's
    /// shared quotas: every holder texted in the language of the most parts, or every one
    /// emailed, whichever is slower. `None`: a channel is paused (a rate of 0).
    pub at_most_seconds: Option<u64>,
    /// What its SMS cost were every holder texted so, at the tenant's price of a part.
    pub at_most_sms_cost: Option<Money>,
    /// The id names an announcement submitted before: sending this is that send (`same`), or is
    /// refused (`other`: other texts or contracts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_before: Option<SubmittedBefore>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmittedBefore {
    Same,
    Other,
}

impl AnnouncementDesk<'_> {
    /// Checks an announcement as submitting it would, and says what sending it would be and how
    /// long it can take; records and queues nothing.
    pub async fn preview(
        &self,
        tenant_id: &TenantId,
        request: AnnouncementRequest,
    ) -> Result<AnnouncementPreview, Error> {
        let Checked { contracts, repeated_contracts, settings, sms_parts } = self.check(tenant_id, &request).await?;
        let submitted_before =
            self.announcements.announcement(tenant_id, &request.announcement_id).await?.map(|before| {
                if before.digest == digest(&request.texts, &contracts) {
                    SubmittedBefore::Same
                } else {
                    SubmittedBefore::Other
                }
            });
        let everyone = contracts.len() as u64;
        let most_parts = u64::from(sms_parts.values().copied().max().unwrap_or(1));
        let rates = &settings.rate_limits;
        let at_most_seconds =
            [rates.seconds_for(Channel::Sms, everyone * most_parts), rates.seconds_for(Channel::Email, everyone)]
                .into_iter()
                .try_fold(0, |longest: u64, s| s.map(|s| longest.max(s)));
        let texted = usize::try_from(everyone * most_parts).unwrap_or(usize::MAX);
        let at_most_sms_cost = settings.outages.sms_part_price.as_ref().map(|price| price.times(texted));
        Ok(AnnouncementPreview {
            chunks: contracts.len().div_ceil(CHUNK_CONTRACTS),
            contracts: contracts.len(),
            repeated_contracts,
            sms_parts,
            at_most_seconds,
            at_most_sms_cost,
            submitted_before,
        })
    }

    /// Checks the announcement, records it and starts its send. Submitting the same announcement
    /// again (a retry, a double click) is the same send, never a second one; the same id with other
    /// texts or contracts is refused.
    pub async fn submit(
        &self,
        by: &str,
        tenant_id: &TenantId,
        request: AnnouncementRequest,
    ) -> Result<Announced, Error> {
        let Checked { contracts, repeated_contracts, settings, .. } = self.check(tenant_id, &request).await?;
        let parts = contracts.len().div_ceil(CHUNK_CONTRACTS);
        let submitted = Announcement {
            tenant_id: tenant_id.clone(),
            announcement_id: request.announcement_id.clone(),
            digest: digest(&request.texts, &contracts),
            texts: request.texts,
            contracts: contracts.len() as u64,
            parts: u32::try_from(parts).unwrap_or(u32::MAX),
            created_by: by.to_owned(),
            created_at: self.clock.now(),
        };
        let new = self.announcements.create(&submitted).await?;
        let announcement = if new {
            submitted
        } else {
            let recorded = self.announcement(tenant_id, &submitted.announcement_id).await?;
            if recorded.digest != submitted.digest {
                return Err(Error::rejected(
                    RejectionCode::InvalidTransition,
                    format!(
                        "announcement {} was submitted before with other texts or contracts: give this one another id",
                        submitted.announcement_id
                    ),
                ));
            }
            recorded
        };
        let send_id = announcement_send_id(&announcement.announcement_id);
        let plan = SendPlan {
            tenant_id: tenant_id.clone(),
            send_id: send_id.clone(),
            outage_id: None,
            urgent: NoticeKind::Announcement.urgent(),
            contracts: announcement.contracts,
            parts: announcement.parts,
            priority: Vec::new(),
            started_at: announcement.created_at,
        };
        self.sends.start(&plan).await?;
        let record = self.statuses.send(tenant_id, &send_id).await?;
        // A repeat before every chunk was composed queues them again: the first attempt may have
        // stopped before they were all queued, and a chunk composed twice counts once.
        if record.as_ref().is_none_or(|r| r.parts_done < r.plan.parts) {
            self.chunks.enqueue_chunks(&chunks_of(&announcement, &contracts)).await?;
        }
        let send = self.status_from(record, &send_id, &settings)?;
        Ok(Announced { announcement, repeated_contracts, new, send })
    }

    /// Every announcement's send of the tenant, newest first.
    pub async fn list(&self, tenant_id: &TenantId) -> Result<Vec<SendStatus>, Error> {
        let records = self.statuses.sends(tenant_id, "announcement/").await?;
        let settings = self.settings(tenant_id).await?;
        let now = self.clock.now();
        Ok(records.iter().rev().map(|record| SendStatus::of(record, &settings.rate_limits, now)).collect())
    }

    /// The announcement and how far its send has got.
    pub async fn status(
        &self,
        tenant_id: &TenantId,
        announcement_id: &AnnouncementId,
    ) -> Result<(Announcement, SendStatus), Error> {
        let announcement = self.announcement(tenant_id, announcement_id).await?;
        let settings = self.settings(tenant_id).await?;
        let send = self.status_of(tenant_id, &announcement_send_id(announcement_id), &settings).await?;
        Ok((announcement, send))
    }

    async fn announcement(&self, tenant_id: &TenantId, id: &AnnouncementId) -> Result<Announcement, Error> {
        self.announcements.announcement(tenant_id, id).await?.ok_or_else(|| {
            Error::rejected(RejectionCode::NotFound, format!("announcement {id} is not known for tenant {tenant_id}"))
        })
    }

    async fn status_of(
        &self,
        tenant_id: &TenantId,
        send_id: &str,
        settings: &TenantSettings,
    ) -> Result<SendStatus, Error> {
        self.status_from(self.statuses.send(tenant_id, send_id).await?, send_id, settings)
    }

    fn status_from(
        &self,
        record: Option<SendRecord>,
        send_id: &str,
        settings: &TenantSettings,
    ) -> Result<SendStatus, Error> {
        let record = record
            .ok_or_else(|| Error::rejected(RejectionCode::NotFound, format!("the send {send_id} was never started")))?;
        Ok(SendStatus::of(&record, &settings.rate_limits, self.clock.now()))
    }

    /// What submitting and previewing check first: the texts, the file, each text's SMS parts.
    async fn check(&self, tenant_id: &TenantId, request: &AnnouncementRequest) -> Result<Checked, Error> {
        request.check_texts()?;
        let (contracts, repeated_contracts) = request.audience()?;
        let settings = self.settings(tenant_id).await?;
        let sms_parts = self.check_fits(request, &settings)?;
        Ok(Checked { contracts, repeated_contracts, settings, sms_parts })
    }

    async fn settings(&self, tenant_id: &TenantId) -> Result<TenantSettings, Error> {
        Ok(settings_for_sending(self.tenants, self.defaults, self.shared_rates, tenant_id).await?)
    }

    /// The tenant's language has a text, and every text fits the tenant's SMS parts: found now,
    /// not as thousands of notices that cannot be written. Each language's SMS parts.
    fn check_fits(
        &self,
        request: &AnnouncementRequest,
        settings: &TenantSettings,
    ) -> Result<BTreeMap<Locale, u32>, Error> {
        let default = settings.default_locale;
        if !request.texts.contains_key(&default) {
            return Err(invalid(format!(
                "texts.{}: the tenant's language needs a text (citizens whose language has none get it)",
                default.code()
            )));
        }
        let contract = ContractId::parse("CT-0").map_err(|e| invalid(e.to_string()))?;
        let mut parts = BTreeMap::new();
        for (locale, text) in &request.texts {
            let values = super::template_values(text, "", &contract, *locale);
            let key = TemplateKey { kind: NoticeKind::Announcement, channel: Channel::Sms, locale: *locale };
            match self.renderer.render(key, &values.into(), settings.sms) {
                Ok((_, sms)) => {
                    parts.insert(*locale, u32::try_from(sms.parts.unwrap_or(1)).unwrap_or(u32::MAX));
                }
                Err(rejection) if rejection.code == RejectionCode::SmsTooLong => {
                    return Err(Error::rejected(
                        RejectionCode::SmsTooLong,
                        format!(
                            "texts.{}.body: longer than the tenant's {} SMS part(s): shorten it",
                            locale.code(),
                            settings.sms.max_segments
                        ),
                    ));
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(parts)
    }
}

/// An announcement as checked: its contracts (each once), the repeats, the tenant's settings for
/// sending, and each language's SMS parts.
struct Checked {
    contracts: Vec<ContractId>,
    repeated_contracts: usize,
    settings: TenantSettings,
    sms_parts: BTreeMap<Locale, u32>,
}

fn chunks_of(announcement: &Announcement, contracts: &[ContractId]) -> Vec<ComposeMessage> {
    contracts
        .chunks(CHUNK_CONTRACTS)
        .zip(0..)
        .map(|(contracts, part)| {
            ComposeMessage::AnnouncementChunk(AnnouncementChunk {
                tenant_id: announcement.tenant_id.clone(),
                announcement_id: announcement.announcement_id.clone(),
                part,
                contracts: contracts.to_vec(),
            })
        })
        .collect()
}
