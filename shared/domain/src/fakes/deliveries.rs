//! In-memory delivery records: what providers reported, and their message ids.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// Records statuses reported for deliveries, and provider ids.
#[derive(Debug, Default)]
pub struct InMemoryDeliveries(Mutex<Vec<(Channel, DeliveryStatus, String)>>, Mutex<HashMap<String, ClaimKey>>);

impl InMemoryDeliveries {
    pub fn statuses(&self) -> Vec<(Channel, DeliveryStatus, String)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl DeliveryRecords for InMemoryDeliveries {
    async fn record_status(
        &self,
        key: &ClaimKey,
        status: DeliveryStatus,
        detail: &str,
        _at: Timestamp,
    ) -> Result<bool, PortError> {
        let ClaimKey::Delivery { channel, .. } = key else {
            return Err(PortError::permanent("record_status", std::io::Error::other("not a delivery")));
        };
        let mut statuses = self.0.lock().unwrap();
        let further =
            statuses.iter().rev().find(|(c, _, _)| c == channel).is_none_or(|(_, last, _)| last.rank() < status.rank());
        if further {
            statuses.push((*channel, status, detail.to_owned()));
        }
        Ok(further)
    }

    async fn link_provider_id(&self, provider_message_id: &str, key: &ClaimKey) -> Result<(), PortError> {
        self.1.lock().unwrap().insert(provider_message_id.to_owned(), key.clone());
        Ok(())
    }

    async fn by_provider_id(&self, provider_message_id: &str) -> Result<Option<ClaimKey>, PortError> {
        Ok(self.1.lock().unwrap().get(provider_message_id).cloned())
    }
}
