//! In-memory stores: claims, accounts, notices, settings, schedules, budgets.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::account::StaffPriority;
use crate::ports::PriorityMarks;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct FixedClock(pub Mutex<Timestamp>);

impl Default for FixedClock {
    fn default() -> Self {
        Self(Mutex::new("2026-11-20T09:00:00Z".parse().unwrap()))
    }
}

impl FixedClock {
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().unwrap();
        *now = now.checked_add(by).unwrap();
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

#[derive(Debug, Default)]
pub struct InMemoryRejections(pub Mutex<Vec<RejectedMessage>>);

#[async_trait]
impl RejectionLog for InMemoryRejections {
    async fn record(&self, rejected: &RejectedMessage) -> Result<(), PortError> {
        self.0.lock().unwrap().push(rejected.clone());
        Ok(())
    }

    async fn list(&self, tenant_id: Option<&TenantId>, limit: usize) -> Result<Vec<RejectedMessage>, PortError> {
        let wanted = tenant_id.map(TenantId::as_str);
        let all = self.0.lock().unwrap();
        Ok(all.iter().rev().filter(|r| r.tenant_id.as_deref() == wanted).take(limit).cloned().collect())
    }

    async fn between(
        &self,
        tenant_id: &TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RejectedMessage>, PortError> {
        let all = self.0.lock().unwrap();
        let of_tenant = all.iter().filter(|r| r.tenant_id.as_deref() == Some(tenant_id.as_str()));
        Ok(of_tenant.filter(|r| (from..=to).contains(&r.at)).cloned().collect())
    }

    async fn mark_redriven(&self, rejected: &RejectedMessage, at: Timestamp) -> Result<(), PortError> {
        let mut all = self.0.lock().unwrap();
        for r in all.iter_mut().filter(|r| r.message_id == rejected.message_id && r.at == rejected.at) {
            r.redriven_at = Some(at);
        }
        Ok(())
    }
}

/// A dead letter as kept by [`InMemoryDeadLetters`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptDeadLetter {
    pub source: String,
    pub body: String,
    pub tenant_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct InMemoryDeadLetters(pub Mutex<Vec<KeptDeadLetter>>);

#[async_trait]
impl DeadLetters for InMemoryDeadLetters {
    async fn dead_letter(&self, letter: &DeadLetter<'_>) -> Result<(), PortError> {
        self.0.lock().unwrap().push(KeptDeadLetter {
            source: letter.source.to_owned(),
            body: letter.body.to_owned(),
            tenant_id: letter.tenant_id.map(str::to_owned),
            reason: letter.reason.to_owned(),
        });
        Ok(())
    }
}

type SlotKey = (TenantId, ContractId, Slot);

#[derive(Debug, Default)]
pub struct InMemoryAccounts {
    customers: Mutex<HashMap<(TenantId, CustomerId), CustomerProfile>>,
    holders: Mutex<HashMap<(TenantId, ContractId), ContractHolder>>,
    slots: Mutex<HashMap<SlotKey, (Timestamp, serde_json::Value)>>,
    /// Holders and customers read one at a time (a real store's request each).
    single_reads: AtomicUsize,
    /// Every contract whose holder was asked for in a batch read, by tenant.
    batch_asked: Mutex<Vec<(TenantId, ContractId)>>,
}

impl InMemoryAccounts {
    /// Every customer profile.
    pub fn customers(&self) -> Vec<CustomerProfile> {
        self.customers.lock().unwrap().values().cloned().collect()
    }

    /// Every contract holder.
    pub fn holders(&self) -> Vec<ContractHolder> {
        self.holders.lock().unwrap().values().cloned().collect()
    }

    /// How many facts are kept.
    pub fn fact_count(&self) -> usize {
        self.slots.lock().unwrap().len()
    }

    /// How many holders and customers were read one at a time rather than in a batch.
    pub fn single_reads(&self) -> usize {
        self.single_reads.load(Ordering::SeqCst)
    }

    /// The contracts whose holders were asked for in batch reads.
    pub fn batch_asked(&self) -> Vec<(TenantId, ContractId)> {
        self.batch_asked.lock().unwrap().clone()
    }

    fn holder_of(&self, tenant_id: &TenantId, contract_id: &ContractId) -> Option<ContractHolder> {
        self.holders.lock().unwrap().get(&(tenant_id.clone(), contract_id.clone())).cloned()
    }

    fn customer_of(&self, tenant_id: &TenantId, customer_id: &CustomerId) -> Option<CustomerProfile> {
        self.customers.lock().unwrap().get(&(tenant_id.clone(), customer_id.clone())).cloned()
    }
}

#[async_trait]
impl AccountStore for InMemoryAccounts {
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        let mut customers = self.customers.lock().unwrap();
        let key = (profile.tenant_id.clone(), profile.customer_id.clone());
        if customers.get(&key).is_none_or(|stored| stored.as_of <= profile.as_of) {
            customers.insert(key, profile.clone());
        }
        Ok(())
    }

    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError> {
        let mut holders = self.holders.lock().unwrap();
        let key = (holder.tenant_id.clone(), holder.contract_id.clone());
        if holders.get(&key).is_none_or(|stored| stored.as_of <= holder.as_of) {
            // Upstream's update leaves staff's mark, as the store's SET of its own fields does.
            let staff_priority = holders.get(&key).and_then(|stored| stored.staff_priority.clone());
            let mut holder = holder.clone();
            holder.staff_priority = holder.staff_priority.or(staff_priority);
            holders.insert(key, holder);
        }
        Ok(())
    }

    async fn record_fact(&self, fact: &AccountFact) -> Result<(), PortError> {
        let mut slots = self.slots.lock().unwrap();
        let key = (fact.tenant_id.clone(), fact.contract_id.clone(), fact.fact.slot());
        if slots.get(&key).is_none_or(|(as_of, _)| *as_of <= fact.as_of) {
            slots.insert(key, (fact.as_of, fact.fact.value()));
        }
        Ok(())
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        self.single_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.customer_of(tenant_id, customer_id))
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        self.single_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.holder_of(tenant_id, contract_id))
    }

    async fn holders(&self, tenant_id: &TenantId, contracts: &[ContractId]) -> Result<Vec<ContractHolder>, PortError> {
        self.batch_asked.lock().unwrap().extend(contracts.iter().map(|c| (tenant_id.clone(), c.clone())));
        Ok(contracts.iter().filter_map(|contract_id| self.holder_of(tenant_id, contract_id)).collect())
    }

    async fn customers(
        &self,
        tenant_id: &TenantId,
        customers: &[CustomerId],
    ) -> Result<Vec<CustomerProfile>, PortError> {
        Ok(customers.iter().filter_map(|customer_id| self.customer_of(tenant_id, customer_id)).collect())
    }

    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError> {
        let Some(holder) = self.holder(tenant_id, contract_id).await? else { return Ok(None) };
        let slots = self.slots.lock().unwrap();
        let stored = slots.iter().filter(|((t, c, _), _)| t == tenant_id && c == contract_id).map(
            |((_, _, slot), (as_of, value))| StoredSlot { slot: slot.clone(), as_of: *as_of, value: value.clone() },
        );
        ContractAccount::assemble(holder, stored).map(Some).map_err(|e| PortError::permanent("account", e))
    }
}

#[derive(Debug, Default)]
pub struct InMemoryNotices(Mutex<HashMap<(TenantId, NoticeId), Notice>>, AtomicUsize);

impl InMemoryNotices {
    /// How many notices were read one at a time (`notice`), not in a batch.
    pub fn single_reads(&self) -> usize {
        self.1.load(Ordering::SeqCst)
    }

    /// Puts `notice` in place of the recorded one with its id.
    pub fn replace(&self, notice: Notice) {
        self.0.lock().unwrap().insert((notice.tenant_id.clone(), notice.notice_id.clone()), notice);
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Forgets every notice (a bench's store would otherwise grow with its iterations).
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    pub fn all(&self) -> Vec<Notice> {
        self.0.lock().unwrap().values().cloned().collect()
    }

    /// The one notice recorded; panics when there is not exactly one.
    pub fn only(&self) -> Notice {
        let notices = self.0.lock().unwrap();
        assert_eq!(notices.len(), 1, "expected exactly one notice");
        notices.values().next().unwrap().clone()
    }
}

#[async_trait]
impl NoticeStore for InMemoryNotices {
    async fn create(&self, notice: &Notice) -> Result<bool, PortError> {
        let mut notices = self.0.lock().unwrap();
        let key = (notice.tenant_id.clone(), notice.notice_id.clone());
        if notices.contains_key(&key) {
            return Ok(false);
        }
        notices.insert(key, notice.clone());
        Ok(true)
    }

    async fn notice(&self, tenant_id: &TenantId, notice_id: &NoticeId) -> Result<Option<Notice>, PortError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(self.0.lock().unwrap().get(&(tenant_id.clone(), notice_id.clone())).cloned())
    }

    async fn notices_among(&self, tenant_id: &TenantId, notice_ids: &[NoticeId]) -> Result<Vec<Notice>, PortError> {
        let notices = self.0.lock().unwrap();
        Ok(notice_ids.iter().filter_map(|id| notices.get(&(tenant_id.clone(), id.clone())).cloned()).collect())
    }

    async fn history(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        limit: usize,
    ) -> Result<Vec<Notice>, PortError> {
        let mut notices: Vec<Notice> = self
            .0
            .lock()
            .unwrap()
            .values()
            .filter(|n| &n.tenant_id == tenant_id && n.contract_id.as_ref() == Some(contract_id))
            .cloned()
            .collect();
        notices.sort_by_key(|n| std::cmp::Reverse(n.created_at));
        notices.truncate(limit);
        Ok(notices)
    }
}

#[derive(Debug, Default)]
pub struct InMemoryTenants(Mutex<HashMap<TenantId, TenantSettings>>);

#[async_trait]
impl TenantDirectory for InMemoryTenants {
    async fn settings(&self, tenant_id: &TenantId) -> Result<Option<TenantSettings>, PortError> {
        Ok(self.0.lock().unwrap().get(tenant_id).cloned())
    }

    async fn put_settings(&self, tenant_id: &TenantId, settings: &TenantSettings) -> Result<(), PortError> {
        settings.check().map_err(|reason| PortError::permanent("put_settings", std::io::Error::other(reason)))?;
        self.0.lock().unwrap().insert(tenant_id.clone(), settings.clone());
        Ok(())
    }

    async fn tenant_by_whatsapp_number(&self, phone_number_id: &str) -> Result<Option<TenantId>, PortError> {
        let tenants = self.0.lock().unwrap();
        Ok(tenants
            .iter()
            .find(|(_, s)| s.whatsapp.as_ref().is_some_and(|w| w.phone_number_id == phone_number_id))
            .map(|(t, _)| t.clone()))
    }
}

/// Records what was scheduled, by name (a later schedule of the same name moves it).
#[derive(Debug, Default)]
pub struct InMemoryScheduler(Mutex<HashMap<String, ScheduledJob>>);

impl InMemoryScheduler {
    pub fn scheduled(&self) -> Vec<ScheduledJob> {
        let mut all: Vec<ScheduledJob> = self.0.lock().unwrap().values().cloned().collect();
        all.sort_by_key(|s| s.at);
        all
    }
}

#[async_trait]
impl NoticeScheduler for InMemoryScheduler {
    async fn schedule(&self, scheduled: &ScheduledJob) -> Result<(), PortError> {
        self.0.lock().unwrap().insert(scheduled.name.clone(), scheduled.clone());
        Ok(())
    }

    async fn cancel(&self, name: &str) -> Result<(), PortError> {
        self.0.lock().unwrap().remove(name);
        Ok(())
    }
}

/// The print queue and archive in one: letters by notice, batches by tenant and day.
#[derive(Debug, Default)]
pub struct InMemoryPrint {
    letters: Mutex<HashMap<NoticeId, PrintLetter>>,
    batches: Mutex<HashMap<(String, jiff::civil::Date), String>>,
}

impl InMemoryPrint {
    pub fn letters(&self) -> Vec<PrintLetter> {
        self.letters.lock().unwrap().values().cloned().collect()
    }

    pub fn batch(&self, tenant: &str, day: jiff::civil::Date) -> Option<String> {
        self.batches.lock().unwrap().get(&(tenant.to_owned(), day)).cloned()
    }
}

#[async_trait]
impl PrintQueue for InMemoryPrint {
    async fn add(&self, letter: &PrintLetter) -> Result<(), PortError> {
        self.letters.lock().unwrap().insert(letter.notice_id.clone(), letter.clone());
        Ok(())
    }

    async fn letters_of(&self, day: jiff::civil::Date) -> Result<Vec<PrintLetter>, PortError> {
        Ok(self.letters.lock().unwrap().values().filter(|l| l.queued_on == day).cloned().collect())
    }
}

#[async_trait]
impl PrintArchive for InMemoryPrint {
    async fn put(&self, tenant_id: &TenantId, day: jiff::civil::Date, manifest: &str) -> Result<String, PortError> {
        self.batches.lock().unwrap().insert((tenant_id.to_string(), day), manifest.to_owned());
        Ok(format!("memory://{tenant_id}/{day}.jsonl"))
    }
}

/// Budgets per tenant, channel and second.
#[derive(Debug, Default)]
pub struct InMemorySuppressions {
    suppressed: Mutex<HashMap<(TenantId, String), String>>,
    /// Addresses looked up one at a time (a real store's request each).
    single_reads: AtomicUsize,
}

impl InMemorySuppressions {
    /// How many addresses were looked up one at a time rather than in a batch.
    pub fn single_reads(&self) -> usize {
        self.single_reads.load(Ordering::SeqCst)
    }

    fn holds(&self, tenant_id: &TenantId, destination: &Destination) -> bool {
        self.suppressed.lock().unwrap().contains_key(&(tenant_id.clone(), destination.fingerprint()))
    }
}

#[async_trait]
impl Suppressions for InMemorySuppressions {
    async fn is_suppressed(&self, tenant_id: &TenantId, destination: &Destination) -> Result<bool, PortError> {
        self.single_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.holds(tenant_id, destination))
    }

    async fn suppressed_among(
        &self,
        tenant_id: &TenantId,
        destinations: &[Destination],
    ) -> Result<Vec<Destination>, PortError> {
        Ok(destinations.iter().filter(|d| self.holds(tenant_id, d)).cloned().collect())
    }

    async fn suppress(
        &self,
        tenant_id: &TenantId,
        destination: &Destination,
        reason: &str,
        _at: Timestamp,
    ) -> Result<(), PortError> {
        self.suppressed.lock().unwrap().insert((tenant_id.clone(), destination.fingerprint()), reason.to_owned());
        Ok(())
    }
}

#[async_trait]
impl PriorityMarks for InMemoryAccounts {
    async fn mark_priority(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        mark: Option<&StaffPriority>,
    ) -> Result<bool, PortError> {
        let mut holders = self.holders.lock().unwrap();
        let Some(holder) = holders.get_mut(&(tenant_id.clone(), contract_id.clone())) else { return Ok(false) };
        holder.staff_priority = mark.cloned();
        Ok(true)
    }
}
