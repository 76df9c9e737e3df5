//! Tenant settings read once per run: a file of a hundred thousand invoices needs them for every
//! line, and they do not change under a preview.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::PortError;
use crate::ids::TenantId;
use crate::ports::TenantDirectory;
use crate::tenant::TenantSettings;

#[allow(missing_debug_implementations)] // trait objects only
pub struct CachedTenants<'a> {
    tenants: &'a dyn TenantDirectory,
    read: Mutex<HashMap<TenantId, Option<TenantSettings>>>,
}

impl<'a> CachedTenants<'a> {
    pub fn new(tenants: &'a dyn TenantDirectory) -> Self {
        Self { tenants, read: Mutex::new(HashMap::new()) }
    }

    fn read(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Option<TenantSettings>>> {
        // Each change is one insert: a panic elsewhere leaves the map whole.
        self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl TenantDirectory for CachedTenants<'_> {
    async fn settings(&self, tenant_id: &TenantId) -> Result<Option<TenantSettings>, PortError> {
        let cached = self.read().get(tenant_id).cloned();
        if let Some(settings) = cached {
            return Ok(settings);
        }
        let settings = self.tenants.settings(tenant_id).await?;
        self.read().insert(tenant_id.clone(), settings.clone());
        Ok(settings)
    }

    async fn put_settings(&self, _: &TenantId, _: &TenantSettings) -> Result<(), PortError> {
        Err(PortError::permanent("preview", std::io::Error::other("a preview changes no tenant's settings")))
    }

    async fn tenant_by_whatsapp_number(&self, phone_number_id: &str) -> Result<Option<TenantId>, PortError> {
        self.tenants.tenant_by_whatsapp_number(phone_number_id).await
    }
}
