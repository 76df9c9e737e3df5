//! In-memory fakes of every port, and sample data, for unit tests of the domain and the handlers.
//! Enabled by the `fakes` feature; never part of a Lambda binary.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile, Slot, StoredSlot};
use crate::billing::{BillingEvent, BillingPayload, Document};
use crate::clock::Clock;
use crate::compose::Compose;
use crate::contact::{Locale, PhoneE164};
use crate::error::{PortError, Rejection};
use crate::ids::{ContractId, CustomerId, EventId, InvoiceNumber, NoticeId, TenantId};
use crate::notice::{
    Channel, ComposeJob, DeliveryJob, Destination, Notice, NoticeSubject, RenderedMessage, TemplateRef,
};
use crate::ports::{
    AccountStore, Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue, DeliveryRecords, DeliveryStatus, DispatchQueue,
    Documents, EmailSender, NoticeRenderer, NoticeScheduler, NoticeStore, OutgoingEmail, OutgoingSms, RateLimiter,
    RejectedMessage, RejectionLog, ScheduledJob, SmsRules, SmsSender, Suppressions, TemplateKey, TenantDirectory,
};
use crate::print::{PrintArchive, PrintLetter, PrintQueue};
use crate::tenant::{TenantSettings, TimeZoneName};
use crate::text::Text;

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

#[derive(Debug, Clone)]
enum ClaimState {
    Held { until: Timestamp },
    Done(ClaimOutcome),
}

#[derive(Debug, Default)]
pub struct InMemoryClaims(Mutex<HashMap<ClaimKey, ClaimState>>);

impl InMemoryClaims {
    /// The recorded outcome of a billing event's claim, by event id.
    pub fn outcome_of(&self, event_id: &str) -> Option<ClaimOutcome> {
        self.0.lock().unwrap().iter().find_map(|(key, state)| match (key, state) {
            (ClaimKey::Event { event_id: id, .. }, ClaimState::Done(outcome)) if id.as_str() == event_id => {
                Some(outcome.clone())
            }
            _ => None,
        })
    }
}

#[async_trait]
impl Claims for InMemoryClaims {
    async fn acquire(&self, key: &ClaimKey, now: Timestamp, lease: SignedDuration) -> Result<Claim, PortError> {
        let mut claims = self.0.lock().unwrap();
        match claims.get(key) {
            Some(ClaimState::Done(_)) => Ok(Claim::Completed),
            Some(ClaimState::Held { until }) if *until > now => Ok(Claim::HeldElsewhere),
            _ => {
                claims.insert(key.clone(), ClaimState::Held { until: now.checked_add(lease).unwrap() });
                Ok(Claim::Acquired)
            }
        }
    }

    async fn complete(&self, key: &ClaimKey, _now: Timestamp, outcome: &ClaimOutcome) -> Result<(), PortError> {
        self.0.lock().unwrap().insert(key.clone(), ClaimState::Done(outcome.clone()));
        Ok(())
    }

    async fn release(&self, key: &ClaimKey) -> Result<(), PortError> {
        self.0.lock().unwrap().remove(key);
        Ok(())
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
}

type SlotKey = (TenantId, ContractId, Slot);

#[derive(Debug, Default)]
pub struct InMemoryAccounts {
    customers: Mutex<HashMap<(TenantId, CustomerId), CustomerProfile>>,
    holders: Mutex<HashMap<(TenantId, ContractId), ContractHolder>>,
    slots: Mutex<HashMap<SlotKey, (Timestamp, serde_json::Value)>>,
}

impl InMemoryAccounts {
    /// How many facts are kept.
    pub fn fact_count(&self) -> usize {
        self.slots.lock().unwrap().len()
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
            holders.insert(key, holder.clone());
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
        Ok(self.customers.lock().unwrap().get(&(tenant_id.clone(), customer_id.clone())).cloned())
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        Ok(self.holders.lock().unwrap().get(&(tenant_id.clone(), contract_id.clone())).cloned())
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

/// A queue that keeps what was enqueued, and can be told to fail once.
#[derive(Debug)]
pub struct InMemoryQueue<J> {
    jobs: Mutex<Vec<J>>,
    fail_next: Mutex<bool>,
}

impl<J> Default for InMemoryQueue<J> {
    fn default() -> Self {
        Self { jobs: Mutex::new(Vec::new()), fail_next: Mutex::new(false) }
    }
}

impl<J: Clone> InMemoryQueue<J> {
    pub fn jobs(&self) -> Vec<J> {
        self.jobs.lock().unwrap().clone()
    }

    pub fn fail_next_transiently(&self) {
        *self.fail_next.lock().unwrap() = true;
    }

    fn push(&self, job: &J) -> Result<(), PortError> {
        if std::mem::take(&mut *self.fail_next.lock().unwrap()) {
            return Err(PortError::transient("enqueue", std::io::Error::other("queue unavailable")));
        }
        self.jobs.lock().unwrap().push(job.clone());
        Ok(())
    }
}

#[async_trait]
impl ComposeQueue for InMemoryQueue<ComposeJob> {
    async fn enqueue(&self, job: &ComposeJob) -> Result<(), PortError> {
        self.push(job)
    }
}

#[async_trait]
impl DispatchQueue for InMemoryQueue<DeliveryJob> {
    async fn enqueue(&self, job: &DeliveryJob) -> Result<(), PortError> {
        self.push(job)
    }
}

#[derive(Debug, Default)]
pub struct InMemoryNotices(Mutex<HashMap<(TenantId, NoticeId), Notice>>);

impl InMemoryNotices {
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
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
        Ok(self.0.lock().unwrap().get(&(tenant_id.clone(), notice_id.clone())).cloned())
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
            .filter(|n| &n.tenant_id == tenant_id && &n.contract_id == contract_id)
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
        self.0.lock().unwrap().insert(tenant_id.clone(), settings.clone());
        Ok(())
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
}

/// Records statuses reported for deliveries.
#[derive(Debug, Default)]
pub struct InMemoryDeliveries(Mutex<Vec<(Channel, DeliveryStatus, String)>>);

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
    ) -> Result<(), PortError> {
        let ClaimKey::Delivery { channel, .. } = key else {
            return Err(PortError::permanent("record_status", std::io::Error::other("not a delivery")));
        };
        self.0.lock().unwrap().push((*channel, status, detail.to_owned()));
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
pub struct InMemoryRateLimiter(Mutex<HashMap<(TenantId, Channel, i64), u32>>);

#[async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn take(
        &self,
        tenant_id: &TenantId,
        channel: Channel,
        units: u32,
        per_second: u32,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        let mut used = self.0.lock().unwrap();
        let spent = used.entry((tenant_id.clone(), channel, now.as_second())).or_default();
        if *spent + units > per_second {
            return Ok(false);
        }
        *spent += units;
        Ok(true)
    }
}

#[derive(Debug, Default)]
pub struct InMemorySuppressions(Mutex<HashMap<(TenantId, String), String>>);

#[async_trait]
impl Suppressions for InMemorySuppressions {
    async fn is_suppressed(&self, tenant_id: &TenantId, destination: &Destination) -> Result<bool, PortError> {
        Ok(self.0.lock().unwrap().contains_key(&(tenant_id.clone(), destination.fingerprint())))
    }

    async fn suppress(
        &self,
        tenant_id: &TenantId,
        destination: &Destination,
        reason: &str,
        _at: Timestamp,
    ) -> Result<(), PortError> {
        self.0.lock().unwrap().insert((tenant_id.clone(), destination.fingerprint()), reason.to_owned());
        Ok(())
    }
}

/// Renders `"<kind>/<channel>/<locale>: <invoice number> <amount>"`: enough to see what went where.
#[derive(Debug, Default)]
pub struct FakeRenderer;

impl NoticeRenderer for FakeRenderer {
    fn render(
        &self,
        key: TemplateKey,
        context: &serde_json::Value,
        _sms: SmsRules,
    ) -> Result<(TemplateRef, RenderedMessage), Rejection> {
        let text = format!(
            "{}/{}/{}: {} {}",
            key.kind.as_str(),
            key.channel.as_str(),
            key.locale,
            context["invoice"]["number"].as_str().unwrap_or("?"),
            context["invoice"]["total"]["amount"].as_str().unwrap_or("?"),
        );
        let template = TemplateRef {
            id: format!("{}.{}.{}", key.kind.as_str(), key.channel.as_str(), key.locale),
            version: "fake".into(),
        };
        let subject = (key.channel == Channel::Email).then(|| text.clone());
        let parts = (key.channel == Channel::Sms).then_some(1);
        Ok((template, RenderedMessage { subject, text, html: None, parts }))
    }
}

/// Documents by URI; a missing one is refused as S3 would (`NoSuchKey`).
#[derive(Debug, Default)]
pub struct InMemoryDocuments(pub Mutex<HashMap<String, Vec<u8>>>);

#[async_trait]
impl Documents for InMemoryDocuments {
    async fn fetch(&self, document: &Document, max_bytes: u64) -> Result<Vec<u8>, PortError> {
        let bytes = self.0.lock().unwrap().get(document.uri.as_str()).cloned();
        let bytes = bytes.ok_or_else(|| PortError::permanent("fetch", std::io::Error::other("NoSuchKey")))?;
        if bytes.len() as u64 > max_bytes {
            return Err(PortError::permanent("fetch", std::io::Error::other("too large")));
        }
        Ok(bytes)
    }
}

/// The bytes the fakes serve for the sample invoice's PDF.
pub const SAMPLE_PDF: &[u8] = b"%PDF-1.4\n% avisa sample invoice\n%%EOF\n";

/// Records what was sent; can be told to fail the next send.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<(String, String)>>,
    attachments: Mutex<Vec<Vec<String>>>,
    fail_next: Mutex<Option<bool>>,
}

impl RecordingSender {
    /// `(destination, text)` of every send.
    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }

    /// The file names attached to each email sent.
    pub fn attachments(&self) -> Vec<Vec<String>> {
        self.attachments.lock().unwrap().clone()
    }

    /// Fail the next send: permanently (the provider refused it) or transiently (throttled).
    pub fn fail_next(&self, permanent: bool) {
        *self.fail_next.lock().unwrap() = Some(permanent);
    }

    fn record(&self, to: &str, text: &str) -> Result<String, PortError> {
        match self.fail_next.lock().unwrap().take() {
            Some(true) => return Err(PortError::permanent("send", std::io::Error::other("address rejected"))),
            Some(false) => return Err(PortError::transient("send", std::io::Error::other("throttled"))),
            None => {}
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push((to.to_owned(), text.to_owned()));
        Ok(format!("msg-{}", sent.len()))
    }
}

#[async_trait]
impl EmailSender for RecordingSender {
    async fn send(&self, email: OutgoingEmail<'_>) -> Result<String, PortError> {
        let id = self.record(email.to.as_str(), &email.message.text)?;
        self.attachments.lock().unwrap().push(email.attachments.iter().map(|a| a.file_name.clone()).collect());
        Ok(id)
    }
}

#[async_trait]
impl SmsSender for RecordingSender {
    async fn send(&self, sms: OutgoingSms<'_>) -> Result<String, PortError> {
        self.record(sms.to.as_str(), sms.text)
    }

    /// As SNS's sandbox does: numbers ending in 99 have opted out.
    async fn is_opted_out(&self, to: &PhoneE164) -> Result<bool, PortError> {
        Ok(to.as_str().ends_with("99"))
    }
}

/// Every fake, wired together.
#[derive(Debug)]
pub struct Fakes {
    pub clock: FixedClock,
    pub claims: InMemoryClaims,
    pub rejections: InMemoryRejections,
    pub accounts: InMemoryAccounts,
    pub compose: InMemoryQueue<ComposeJob>,
    pub dispatch: InMemoryQueue<DeliveryJob>,
    pub notices: InMemoryNotices,
    pub suppressions: InMemorySuppressions,
    pub tenants: InMemoryTenants,
    pub scheduler: InMemoryScheduler,
    /// The deployment's settings: Catalan, Madrid, three SMS parts.
    pub defaults: TenantSettings,
    pub renderer: FakeRenderer,
    pub email: RecordingSender,
    pub sms: RecordingSender,
    pub documents: InMemoryDocuments,
    pub deliveries: InMemoryDeliveries,
    pub rate_limiter: InMemoryRateLimiter,
    pub print: InMemoryPrint,
}

impl Default for Fakes {
    fn default() -> Self {
        Self {
            clock: FixedClock::default(),
            claims: InMemoryClaims::default(),
            rejections: InMemoryRejections::default(),
            accounts: InMemoryAccounts::default(),
            compose: InMemoryQueue::default(),
            dispatch: InMemoryQueue::default(),
            notices: InMemoryNotices::default(),
            suppressions: InMemorySuppressions::default(),
            tenants: InMemoryTenants::default(),
            scheduler: InMemoryScheduler::default(),
            defaults: default_settings(),
            renderer: FakeRenderer,
            email: RecordingSender::default(),
            sms: RecordingSender::default(),
            documents: InMemoryDocuments(Mutex::new(HashMap::from([(
                "s3://aigues-reus-invoices/2026/11/F-2026-110001.pdf".to_owned(),
                SAMPLE_PDF.to_vec(),
            )]))),
            deliveries: InMemoryDeliveries::default(),
            rate_limiter: InMemoryRateLimiter::default(),
            print: InMemoryPrint::default(),
        }
    }
}

/// Catalan, Madrid, three SMS parts, pre-notices 8 days ahead at 10:00.
pub fn default_settings() -> TenantSettings {
    TenantSettings::defaults(Locale::Ca, TimeZoneName::parse("Europe/Madrid").unwrap(), SmsRules::default())
}

impl Fakes {
    /// The sample customer (changed by `customize`), their contract and the sample invoice.
    pub async fn with_invoice(customize: impl FnOnce(&mut CustomerProfile)) -> Self {
        let fakes = Self::default();
        let mut profile = customer_profile();
        customize(&mut profile);
        fakes.accounts.upsert_customer(&profile).await.unwrap();
        fakes.accounts.upsert_holder(&contract_holder()).await.unwrap();
        let event = sample("invoice-issued");
        let BillingPayload::InvoiceIssued(data) = event.payload else {
            unreachable!("the sample is an invoice.issued")
        };
        let fact = AccountFact {
            tenant_id: tenant(),
            contract_id: contract(),
            as_of: event.occurred_at,
            fact: crate::account::Fact::InvoiceIssued(data),
        };
        fakes.accounts.record_fact(&fact).await.unwrap();
        fakes
    }

    /// As [`Fakes::with_invoice`], with the invoice notice composed.
    pub async fn with_notice() -> Self {
        let fakes = Self::with_invoice(|_| {}).await;
        let compose = Compose {
            accounts: &fakes.accounts,
            notices: &fakes.notices,
            renderer: &fakes.renderer,
            dispatch: &fakes.dispatch,
            suppressions: &fakes.suppressions,
            tenants: &fakes.tenants,
            print: &fakes.print,
            clock: &fakes.clock,
            defaults: &fakes.defaults,
        };
        compose.handle(&compose_job()).await.unwrap();
        fakes
    }
}

/// The samples of every event type that states a fact about a contract (all but
/// `customer.upserted`), in the order they happen to one invoice.
pub const FACT_SAMPLES: [&str; 7] = [
    "invoice-scheduled",
    "invoice-issued",
    "invoice-paid",
    "direct-debit-returned",
    "payment-plan-updated",
    "meter-telemetry-enabled",
    "tariff-changed",
];

/// The billing event in the sample `events/billing-ingest/<name>.json`.
pub fn sample(name: &str) -> BillingEvent {
    BillingEvent::parse(&sample_body(name)).unwrap()
}

/// The message body of the sample `events/billing-ingest/<name>.json`.
pub fn sample_body(name: &str) -> String {
    let path = format!("{}/../../events/billing-ingest/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let sqs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path);
    sqs["Records"][0]["body"].as_str().expect("the sample has a body").to_owned()
}

/// A sample with another event id and time (to make it a different event).
pub fn sample_as(name: &str, event_id: &str, occurred_at: &str) -> BillingEvent {
    BillingEvent {
        event_id: EventId::parse(event_id).unwrap(),
        occurred_at: occurred_at.parse().unwrap(),
        ..sample(name)
    }
}

pub fn tenant() -> TenantId {
    TenantId::parse("aigues-reus").unwrap()
}

pub fn contract() -> ContractId {
    ContractId::parse("CT-0001").unwrap()
}

pub fn invoice_number() -> InvoiceNumber {
    InvoiceNumber::parse("F-2026-110001").unwrap()
}

/// The profile the `customer-upserted` sample creates.
pub fn customer_profile() -> CustomerProfile {
    let event = sample("customer-upserted");
    let BillingPayload::CustomerUpserted(data) = &event.payload else {
        unreachable!("the sample is a customer.upserted")
    };
    CustomerProfile::from_event(&event.tenant_id, data, event.occurred_at)
}

/// The holder the `customer-upserted` sample creates.
pub fn contract_holder() -> ContractHolder {
    let event = sample("customer-upserted");
    let BillingPayload::CustomerUpserted(data) = &event.payload else {
        unreachable!("the sample is a customer.upserted")
    };
    ContractHolder {
        tenant_id: event.tenant_id.clone(),
        contract_id: event.contract_id.clone(),
        customer_id: data.customer_id.clone(),
        supply_point: data.supply_point.clone(),
        as_of: event.occurred_at,
    }
}

pub fn name(text: &str) -> Text<200> {
    Text::parse(text).unwrap()
}

/// The compose job ingesting the `invoice-issued` sample enqueues.
pub fn compose_job() -> ComposeJob {
    ComposeJob::new(
        tenant(),
        contract(),
        NoticeSubject::InvoiceAvailable { invoice_number: invoice_number() },
        sample("invoice-issued").event_id,
    )
}

pub fn delivery_job(channel: Channel) -> DeliveryJob {
    DeliveryJob { tenant_id: tenant(), notice_id: compose_job().notice_id, channel, urgent: false }
}
