//! In-memory conversations, incidents and appointments; the customer lookup over the in-memory
//! accounts; and phrases that show which phrase was said with which values.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::chat::feeds::{FeedCopies, FeedCopy};
use crate::chat::ports::{
    AppointmentStore, ChatPhrases, ConversationStore, CustomerLookup, IncidentStore, MediaInfo, MediaSource,
    MediaStore, RatingStore,
};
use crate::chat::{Appointment, Conversation, Incident, Rating};
use crate::complaints::Complaint;
use crate::complaints::ports::ComplaintStore;

#[derive(Debug, Default)]
pub struct InMemoryChat {
    conversations: Mutex<HashMap<(TenantId, String), Conversation>>,
    incidents: Mutex<Vec<Incident>>,
    appointments: Mutex<Vec<Appointment>>,
    complaints: Mutex<Vec<Complaint>>,
    ratings: Mutex<Vec<Rating>>,
}

#[async_trait]
impl ComplaintStore for InMemoryChat {
    async fn file(&self, complaint: &Complaint) -> Result<bool, PortError> {
        let mut all = self.complaints.lock().unwrap();
        if all.iter().any(|c| c.reference == complaint.reference) {
            return Ok(false);
        }
        all.push(complaint.clone());
        Ok(true)
    }

    async fn complaint(&self, _tenant_id: &TenantId, reference: &str) -> Result<Option<Complaint>, PortError> {
        Ok(self.complaints.lock().unwrap().iter().find(|c| c.reference == reference).cloned())
    }

    async fn complaints(&self, tenant_id: &TenantId) -> Result<Vec<Complaint>, PortError> {
        let all = self.complaints.lock().unwrap();
        Ok(all.iter().rev().filter(|c| &c.tenant_id == tenant_id).cloned().collect())
    }

    async fn update(&self, complaint: &Complaint) -> Result<bool, PortError> {
        let mut all = self.complaints.lock().unwrap();
        Ok(save_versioned(
            &mut all,
            complaint,
            |c| c.reference == complaint.reference,
            |c| c.version,
            |c| c.version += 1,
        ))
    }
}

#[async_trait]
impl RatingStore for InMemoryChat {
    async fn rate(&self, rating: &Rating) -> Result<bool, PortError> {
        let mut all = self.ratings.lock().unwrap();
        let same = |r: &&Rating| r.tenant_id == rating.tenant_id && r.conversation == rating.conversation;
        if all.iter().filter(same).any(|r| r.asked_at == rating.asked_at) {
            return Ok(false);
        }
        all.push(rating.clone());
        Ok(true)
    }

    async fn ratings(
        &self,
        tenant_id: &TenantId,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Rating>, PortError> {
        let all = self.ratings.lock().unwrap();
        Ok(all.iter().filter(|r| &r.tenant_id == tenant_id && (since..until).contains(&r.at)).cloned().collect())
    }
}

impl InMemoryChat {
    pub fn incidents(&self) -> Vec<Incident> {
        self.incidents.lock().unwrap().clone()
    }

    pub fn appointments(&self) -> Vec<Appointment> {
        self.appointments.lock().unwrap().clone()
    }
}

#[async_trait]
impl ConversationStore for InMemoryChat {
    async fn conversation(&self, tenant_id: &TenantId, phone: &PhoneE164) -> Result<Option<Conversation>, PortError> {
        Ok(self.conversations.lock().unwrap().get(&(tenant_id.clone(), phone.as_str().to_owned())).cloned())
    }

    async fn save(&self, conversation: &Conversation) -> Result<bool, PortError> {
        let mut all = self.conversations.lock().unwrap();
        let key = (conversation.tenant_id.clone(), conversation.phone.as_str().to_owned());
        if all.get(&key).map_or(0, |c| c.version) != conversation.version {
            return Ok(false);
        }
        let mut saved = conversation.clone();
        saved.version += 1;
        all.insert(key, saved);
        Ok(true)
    }

    async fn waiting(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, PortError> {
        let mut waiting: Vec<Conversation> = self
            .conversations
            .lock()
            .unwrap()
            .values()
            .filter(|c| &c.tenant_id == tenant_id && matches!(c.state, crate::chat::State::WaitingForAgent { .. }))
            .cloned()
            .collect();
        waiting.sort_by_key(|c| c.updated_at);
        Ok(waiting)
    }

    async fn with_agent(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, PortError> {
        let mut taken: Vec<Conversation> = self
            .conversations
            .lock()
            .unwrap()
            .values()
            .filter(|c| &c.tenant_id == tenant_id && matches!(c.state, crate::chat::State::WithAgent { .. }))
            .cloned()
            .collect();
        taken.sort_by_key(|c| std::cmp::Reverse(c.updated_at));
        Ok(taken)
    }
}

/// Saves `record` over the stored one with the same key if its version matches.
fn save_versioned<T: Clone>(
    all: &mut [T],
    record: &T,
    same: impl Fn(&T) -> bool,
    version: impl Fn(&T) -> u32,
    bump: impl Fn(&mut T),
) -> bool {
    let Some(stored) = all.iter_mut().find(|r| same(r)) else { return false };
    if version(stored) != version(record) {
        return false;
    }
    *stored = record.clone();
    bump(stored);
    true
}

#[async_trait]
impl IncidentStore for InMemoryChat {
    async fn file(&self, incident: &Incident) -> Result<bool, PortError> {
        let mut all = self.incidents.lock().unwrap();
        if all.iter().any(|i| i.reference == incident.reference) {
            return Ok(false);
        }
        all.push(incident.clone());
        Ok(true)
    }

    async fn incident(&self, _tenant_id: &TenantId, reference: &str) -> Result<Option<Incident>, PortError> {
        Ok(self.incidents.lock().unwrap().iter().find(|i| i.reference == reference).cloned())
    }

    async fn incidents(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Incident>, PortError> {
        let all = self.incidents.lock().unwrap();
        Ok(all.iter().rev().filter(|i| &i.tenant_id == tenant_id).take(limit).cloned().collect())
    }

    async fn update(&self, incident: &Incident) -> Result<bool, PortError> {
        let mut all = self.incidents.lock().unwrap();
        Ok(save_versioned(&mut all, incident, |i| i.reference == incident.reference, |i| i.version, |i| i.version += 1))
    }
}

#[async_trait]
impl AppointmentStore for InMemoryChat {
    async fn request(&self, appointment: &Appointment) -> Result<bool, PortError> {
        let mut all = self.appointments.lock().unwrap();
        if all.iter().any(|a| a.reference == appointment.reference) {
            return Ok(false);
        }
        all.push(appointment.clone());
        Ok(true)
    }

    async fn appointment(&self, _tenant_id: &TenantId, reference: &str) -> Result<Option<Appointment>, PortError> {
        Ok(self.appointments.lock().unwrap().iter().find(|a| a.reference == reference).cloned())
    }

    async fn appointments(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Appointment>, PortError> {
        let all = self.appointments.lock().unwrap();
        Ok(all.iter().rev().filter(|a| &a.tenant_id == tenant_id).take(limit).cloned().collect())
    }

    async fn update(&self, appointment: &Appointment) -> Result<bool, PortError> {
        let mut all = self.appointments.lock().unwrap();
        Ok(save_versioned(
            &mut all,
            appointment,
            |a| a.reference == appointment.reference,
            |a| a.version,
            |a| a.version += 1,
        ))
    }
}

#[async_trait]
impl CustomerLookup for InMemoryAccounts {
    async fn customer_by_phone(
        &self,
        tenant_id: &TenantId,
        phone: &PhoneE164,
    ) -> Result<Option<CustomerId>, PortError> {
        Ok(self
            .customers()
            .into_iter()
            .find(|c| &c.tenant_id == tenant_id && c.mobile.as_ref() == Some(phone))
            .map(|c| c.customer_id))
    }

    async fn contracts_of(&self, tenant_id: &TenantId, customer_id: &CustomerId) -> Result<Vec<ContractId>, PortError> {
        Ok(self
            .holders()
            .into_iter()
            .filter(|h| &h.tenant_id == tenant_id && &h.customer_id == customer_id)
            .map(|h| h.contract_id)
            .collect())
    }
}

/// Says `phrase {values}`: tests see which phrase was chosen and with what.
#[derive(Debug, Default)]
pub struct FakePhrases;

impl ChatPhrases for FakePhrases {
    fn say(&self, locale: Locale, phrase: &str, values: &serde_json::Value) -> Result<String, Rejection> {
        let mut shown = values.clone();
        if let Some(object) = shown.as_object_mut() {
            object.remove("locale");
            object.retain(|_, v| !v.is_null());
        }
        Ok(format!("{locale}:{phrase} {shown}"))
    }
}

/// WhatsApp's media endpoint and the media bucket in one: media put here are described and
/// downloaded; kept copies are read back by key.
#[derive(Debug, Default)]
pub struct FakeMedia {
    media: Mutex<HashMap<String, (MediaInfo, Vec<u8>)>>,
    kept: Mutex<HashMap<String, (String, Vec<u8>)>>,
    failures: Mutex<Vec<PortError>>,
}

impl FakeMedia {
    /// WhatsApp has `media_id`: `content` of `content_type`, described truthfully.
    pub fn put(&self, media_id: &str, content_type: &str, content: &[u8]) {
        use sha2::Digest;
        let info = MediaInfo {
            content_type: content_type.into(),
            bytes: content.len() as u64,
            sha256: Some(hex::encode(sha2::Sha256::digest(content))),
            url: format!("https://lookaside.example/{media_id}"),
        };
        self.media.lock().unwrap().insert(media_id.into(), (info, content.to_vec()));
    }

    /// The next calls to the endpoint fail with these, in order.
    pub fn fail_with(&self, errors: impl IntoIterator<Item = PortError>) {
        self.failures.lock().unwrap().extend(errors);
    }

    /// WhatsApp describes `media_id` with another digest than its content has.
    pub fn replace_digest(&self, media_id: &str, sha256: String) {
        if let Some((info, _)) = self.media.lock().unwrap().get_mut(media_id) {
            info.sha256 = Some(sha256);
        }
    }

    pub fn kept(&self, key: &str) -> Option<(String, Vec<u8>)> {
        self.kept.lock().unwrap().get(key).cloned()
    }

    fn next_failure(&self) -> Result<(), PortError> {
        let mut failures = self.failures.lock().unwrap();
        if failures.is_empty() { Ok(()) } else { Err(failures.remove(0)) }
    }
}

#[async_trait]
impl MediaSource for FakeMedia {
    async fn describe(&self, media_id: &str) -> Result<MediaInfo, PortError> {
        self.next_failure()?;
        let media = self.media.lock().unwrap();
        media.get(media_id).map(|(info, _)| info.clone()).ok_or_else(|| {
            PortError::permanent("whatsapp.media", std::io::Error::other(format!("no media {media_id}")))
        })
    }

    async fn download(&self, info: &MediaInfo, limit: u64) -> Result<Vec<u8>, PortError> {
        self.next_failure()?;
        let media = self.media.lock().unwrap();
        let content = media.values().find(|(i, _)| i.url == info.url).map(|(_, c)| c.clone()).unwrap_or_default();
        if content.len() as u64 > limit {
            return Err(PortError::permanent("whatsapp.media", std::io::Error::other("over the limit")));
        }
        Ok(content)
    }
}

#[async_trait]
impl MediaStore for FakeMedia {
    async fn keep(&self, key: &str, content_type: &str, content: Vec<u8>) -> Result<(), PortError> {
        self.kept.lock().unwrap().insert(key.into(), (content_type.into(), content));
        Ok(())
    }
}

/// Feed copies in memory, and the tenants whose feeds a refresh reads.
#[derive(Debug, Default)]
pub struct InMemoryFeeds {
    copies: Mutex<HashMap<(TenantId, String), FeedCopy>>,
    tenants: Mutex<Vec<(TenantId, TenantSettings)>>,
}

impl InMemoryFeeds {
    pub fn with_tenant(&self, tenant_id: TenantId, settings: TenantSettings) {
        self.tenants.lock().unwrap().push((tenant_id, settings));
    }
}

#[async_trait]
impl FeedCopies for InMemoryFeeds {
    async fn copy(&self, tenant_id: &TenantId, item_id: &str) -> Result<Option<FeedCopy>, PortError> {
        Ok(self.copies.lock().unwrap().get(&(tenant_id.clone(), item_id.to_owned())).cloned())
    }

    async fn keep(&self, tenant_id: &TenantId, item_id: &str, copy: &FeedCopy) -> Result<(), PortError> {
        self.copies.lock().unwrap().insert((tenant_id.clone(), item_id.to_owned()), copy.clone());
        Ok(())
    }

    async fn tenants_with_feeds(&self) -> Result<Vec<(TenantId, TenantSettings)>, PortError> {
        Ok(self.tenants.lock().unwrap().clone())
    }
}
