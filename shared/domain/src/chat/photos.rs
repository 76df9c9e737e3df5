//! Incident photos kept: WhatsApp holds a citizen's media for a few days only, so each photo sent
//! with an incident is copied into the tenant's part of the media bucket as soon as it arrives
//! (type and size checked first), tried again on a schedule while WhatsApp still has it, and
//! recorded on the incident whichever way it ends.

use jiff::SignedDuration;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::ChatLine;
use super::ports::{MediaInfo, MediaSource, MediaStore};
use super::records::{Incident, Photo, PhotoCopy};
use crate::PortError;
use crate::error::Error;
use crate::ports::{Scheduled, ScheduledJob};
use crate::queues::{ChatJob, PhotoDue};

/// What WhatsApp accepts as an image, and its size limit.
pub const IMAGE_TYPES: [(&str, &str); 2] = [("image/jpeg", "jpg"), ("image/png", "png")];
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// How long after it was received WhatsApp keeps a medium.
pub const LIFETIME: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The waits before each try again: the last is still well inside [`LIFETIME`].
pub const RETRY_AFTER: [SignedDuration; 6] = [
    SignedDuration::from_mins(1),
    SignedDuration::from_mins(10),
    SignedDuration::from_hours(1),
    SignedDuration::from_hours(6),
    SignedDuration::from_hours(24),
    SignedDuration::from_hours(72),
];

/// Where an incident's photos are kept in the media bucket.
pub fn incident_prefix(tenant_id: &crate::ids::TenantId, reference: &str) -> String {
    format!("{tenant_id}/incidents/{reference}/")
}

/// How one try ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Stored,
    Refused,
    /// Failed; tried again later.
    Retrying,
    Lost,
    /// Kept, refused or lost before (a repeated job), or no such incident or photo.
    Settled,
}

impl Kept {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Refused => "refused",
            Self::Retrying => "retrying",
            Self::Lost => "lost",
            Self::Settled => "settled",
        }
    }
}

/// Copies incident photos from WhatsApp into the media bucket.
#[allow(missing_debug_implementations)] // trait objects only
pub struct PhotoKeeper<'a> {
    pub line: ChatLine<'a>,
    pub source: &'a dyn MediaSource,
    pub store: &'a dyn MediaStore,
}

/// Why a photo is not kept, as staff read it and as the citizen is told.
struct Refusal {
    reason: String,
    values: serde_json::Value,
}

fn check(info: &MediaInfo) -> Result<&'static str, Refusal> {
    let Some((_, extension)) = IMAGE_TYPES.iter().find(|(t, _)| info.content_type.eq_ignore_ascii_case(t)) else {
        return Err(Refusal {
            reason: format!("{} is not a JPEG or PNG image", info.content_type),
            values: json!({ "too_large": false }),
        });
    };
    if info.bytes > MAX_BYTES {
        let megabytes = info.bytes.div_ceil(1024 * 1024);
        return Err(Refusal {
            reason: format!("{megabytes} MB is over the {} MB an image may have", MAX_BYTES / 1024 / 1024),
            values: json!({ "too_large": true, "megabytes": megabytes, "max_megabytes": MAX_BYTES / 1024 / 1024 }),
        });
    }
    Ok(extension)
}

/// WhatsApp's media ids are digits; anything else would be a path in a URL or a key.
fn is_media_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl PhotoKeeper<'_> {
    /// One try at copying the photo `due` names; a failure the next try may not have is tried
    /// again later, until the medium's lifetime runs out.
    pub async fn keep(&self, due: &PhotoDue) -> Result<Kept, Error> {
        let incidents = self.line.filings.incidents;
        let Some(incident) = incidents.incident(&due.tenant_id, &due.reference).await? else {
            return Ok(Kept::Settled);
        };
        match incident.photos.iter().find(|p| p.media_id == due.media_id) {
            // A try older than the last recorded (a redelivered job) would start a second chain.
            Some(Photo { copy: PhotoCopy::Fetching { attempts, .. }, .. }) if due.attempt >= *attempts => {}
            _ => return Ok(Kept::Settled),
        }
        if !is_media_id(&due.media_id) {
            let reason = "this is not a WhatsApp media id".to_owned();
            self.record(incident, due, PhotoCopy::Refused { reason }).await?;
            return Ok(Kept::Refused);
        }
        let info = match self.source.describe(&due.media_id).await {
            Ok(info) => info,
            Err(error) => return self.failed(incident, due, &error).await,
        };
        let extension = match check(&info) {
            Ok(extension) => extension,
            Err(refusal) => {
                // Told first: a retry after a failed notice finds the photo still to settle, and
                // the notice's cause keeps a second telling from sending twice.
                let mut values = refusal.values;
                values["reference"] = json!(due.reference);
                let cause = format!("photo/{}/{}", due.reference, due.media_id);
                self.line.notify(&due.tenant_id, &incident.reporter, "photo_refused", values, &cause).await?;
                self.record(incident, due, PhotoCopy::Refused { reason: refusal.reason }).await?;
                return Ok(Kept::Refused);
            }
        };
        let content = match self.source.download(&info, MAX_BYTES).await {
            Ok(content) => content,
            Err(error) => return self.failed(incident, due, &error).await,
        };
        if let Some(expected) = &info.sha256
            && !hex::encode(Sha256::digest(&content)).eq_ignore_ascii_case(expected)
        {
            let error = PortError::transient(
                "whatsapp.media",
                std::io::Error::other("the download does not match its SHA-256"),
            );
            return self.failed(incident, due, &error).await;
        }
        let key = format!("{}{}.{extension}", incident_prefix(&due.tenant_id, &due.reference), due.media_id);
        let bytes = content.len() as u64;
        self.store.keep(&key, &info.content_type, content).await?;
        self.record(incident, due, PhotoCopy::Stored { key, content_type: info.content_type, bytes }).await?;
        Ok(Kept::Stored)
    }

    /// A try failed: again later while WhatsApp still keeps the medium, else lost. WhatsApp
    /// saying it has no such medium is final.
    async fn failed(&self, incident: Incident, due: &PhotoDue, error: &PortError) -> Result<Kept, Error> {
        let attempts = due.attempt + 1;
        let reason = error.chain();
        let now = self.line.clock.now();
        let retry = RETRY_AFTER
            .get(usize::try_from(due.attempt).unwrap_or(usize::MAX))
            .map(|wait| now + *wait)
            .filter(|at| *at < due.received_at + LIFETIME && !matches!(error, PortError::Permanent { .. }));
        let Some(at) = retry else {
            self.record(incident, due, PhotoCopy::Lost { reason, attempts }).await?;
            return Ok(Kept::Lost);
        };
        let next = PhotoDue { attempt: attempts, ..due.clone() };
        let job = ScheduledJob {
            name: next.schedule_name(),
            at: at.to_zoned(jiff::tz::TimeZone::UTC).datetime().round(jiff::Unit::Second).unwrap_or_default(),
            time_zone: "UTC".to_owned(),
            job: Scheduled::Chat(ChatJob::KeepPhoto(next)),
        };
        self.line.timers.schedule(&job).await?;
        self.record(incident, due, PhotoCopy::Fetching { attempts, last_error: Some(reason) }).await?;
        Ok(Kept::Retrying)
    }

    async fn record(&self, mut incident: Incident, due: &PhotoDue, copy: PhotoCopy) -> Result<(), Error> {
        if let Some(photo) = incident.photos.iter_mut().find(|p| p.media_id == due.media_id) {
            photo.copy = copy;
        }
        if self.line.filings.incidents.update(&incident).await? {
            return Ok(());
        }
        // Staff moved the incident on meanwhile: the queue tries this job again on fresh data.
        Err(Error::InProgress { key: format!("incident {}", due.reference) })
    }
}
