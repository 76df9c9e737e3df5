//! Send-rate budgets in memory, with urgent sends kept first as the DynamoDB adapter keeps them.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::channel::Channel;
use crate::error::PortError;
use crate::ids::TenantId;
use crate::ports::RateLimiter;

#[derive(Debug, Default)]
pub struct InMemoryRateLimiter {
    used: Mutex<HashMap<(TenantId, Channel, i64), u32>>,
    /// The seconds kept for urgent sends, by tenant and channel: up to this one.
    urgent_until: Mutex<HashMap<(TenantId, Channel), i64>>,
}

#[async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn take(
        &self,
        tenant_id: &TenantId,
        channel: Channel,
        units: u32,
        per_second: u32,
        priority: crate::ports::Priority,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let second = now.as_second();
        let mut urgent_until = self.urgent_until.lock().unwrap();
        let kept = urgent_until.get(&(tenant_id.clone(), channel)).is_some_and(|until| *until >= second);
        if priority == crate::ports::Priority::Routine && kept {
            return Ok(false);
        }
        let mut used = self.used.lock().unwrap();
        let spent = used.entry((tenant_id.clone(), channel, second)).or_default();
        if *spent + units > per_second {
            if priority == crate::ports::Priority::Urgent {
                urgent_until.insert((tenant_id.clone(), channel), second + crate::ports::URGENT_SECONDS_AHEAD);
            }
            return Ok(false);
        }
        *spent += units;
        Ok(true)
    }
}
