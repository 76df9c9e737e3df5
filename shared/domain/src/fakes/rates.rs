//! Send-rate budgets in memory, with urgent sends kept first as the DynamoDB adapter keeps them.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::channel::Channel;
use crate::error::PortError;
use crate::ids::TenantId;
use crate::ports::{RateLimiter, RateScope};

/// Whose budget: a tenant's, or (`None`) the deployment's.
type Budget = (Option<TenantId>, Channel);

#[derive(Debug, Default)]
pub struct InMemoryRateLimiter {
    /// By budget and second.
    used: Mutex<HashMap<(Budget, i64), u32>>,
    /// The seconds kept for urgent sends, by budget: up to this one.
    urgent_until: Mutex<HashMap<Budget, i64>>,
}

#[async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn take(
        &self,
        scope: RateScope<'_>,
        channel: Channel,
        units: u32,
        per_second: u32,
        priority: crate::ports::Priority,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let second = now.as_second();
        let tenant_id = match scope {
            RateScope::Tenant(tenant_id) => Some(tenant_id.clone()),
            RateScope::Deployment => None,
        };
        let mut urgent_until = self.urgent_until.lock().unwrap();
        let kept = urgent_until.get(&(tenant_id.clone(), channel)).is_some_and(|until| *until >= second);
        if priority == crate::ports::Priority::Routine && kept {
            return Ok(false);
        }
        let mut used = self.used.lock().unwrap();
        let spent = used.entry(((tenant_id.clone(), channel), second)).or_default();
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
