//! In-memory upstream bindings: which tenants the upstream on each queue may act for.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// Upstream queues and the tenants each is bound to.
#[derive(Debug, Default)]
pub struct InMemoryUpstreams(pub Mutex<HashMap<String, Vec<TenantId>>>);

#[async_trait]
impl crate::ports::Upstreams for InMemoryUpstreams {
    async fn tenants_of(&self, source: &str) -> Result<Vec<TenantId>, PortError> {
        Ok(self.0.lock().unwrap().get(source).cloned().unwrap_or_default())
    }
}
