//! In-memory fakes of every port, and sample data, for unit tests of the domain and the handlers.
//! Enabled by the `fakes` feature; never part of a Lambda binary.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::account::{ContractHolder, CustomerProfile, Invoice};
use crate::billing::{BillingEvent, Consents, SupplyPoint};
use crate::clock::Clock;
use crate::compose::Compose;
use crate::contact::{Email, Locale, PhoneE164};
use crate::error::{PortError, Rejection};
use crate::ids::{ContractId, CustomerId, EventId, InvoiceNumber, NoticeId, TenantId};
use crate::notice::{Channel, ComposeJob, DeliveryJob, Notice, NoticeSubject, RenderedMessage, TemplateRef};
use crate::ports::{
    AccountStore, Claim, ClaimKey, ClaimOutcome, Claims, ComposeQueue, DispatchQueue, EmailSender, NoticeRenderer,
    NoticeStore, OutgoingEmail, RejectedMessage, RejectionLog, SmsSender, TemplateKey,
};

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
}

#[derive(Debug, Default)]
pub struct InMemoryAccounts {
    customers: Mutex<HashMap<(TenantId, CustomerId), CustomerProfile>>,
    holders: Mutex<HashMap<(TenantId, ContractId), ContractHolder>>,
    invoices: Mutex<HashMap<(TenantId, ContractId, InvoiceNumber), Invoice>>,
}

impl InMemoryAccounts {
    pub fn invoice_count(&self) -> usize {
        self.invoices.lock().unwrap().len()
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

    async fn put_invoice(&self, invoice: &Invoice) -> Result<(), PortError> {
        let key = (invoice.tenant_id.clone(), invoice.contract_id.clone(), invoice.number.clone());
        self.invoices.lock().unwrap().insert(key, invoice.clone());
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

    async fn invoice(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        number: &InvoiceNumber,
    ) -> Result<Option<Invoice>, PortError> {
        Ok(self.invoices.lock().unwrap().get(&(tenant_id.clone(), contract_id.clone(), number.clone())).cloned())
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
}

/// Renders `"<kind>/<channel>/<locale>: <invoice number> <amount>"`: enough to see what went where.
#[derive(Debug, Default)]
pub struct FakeRenderer;

impl NoticeRenderer for FakeRenderer {
    fn render(
        &self,
        key: TemplateKey,
        context: &serde_json::Value,
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
        Ok((template, RenderedMessage { subject, text, html: None }))
    }
}

/// Records what was sent; can be told to fail the next send.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<(String, String)>>,
    fail_next: Mutex<Option<bool>>,
}

impl RecordingSender {
    /// `(destination, text)` of every send.
    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
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
        self.record(email.to.as_str(), &email.message.text)
    }
}

#[async_trait]
impl SmsSender for RecordingSender {
    async fn send(&self, _tenant_id: &TenantId, to: &PhoneE164, text: &str) -> Result<String, PortError> {
        self.record(to.as_str(), text)
    }
}

/// Every fake, wired together.
#[derive(Debug, Default)]
pub struct Fakes {
    pub clock: FixedClock,
    pub claims: InMemoryClaims,
    pub rejections: InMemoryRejections,
    pub accounts: InMemoryAccounts,
    pub compose: InMemoryQueue<ComposeJob>,
    pub dispatch: InMemoryQueue<DeliveryJob>,
    pub notices: InMemoryNotices,
    pub renderer: FakeRenderer,
    pub email: RecordingSender,
    pub sms: RecordingSender,
}

impl Fakes {
    /// A known customer (changed by `customize`), their contract and invoice `F-2026-0001`.
    pub async fn with_invoice(customize: impl FnOnce(&mut CustomerProfile)) -> Self {
        let fakes = Self::default();
        let mut profile = customer_profile();
        customize(&mut profile);
        fakes.accounts.upsert_customer(&profile).await.unwrap();
        fakes.accounts.upsert_holder(&contract_holder()).await.unwrap();
        let BillingEvent { payload: crate::billing::BillingPayload::InvoiceIssued(data), .. } = invoice_event("evt-i")
        else {
            unreachable!()
        };
        fakes.accounts.put_invoice(&Invoice::from_event(&tenant(), &contract(), &data)).await.unwrap();
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
            clock: &fakes.clock,
            default_locale: Locale::Ca,
        };
        compose.handle(&compose_job()).await.unwrap();
        fakes
    }
}

pub fn tenant() -> TenantId {
    TenantId::parse("aigues-reus").unwrap()
}

pub fn contract() -> ContractId {
    ContractId::parse("C-1").unwrap()
}

pub fn customer_profile() -> CustomerProfile {
    CustomerProfile {
        tenant_id: tenant(),
        customer_id: CustomerId::parse("CU-1").unwrap(),
        name: "Maria Puig".into(),
        language: Some(Locale::Ca),
        email: Some(Email::parse("maria.puig@example.cat").unwrap()),
        mobile: Some(PhoneE164::parse("+34600111222").unwrap()),
        channels: vec![],
        consents: Consents { service: true, marketing: false },
        e_invoice: true,
        as_of: "2026-11-01T00:00:00Z".parse().unwrap(),
    }
}

pub fn contract_holder() -> ContractHolder {
    ContractHolder {
        tenant_id: tenant(),
        contract_id: contract(),
        customer_id: CustomerId::parse("CU-1").unwrap(),
        supply_point: SupplyPoint {
            address: "Carrer Major 1, Reus".into(),
            network_sector: "S-01".into(),
            coordinates: None,
            shared_meter: false,
        },
        as_of: "2026-11-01T00:00:00Z".parse().unwrap(),
    }
}

pub fn customer_event(event_id: &str) -> BillingEvent {
    BillingEvent::parse(
        &serde_json::json!({
            "schema_version": 1, "event_id": event_id, "event_type": "customer.upserted",
            "tenant_id": "aigues-reus", "occurred_at": "2026-11-01T00:00:00Z", "contract_id": "C-1",
            "data": {
                "customer_id": "CU-1", "name": "Maria Puig", "language": "ca",
                "email": "maria.puig@example.cat", "mobile": "+34600111222",
                "channels": ["email", "sms"], "consents": {"service": true, "marketing": false},
                "e_invoice": true,
                "supply_point": {"address": "Carrer Major 1, Reus", "network_sector": "S-01", "coordinates": null}
            }
        })
        .to_string(),
    )
    .unwrap()
}

pub fn invoice_event(event_id: &str) -> BillingEvent {
    BillingEvent::parse(
        &serde_json::json!({
            "schema_version": 1, "event_id": event_id, "event_type": "invoice.issued",
            "tenant_id": "aigues-reus", "occurred_at": "2026-11-20T08:00:00Z", "contract_id": "C-1",
            "data": {
                "number": "F-2026-0001", "period": {"from": "2026-09-01", "to": "2026-10-31"},
                "issue_date": "2026-11-20", "due_date": "2026-12-01", "amount": "48.20", "currency": "EUR",
                "direct_debit": true, "consumption_m3": "12.5", "pdf": null
            }
        })
        .to_string(),
    )
    .unwrap()
}

pub fn compose_job() -> ComposeJob {
    ComposeJob::new(
        tenant(),
        contract(),
        NoticeSubject::InvoiceAvailable { invoice_number: InvoiceNumber::parse("F-2026-0001").unwrap() },
        EventId::parse("evt-i").unwrap(),
    )
}

pub fn delivery_job(channel: Channel) -> DeliveryJob {
    DeliveryJob { tenant_id: tenant(), notice_id: compose_job().notice_id, channel }
}
