//! The billing-event contract (v1): what upstream billing systems send on the billing-events queue.
//!
//! Parsing happens in two steps so that every refusal names its reason: first the envelope, then
//! the `data` of the declared `event_type`, with the path of the offending field.

mod data;
pub mod schema;

use jiff::Timestamp;
use serde::Deserialize;

pub use data::*;

use crate::error::{Rejection, RejectionCode};
use crate::ids::{ContractId, EventId, TenantId};

/// The contract versions this build understands.
pub const SUPPORTED_SCHEMA_VERSIONS: [u32; 1] = [1];

/// Largest body accepted; SQS allows 256 KiB, a billing event needs far less.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// A billing event, parsed and valid.
#[derive(Debug, Clone, PartialEq)]
pub struct BillingEvent {
    pub event_id: EventId,
    pub tenant_id: TenantId,
    pub contract_id: ContractId,
    pub occurred_at: Timestamp,
    pub payload: BillingPayload,
}

/// Declares the event types once: the payload enum, its `event_type` names, the parser of each
/// type's `data`, and the list the schemas are generated from.
macro_rules! event_types {
    ($($name:literal => $variant:ident),+ $(,)?) => {
        #[derive(Debug, Clone, PartialEq)]
        pub enum BillingPayload {
            $($variant($variant),)+
        }

        /// Every `event_type` of contract v1.
        pub const EVENT_TYPES: &[&str] = &[$($name),+];

        impl BillingPayload {
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)+
                }
            }

            fn parse(event_type: &str, data: serde_json::Value) -> Result<Self, Rejection> {
                match event_type {
                    $($name => typed(event_type, data).map(Self::$variant),)+
                    other => Err(Rejection::new(
                        RejectionCode::UnknownEventType,
                        format!("event_type is not one this build knows ({} characters); known types: {}", other.chars().count(), EVENT_TYPES.join(", ")),
                    )),
                }
            }
        }

        /// The JSON Schema of an event type's `data` (its definitions go to `generator`).
        pub(crate) fn data_schema(event_type: &str, generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
            match event_type {
                $($name => Some(generator.subschema_for::<$variant>()),)+
                _ => None,
            }
        }
    };
}

event_types! {
    "customer.upserted" => CustomerUpserted,
    "invoice.scheduled" => InvoiceScheduled,
    "invoice.issued" => InvoiceIssued,
    "invoice.paid" => InvoicePaid,
    "direct_debit.returned" => DirectDebitReturned,
    "payment_plan.updated" => PaymentPlanUpdated,
    "meter.telemetry_enabled" => TelemetryEnabled,
    "tariff.changed" => TariffChanged,
}

/// What the envelope carries before its `data` is understood.
#[derive(Deserialize)]
struct Envelope {
    event_id: EventId,
    event_type: String,
    tenant_id: TenantId,
    occurred_at: Timestamp,
    contract_id: ContractId,
    data: serde_json::Value,
}

/// The parts of an envelope worth reporting with a rejection, read leniently.
#[derive(Deserialize, Default)]
struct EnvelopeIds {
    event_id: Option<String>,
    tenant_id: Option<String>,
}

/// The envelope's contract, read ahead of the whole event.
#[derive(Deserialize)]
struct EnvelopeContract {
    tenant_id: TenantId,
    contract_id: ContractId,
    event_type: String,
}

/// The tenant and contract of an event that needs the contract to have a holder: every event but
/// the `customer.upserted` that makes one. `None` for a body that is not such an event.
pub fn holder_needed_by(body: &str) -> Option<(TenantId, ContractId)> {
    let envelope: EnvelopeContract = serde_json::from_str(body).ok()?;
    (envelope.event_type != "customer.upserted").then_some((envelope.tenant_id, envelope.contract_id))
}

/// A refused event, with whatever ids could be read from it for the rejection record.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub rejection: Rejection,
    pub event_id: Option<String>,
    pub tenant_id: Option<String>,
}

impl BillingEvent {
    /// Parses one queue message body.
    pub fn parse(body: &str) -> Result<Self, Refused> {
        let ids: EnvelopeIds = serde_json::from_str(body).unwrap_or_default();
        let refuse = |code, detail: String| Refused {
            rejection: Rejection::new(code, detail),
            event_id: ids.event_id.clone(),
            tenant_id: ids.tenant_id.clone(),
        };
        if body.len() > MAX_EVENT_BYTES {
            return Err(refuse(
                RejectionCode::InvalidField,
                format!("body is {} bytes; the limit is {MAX_EVENT_BYTES}", body.len()),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| refuse(RejectionCode::InvalidJson, format!("body is not JSON: {e}")))?;
        match value.get("schema_version").map(serde_json::Value::as_u64) {
            None => return Err(refuse(RejectionCode::InvalidField, "schema_version: missing field".into())),
            Some(Some(version)) if SUPPORTED_SCHEMA_VERSIONS.iter().any(|v| u64::from(*v) == version) => {}
            Some(other) => {
                let shown = other.map_or_else(|| "that is not a number".to_owned(), |v| v.to_string());
                return Err(refuse(
                    RejectionCode::UnsupportedSchemaVersion,
                    format!("schema_version {shown} is not supported; use one of {SUPPORTED_SCHEMA_VERSIONS:?}"),
                ));
            }
        }
        let envelope: Envelope = serde_path_to_error::deserialize(value)
            .map_err(|e| refuse(RejectionCode::InvalidField, describe(None, &e)))?;
        let payload =
            BillingPayload::parse(&envelope.event_type, envelope.data).map_err(|r| refuse(r.code, r.detail))?;
        Ok(Self {
            event_id: envelope.event_id,
            tenant_id: envelope.tenant_id,
            contract_id: envelope.contract_id,
            occurred_at: envelope.occurred_at,
            payload,
        })
    }
}

fn typed<T: serde::de::DeserializeOwned>(event_type: &str, data: serde_json::Value) -> Result<T, Rejection> {
    serde_path_to_error::deserialize(data)
        .map_err(|e| Rejection::new(RejectionCode::InvalidField, describe(Some(event_type), &e)))
}

/// `data.period.from: invalid date…` — the path a person needs to find the field, and the rule it
/// broke; never the value, which may be a phone, an address or a name (and is kept 90 days).
fn describe(event_type: Option<&str>, error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    let inner = crate::error::without_values(&error.inner().to_string());
    match (event_type, path.as_str()) {
        (Some(t), ".") => format!("data of {t}: {inner}"),
        (Some(t), path) => format!("data.{path} of {t}: {inner}"),
        (None, ".") => inner,
        (None, path) => format!("{path}: {inner}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invoice_event() -> serde_json::Value {
        json!({
            "schema_version": 1,
            "event_id": "evt-1",
            "event_type": "invoice.issued",
            "tenant_id": "aigues-reus",
            "occurred_at": "2026-11-20T08:00:00Z",
            "contract_id": "C-1",
            "data": {
                "number": "F-2026-0001",
                "period": {"from": "2026-09-01", "to": "2026-10-31"},
                "issue_date": "2026-11-20",
                "due_date": "2026-12-01",
                "amount": "48.20",
                "currency": "EUR",
                "direct_debit": true,
                "consumption_m3": "12.5",
                "pdf": null
            }
        })
    }

    fn refusal(body: &serde_json::Value) -> Refused {
        BillingEvent::parse(&body.to_string()).unwrap_err()
    }

    #[test]
    fn parses_an_invoice_issued_event() {
        let event = BillingEvent::parse(&invoice_event().to_string()).unwrap();
        assert_eq!(event.event_id.as_str(), "evt-1");
        let BillingPayload::InvoiceIssued(invoice) = event.payload else { panic!("wrong payload") };
        assert_eq!(invoice.amount.minor(), 4820);
        assert_eq!(invoice.due_date, jiff::civil::date(2026, 12, 1));
    }

    #[test]
    fn invalid_json_is_refused_as_such() {
        let refused = BillingEvent::parse("{not json").unwrap_err();
        assert_eq!(refused.rejection.code, RejectionCode::InvalidJson);
        assert_eq!(refused.event_id, None);
    }

    #[test]
    fn unknown_schema_version_is_refused_with_the_event_id() {
        let mut body = invoice_event();
        body["schema_version"] = json!(7);
        let refused = refusal(&body);
        assert_eq!(refused.rejection.code, RejectionCode::UnsupportedSchemaVersion);
        assert_eq!(refused.event_id.as_deref(), Some("evt-1"));
    }

    #[test]
    fn unknown_event_type_names_the_known_ones() {
        let mut body = invoice_event();
        body["event_type"] = json!("invoice.exploded");
        let refused = refusal(&body);
        assert_eq!(refused.rejection.code, RejectionCode::UnknownEventType);
        assert!(refused.rejection.detail.contains("invoice.issued"));
    }

    #[test]
    fn a_malformed_field_is_named_in_the_reason() {
        let mut body = invoice_event();
        body["data"]["amount"] = json!("48,20");
        let refused = refusal(&body);
        assert_eq!(refused.rejection.code, RejectionCode::InvalidField);
        assert!(
            refused.rejection.detail.starts_with("data.amount of invoice.issued: amount must be a decimal string"),
            "{}",
            refused.rejection.detail
        );
    }

    #[test]
    fn an_invalid_phone_in_a_customer_is_refused() {
        let body = json!({
            "schema_version": 1, "event_id": "evt-2", "event_type": "customer.upserted",
            "tenant_id": "aigues-reus", "occurred_at": "2026-11-20T08:00:00Z", "contract_id": "C-1",
            "data": {
                "customer_id": "CU-1", "name": "Maria", "language": "ca", "email": null,
                "mobile": "600111222", "consents": {"service": true, "marketing": false},
                "supply_point": {"address": "Carrer Major 1", "network_sector": "S-01", "coordinates": null}
            }
        });
        let refused = refusal(&body);
        assert_eq!(refused.rejection.code, RejectionCode::InvalidField);
        assert!(refused.rejection.detail.contains("E.164"), "{}", refused.rejection.detail);
    }

    /// Every way a `customer.upserted` can carry a bad value, each with personal data in it.
    #[test]
    fn a_refusal_names_the_field_and_the_rule_never_the_value() {
        let personal = ["Maria Puig", "+34600111222", "600111222", "maria@example.cat", "Carrer Major 1"];
        let customer = |data: serde_json::Value| {
            json!({
                "schema_version": 1, "event_id": "evt-2", "event_type": "customer.upserted",
                "tenant_id": "aigues-reus", "occurred_at": "2026-11-20T08:00:00Z", "contract_id": "C-1",
                "data": data
            })
        };
        let good = json!({
            "customer_id": "CU-1", "name": "Maria Puig", "language": "ca", "email": "maria@example.cat",
            "mobile": "+34600111222", "consents": {"service": true, "marketing": false},
            "supply_point": {"address": "Carrer Major 1", "network_sector": "S-01", "coordinates": null}
        });
        let broken = [
            ("mobile", json!("600111222")),
            ("mobile", json!(600_111_222)),
            ("email", json!("maria at example.cat Carrer Major 1")),
            ("name", json!({"first": "Maria Puig"})),
            ("language", json!("Maria Puig")),
            ("consents", json!("maria@example.cat")),
            ("supply_point", json!("Carrer Major 1")),
            ("customer_id", json!(["+34600111222"])),
        ];
        for (field, value) in broken {
            let mut data = good.clone();
            data[field] = value;
            let refused = refusal(&customer(data));
            let detail = refused.rejection.detail;
            assert!(detail.contains(field), "names {field}: {detail}");
            for secret in personal {
                assert!(!detail.contains(secret), "{field}: the reason quotes {secret:?}: {detail}");
            }
        }
    }

    #[test]
    fn an_oversize_body_is_refused_before_parsing() {
        let mut body = invoice_event();
        body["data"]["pdf"] = json!({"uri": "x".repeat(MAX_EVENT_BYTES), "size_bytes": 1});
        assert!(refusal(&body).rejection.detail.contains("the limit is"));
    }
}
