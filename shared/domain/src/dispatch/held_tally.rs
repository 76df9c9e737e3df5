//! A batch's deliveries counted into their sends together: one update per send at the end of
//! the batch instead of one per delivery (a batch of an announcement's ten deliveries is one).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::PortError;
use crate::ids::TenantId;
use crate::sends::{Counts, DeliveryTally};

/// Keeps what is added until [`HeldTally::flush`].
#[allow(missing_debug_implementations)] // trait objects only
pub struct HeldTally<'a> {
    sends: &'a dyn DeliveryTally,
    held: Mutex<BTreeMap<(TenantId, String), (Counts, Timestamp)>>,
}

impl<'a> HeldTally<'a> {
    pub fn new(sends: &'a dyn DeliveryTally) -> Self {
        Self { sends, held: Mutex::new(BTreeMap::new()) }
    }

    /// Adds each send's counts to it, once. Best-effort like every counter of a delivery: a send
    /// whose update fails is logged and the others still counted (a retry could send again).
    pub async fn flush(&self) {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for ((tenant_id, send_id), (counts, at)) in held {
            if let Err(error) = self.sends.add(&tenant_id, &send_id, &counts, at).await {
                let deliveries: u64 = counts.values().sum();
                tracing::warn!(%tenant_id, send_id, deliveries, error = %error.chain(), "the send's counters missed these deliveries");
            }
        }
    }
}

#[async_trait]
impl DeliveryTally for HeldTally<'_> {
    async fn add(&self, tenant_id: &TenantId, send_id: &str, counts: &Counts, at: Timestamp) -> Result<(), PortError> {
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (sum, latest) = held.entry((tenant_id.clone(), send_id.to_owned())).or_insert_with(|| (Counts::new(), at));
        for (name, value) in counts {
            *sum.entry(name.clone()).or_insert(0) += value;
        }
        *latest = (*latest).max(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// Records each update it is asked for; the first can be made to fail.
    #[derive(Default)]
    struct Updates {
        made: Mutex<Vec<(String, String, Counts, Timestamp)>>,
        fail_first: AtomicBool,
    }

    #[async_trait]
    impl DeliveryTally for Updates {
        async fn add(
            &self,
            tenant_id: &TenantId,
            send_id: &str,
            counts: &Counts,
            at: Timestamp,
        ) -> Result<(), PortError> {
            if self.fail_first.swap(false, Ordering::SeqCst) {
                return Err(PortError::transient("UpdateItem", std::io::Error::other("throttled")));
            }
            self.made.lock().unwrap().push((tenant_id.to_string(), send_id.to_owned(), counts.clone(), at));
            Ok(())
        }
    }

    fn counts(pairs: &[(&str, u64)]) -> Counts {
        pairs.iter().map(|(name, n)| ((*name).to_owned(), *n)).collect()
    }

    #[tokio::test]
    async fn a_batchs_deliveries_update_each_send_once_with_their_sum_and_a_failed_update_spares_the_others() {
        let (reus, lleida) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        // GIVEN a batch's deliveries: three of one send, one of another tenant's send of the same id
        let updates = Updates::default();
        let held = HeldTally::new(&updates);
        held.add(&reus, "announcement/a", &counts(&[("sent.sms", 1)]), at("2026-12-03T10:00:01Z")).await.unwrap();
        held.add(&reus, "announcement/a", &counts(&[("sent.sms", 1)]), at("2026-12-03T10:00:03Z")).await.unwrap();
        held.add(&reus, "announcement/a", &counts(&[("refused.email", 1)]), at("2026-12-03T10:00:02Z")).await.unwrap();
        held.add(&lleida, "announcement/a", &counts(&[("sent.email", 1)]), at("2026-12-03T10:00:00Z")).await.unwrap();
        // THEN nothing is updated until the batch ends
        assert!(updates.made.lock().unwrap().is_empty());
        // WHEN it ends THEN each send is updated once, with the sum and the latest time
        held.flush().await;
        let made = updates.made.lock().unwrap().clone();
        assert_eq!(made.len(), 2);
        let reus_update = made.iter().find(|m| m.0 == "aigues-reus").unwrap();
        assert_eq!(reus_update.2, counts(&[("refused.email", 1), ("sent.sms", 2)]));
        assert_eq!(reus_update.3, at("2026-12-03T10:00:03Z"));
        // WHEN the next batch's first update fails THEN the other send is still counted, and
        // nothing is left held to be counted twice
        updates.fail_first.store(true, Ordering::SeqCst);
        held.add(&reus, "outage/o/48h", &counts(&[("sent.sms", 1)]), at("2026-12-03T11:00:00Z")).await.unwrap();
        held.add(&reus, "announcement/b", &counts(&[("sent.sms", 1)]), at("2026-12-03T11:00:00Z")).await.unwrap();
        held.flush().await;
        held.flush().await;
        assert_eq!(updates.made.lock().unwrap().len(), 3);
    }
}
