//! Sends' records in memory, counted as the DynamoDB adapter counts them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::error::PortError;
use crate::ids::TenantId;
use crate::sends::{Counts, DeliveryTally, SendLog, SendPlan, SendRecord, SendStatuses};

/// Each send's record and the parts it counted, by tenant and send id.
type Sends = HashMap<(TenantId, String), (SendRecord, BTreeSet<u32>)>;

#[derive(Debug, Default)]
pub struct InMemorySends(Mutex<Sends>);

impl InMemorySends {
    /// The send's record; panics when there is none.
    pub fn record(&self, tenant_id: &TenantId, send_id: &str) -> SendRecord {
        self.0.lock().unwrap()[&(tenant_id.clone(), send_id.to_owned())].0.clone()
    }
}

fn add(record: &mut SendRecord, counts: &Counts, at: Timestamp) {
    for (name, n) in counts {
        *record.counts.entry(name.clone()).or_insert(0) += n;
    }
    record.last_at = at;
}

#[async_trait]
impl SendLog for InMemorySends {
    async fn start(&self, plan: &SendPlan) -> Result<bool, PortError> {
        let mut sends = self.0.lock().unwrap();
        let key = (plan.tenant_id.clone(), plan.send_id.clone());
        if sends.contains_key(&key) {
            return Ok(false);
        }
        let record = SendRecord { plan: plan.clone(), parts_done: 0, counts: Counts::new(), last_at: plan.started_at };
        sends.insert(key, (record, BTreeSet::new()));
        Ok(true)
    }

    async fn chunk_done(
        &self,
        tenant_id: &TenantId,
        send_id: &str,
        part: u32,
        counts: &Counts,
        at: Timestamp,
    ) -> Result<Option<SendRecord>, PortError> {
        let mut sends = self.0.lock().unwrap();
        let Some((record, done)) = sends.get_mut(&(tenant_id.clone(), send_id.to_owned())) else { return Ok(None) };
        if done.insert(part) {
            add(record, counts, at);
            record.parts_done += 1;
        }
        Ok(Some(record.clone()))
    }
}

#[async_trait]
impl DeliveryTally for InMemorySends {
    async fn add(&self, tenant_id: &TenantId, send_id: &str, counts: &Counts, at: Timestamp) -> Result<(), PortError> {
        if let Some((record, _)) = self.0.lock().unwrap().get_mut(&(tenant_id.clone(), send_id.to_owned())) {
            add(record, counts, at);
        }
        Ok(())
    }
}

#[async_trait]
impl SendStatuses for InMemorySends {
    async fn send(&self, tenant_id: &TenantId, send_id: &str) -> Result<Option<SendRecord>, PortError> {
        Ok(self.0.lock().unwrap().get(&(tenant_id.clone(), send_id.to_owned())).map(|(r, _)| r.clone()))
    }

    async fn sends(&self, tenant_id: &TenantId, prefix: &str) -> Result<Vec<SendRecord>, PortError> {
        let sends = self.0.lock().unwrap();
        let mut found: Vec<SendRecord> = sends
            .iter()
            .filter(|((t, id), _)| t == tenant_id && id.starts_with(prefix))
            .map(|(_, (r, _))| r.clone())
            .collect();
        found.sort_by(|a, b| (a.plan.started_at, &a.plan.send_id).cmp(&(b.plan.started_at, &b.plan.send_id)));
        Ok(found)
    }
}
