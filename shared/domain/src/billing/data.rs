//! The `data` of each billing event type (contract v1). These types are the source of truth of
//! the published JSON Schemas (`events/schema/v1/`).

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::{CustomerId, InvoiceNumber, MeterId, PlanId, SectorId, TariffCode};
use crate::money::{Amount, Currency, Money};
use crate::text::Text;

/// `customer.upserted`: the contract holder, how to reach them and what they agreed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerUpserted {
    pub customer_id: CustomerId,
    pub name: Text<200>,
    /// The language notices are written in; the tenant's default when absent.
    pub language: Option<Locale>,
    pub email: Option<Email>,
    /// Mobile number for SMS and WhatsApp, in E.164 form.
    pub mobile: Option<PhoneE164>,
    /// Channels in the citizen's order of preference; email then SMS when empty.
    #[serde(default)]
    pub channels: Vec<Channel>,
    pub consents: Consents,
    /// The citizen asked for electronic invoices instead of paper.
    #[serde(default)]
    pub e_invoice: bool,
    pub supply_point: SupplyPoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consents {
    /// Service messages about the contract (invoices, outages).
    pub service: bool,
    /// Anything else.
    pub marketing: bool,
}

/// Where the water is supplied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyPoint {
    pub address: Text<300>,
    /// The network sector (what a valve closes off): how outages find who they reach.
    pub network_sector: SectorId,
    pub coordinates: Option<Coordinates>,
    /// One meter for a whole building: its residents have no contract of their own.
    #[serde(default)]
    pub shared_meter: bool,
    /// Who must hear of an outage before everyone else: a hospital, a care home, a household
    /// that depends on water for medical care. Absent: an ordinary supply point.
    #[serde(default)]
    pub priority: Option<PriorityKind>,
}

/// Why a supply point is alerted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorityKind {
    Hospital,
    /// A health centre, clinic or dialysis unit.
    HealthCentre,
    CareHome,
    /// Someone at home depends on water for medical care (home dialysis, oxygen…).
    MedicallyDependent,
    School,
    /// Fire station, food industry, anything else the utility must warn first.
    EssentialService,
}

impl PriorityKind {
    pub const ALL: [Self; 6] = [
        Self::Hospital,
        Self::HealthCentre,
        Self::CareHome,
        Self::MedicallyDependent,
        Self::School,
        Self::EssentialService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hospital => "hospital",
            Self::HealthCentre => "health_centre",
            Self::CareHome => "care_home",
            Self::MedicallyDependent => "medically_dependent",
            Self::School => "school",
            Self::EssentialService => "essential_service",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, try_from = "RawCoordinates")]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

/// Coordinates before their ranges are checked (and what the schema describes).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawCoordinates {
    #[schemars(range(min = -90.0, max = 90.0))]
    lat: f64,
    #[schemars(range(min = -180.0, max = 180.0))]
    lon: f64,
}

impl TryFrom<RawCoordinates> for Coordinates {
    type Error = String;
    fn try_from(raw: RawCoordinates) -> Result<Self, String> {
        if (-90.0..=90.0).contains(&raw.lat) && (-180.0..=180.0).contains(&raw.lon) {
            Ok(Self { lat: raw.lat, lon: raw.lon })
        } else {
            Err("coordinates must be WGS 84 degrees: lat within ±90, lon within ±180".to_owned())
        }
    }
}

/// `invoice.scheduled`: an invoice will be issued (and, for a direct debit, charged) on these
/// dates; the citizen is told 7–10 days before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceScheduled {
    pub number: InvoiceNumber,
    pub planned_issue_date: Date,
    /// When the bank will be charged, for a direct debit.
    pub bank_charge_date: Option<Date>,
    pub amount: Amount,
    pub currency: Currency,
    #[serde(default)]
    pub direct_debit: bool,
}

/// `invoice.issued`: a new invoice exists for the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIssued {
    pub number: InvoiceNumber,
    pub period: Period,
    pub issue_date: Date,
    /// When it is due, or when the bank will be charged for a direct debit.
    pub due_date: Date,
    pub amount: Amount,
    pub currency: Currency,
    #[serde(default)]
    pub direct_debit: bool,
    /// Cubic metres consumed in the period.
    pub consumption_m3: Option<Amount>,
    /// The tariff concepts the amount is made of.
    #[serde(default)]
    pub tariff_lines: Vec<TariffLine>,
    pub pdf: Option<Document>,
}

impl InvoiceIssued {
    pub fn total(&self) -> Money {
        Money { amount: self.amount, currency: self.currency.clone() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffLine {
    pub concept: Text<120>,
    pub amount: Amount,
}

/// Where a document (the invoice PDF) lives, e.g. `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub uri: Text<1024>,
    pub size_bytes: u64,
}

/// `invoice.paid`: the invoice was paid (by direct debit or otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicePaid {
    pub number: InvoiceNumber,
    pub paid_on: Date,
    pub amount: Amount,
    pub currency: Currency,
}

/// `direct_debit.returned`: the bank returned the direct debit of an invoice; it is unpaid again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectDebitReturned {
    pub invoice_number: InvoiceNumber,
    pub returned_on: Date,
    pub amount: Amount,
    pub currency: Currency,
    /// The bank's reason, as the billing system words it.
    pub reason: Text<200>,
    /// What the return costs the citizen, if anything.
    pub fee: Option<Amount>,
}

/// `payment_plan.updated`: the whole current state of a payment plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentPlanUpdated {
    pub plan_id: PlanId,
    pub status: PlanStatus,
    pub currency: Currency,
    #[schemars(length(min = 1, max = 120))]
    pub instalments: Vec<Instalment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Active,
    Completed,
    Cancelled,
    Defaulted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    pub due_date: Date,
    pub amount: Amount,
    pub paid: bool,
}

/// `meter.telemetry_enabled`: the supply point has a remotely read meter; the citizen can follow
/// their consumption and set alerts on the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetryEnabled {
    pub meter_id: MeterId,
    /// The page where the citizen sees their consumption (https).
    pub portal_url: PortalUrl,
}

/// An https link for citizens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortalUrl(String);

impl TryFrom<String> for PortalUrl {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let ok = raw.len() <= 512 && raw.starts_with("https://") && raw.len() > 8 && !raw.contains(char::is_whitespace);
        if ok {
            Ok(Self(raw))
        } else {
            Err("portal_url must be an https:// link without spaces, at most 512 characters".into())
        }
    }
}

impl From<PortalUrl> for String {
    fn from(url: PortalUrl) -> String {
        url.0
    }
}

string_schema!(PortalUrl, "PortalUrl", { "format": "uri", "pattern": "^https://\\S+$", "maxLength": 512 });

/// `tariff.changed`: the contract is billed on another tariff from a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffChanged {
    pub tariff_code: TariffCode,
    pub name: Text<120>,
    pub effective_from: Date,
}
