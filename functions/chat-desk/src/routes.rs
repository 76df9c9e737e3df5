//! The staff API's routes: each parses its input, calls the chat line, and answers JSON.

use avisa_domain::Error;
use avisa_domain::chat::{ChatLine, IncidentStatus, StaffAction};
use avisa_domain::complaints::{Action, FileComplaint};
use avisa_domain::contact::PhoneE164;
use avisa_domain::error::RejectionCode;
use avisa_domain::ids::{ContractId, InvoiceNumber};
use avisa_domain::operators::Operator;
use avisa_domain::outage::parse_body;
use avisa_domain::text::Text;
use avisa_runtime::http::{error_response, json};
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse;
use jiff::SignedDuration;
use serde_json::{Value, json};

/// How many incidents or appointments a list shows.
const LIST_LIMIT: usize = 100;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: Text<4096>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: IncidentStatus,
    #[serde(default)]
    note: Option<Text<500>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    slot: Text<200>,
}

/// A phone in a path, with or without its `+` (`%2B` is awkward in URLs).
pub(crate) fn phone(raw: &str) -> Result<PhoneE164, Error> {
    let raw = raw.trim_start_matches("%2B").trim_start_matches('+');
    PhoneE164::parse(&format!("+{raw}")).map_err(|e| Error::rejected(RejectionCode::InvalidField, e.to_string()))
}

fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `POST /complaints`: filed by staff on the customer's behalf.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBody {
    contract_id: ContractId,
    invoice_number: InvoiceNumber,
    reason: Text<1000>,
}

/// A request: its method, path, query and body.
pub(crate) struct Request<'a> {
    /// `Idempotency-Key`: a retried request with the same key sends nothing twice.
    pub idempotency_key: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a std::collections::HashMap<String, String>,
    pub body: &'a [u8],
}

pub(crate) async fn route(line: &ChatLine<'_>, operator: &Operator, request: Request<'_>) -> LambdaFunctionUrlResponse {
    let Request { idempotency_key, method, path, query, body } = request;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (tenant, agent) = (&operator.tenant_id, operator.name.as_str());
    let result: Result<Value, Error> = async {
        match (method, segments.as_slice()) {
            ("GET", ["conversations"]) => Ok(json!({ "waiting": to_json(&line.waiting(tenant).await?) })),
            ("GET", ["conversations", number]) => match line.conversation(tenant, &phone(number)?).await? {
                Some(conversation) => Ok(to_json(&conversation)),
                None => Err(Error::rejected(RejectionCode::NotFound, "no conversation with this number")),
            },
            ("POST", ["conversations", number, action]) => {
                let action = match *action {
                    "take" => StaffAction::Take,
                    "resolve" => StaffAction::Resolve,
                    "reply" => {
                        let reply: ReplyBody = parse_body(body, "not a reply ({text})")?;
                        return Ok(to_json(
                            &line
                                .staff(
                                    tenant,
                                    &phone(number)?,
                                    agent,
                                    StaffAction::Reply(reply.text.as_str()),
                                    idempotency_key,
                                )
                                .await?,
                        ));
                    }
                    other => {
                        return Err(Error::rejected(
                            RejectionCode::InvalidField,
                            format!("no action {other}: take, reply or resolve"),
                        ));
                    }
                };
                Ok(to_json(&line.staff(tenant, &phone(number)?, agent, action, idempotency_key).await?))
            }
            ("GET", ["incidents"]) => {
                Ok(json!({ "incidents": to_json(&line.filings.incidents.incidents(tenant, LIST_LIMIT).await?) }))
            }
            ("POST", ["incidents", reference, "status"]) => {
                let update: StatusBody = parse_body(body, "not a status ({status, note?})")?;
                Ok(to_json(&line.update_incident(tenant, reference, agent, update.status, update.note).await?))
            }
            ("GET", ["appointments"]) => Ok(
                json!({ "appointments": to_json(&line.filings.appointments.appointments(tenant, LIST_LIMIT).await?) }),
            ),
            ("POST", ["appointments", reference, "confirm"]) => {
                let confirm: ConfirmBody = parse_body(body, "not a confirmation ({slot})")?;
                Ok(to_json(&line.confirm_appointment(tenant, reference, agent, confirm.slot).await?))
            }
            ("GET", ["complaints"]) => {
                let days: u16 = query.get("older_than_days").map_or(Ok(0), |d| d.parse()).map_err(|_| {
                    Error::rejected(RejectionCode::InvalidField, "older_than_days is a number of days, 0 to 65535")
                })?;
                let age = SignedDuration::from_hours(24 * i64::from(days));
                let complaints =
                    line.complaint_desk().list(tenant, query.get("state").map(String::as_str), age).await?;
                Ok(json!({ "complaints": to_json(&complaints) }))
            }
            ("GET", ["complaints", reference]) => {
                Ok(to_json(&line.complaint_desk().complaint(tenant, reference).await?))
            }
            ("POST", ["complaints"]) => {
                let filed: FileBody = parse_body(body, "not a complaint ({contract_id, invoice_number, reason})")?;
                let request = FileComplaint {
                    tenant_id: tenant.clone(),
                    contract_id: filed.contract_id,
                    invoice_number: filed.invoice_number,
                    reason: filed.reason,
                };
                Ok(to_json(&line.complaint_desk().file(agent, "operator", request).await?))
            }
            ("POST", ["complaints", reference]) => {
                let action: Action = parse_body(body, "not a complaint action ({action, …})")?;
                Ok(to_json(&line.complaint_desk().act(agent, tenant, reference, action).await?))
            }
            _ => Err(Error::rejected(
                RejectionCode::NotFound,
                format!("no route {method} {path}: see the staff API in README.md"),
            )),
        }
    }
    .await;
    match result {
        Ok(body) => json(200, &body),
        Err(error) => error_response(&error),
    }
}
