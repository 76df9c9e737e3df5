//! The operator API's routes: each one parses its input, calls its desk (outages, announcements),
//! and answers JSON.

use avisa_domain::Error;
use avisa_domain::announcements::{AnnouncementDesk, AnnouncementRequest};
use avisa_domain::error::RejectionCode;
use avisa_domain::ids::{AnnouncementId, ContractId, OutageId, SubscriberId};
use avisa_domain::operators::Operator;
use avisa_domain::outage::{Changed, DryRun, Outage, OutageDesk, OutagePlan, Reschedule, Subscribe, parse_body};
use avisa_runtime::http::{error_response, json};
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse;
use serde_json::json;

/// `POST /outages/{id}/end`: whether those told hear that the water is back.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    #[serde(default)]
    notify_restored: bool,
}

fn planned(outage: &Outage, dry_run: &DryRun) -> serde_json::Value {
    json!({ "outage": outage, "dry_run": dry_run })
}

fn changed(result: &Changed) -> serde_json::Value {
    json!({ "outage": result.outage, "changed": result.changed })
}

fn id<T>(raw: &str, parse: impl FnOnce(&str) -> Result<T, avisa_domain::ids::InvalidId>) -> Result<T, Error> {
    parse(raw).map_err(|e| Error::rejected(RejectionCode::InvalidField, e.to_string()))
}

/// `GET /outages`: the latest this many, by start.
const LISTED: usize = 100;

pub(crate) async fn route(
    desk: &OutageDesk<'_>,
    announcements: &AnnouncementDesk<'_>,
    operator: &Operator,
    method: &str,
    path: &str,
    body: &[u8],
) -> LambdaFunctionUrlResponse {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let by = operator.name.as_str();
    let tenant = &operator.tenant_id;
    let result: Result<(i64, serde_json::Value), Error> = async {
        match (method, segments.as_slice()) {
            ("POST", ["outages"]) => {
                let plan = OutagePlan::parse(body)?;
                if &plan.tenant_id != tenant {
                    return Ok((403, json!({ "error": format!("this token acts for tenant {tenant} only") })));
                }
                let (outage, dry_run) = desk.plan(by, plan).await?;
                Ok((201, planned(&outage, &dry_run)))
            }
            ("GET", ["outages"]) => Ok((200, json!({ "outages": desk.list(tenant, LISTED).await? }))),
            ("GET", ["outages", outage_id]) => {
                let outage_id = id(outage_id, OutageId::parse)?;
                let (outage, dry_run) = desk.dry_run(tenant, &outage_id).await?;
                let mut shown = planned(&outage, &dry_run);
                shown["sends"] = json!(desk.sends(tenant, &outage_id).await?);
                Ok((200, shown))
            }
            ("GET", ["outages", outage_id, "sends"]) => {
                let outage_id = id(outage_id, OutageId::parse)?;
                Ok((200, json!({ "outage_id": outage_id, "sends": desk.sends(tenant, &outage_id).await? })))
            }
            ("POST", ["outages", outage_id, "confirm"]) => {
                Ok((200, changed(&desk.confirm(by, tenant, &id(outage_id, OutageId::parse)?).await?)))
            }
            ("POST", ["outages", outage_id, "approve"]) => {
                Ok((200, changed(&desk.approve(by, tenant, &id(outage_id, OutageId::parse)?).await?)))
            }
            ("POST", ["outages", outage_id, "reschedule"]) => {
                let to: Reschedule = parse_body(body, "not a reschedule ({start, expected_end})")?;
                Ok((200, changed(&desk.reschedule(by, tenant, &id(outage_id, OutageId::parse)?, to).await?)))
            }
            ("POST", ["outages", outage_id, "cancel"]) => {
                Ok((200, changed(&desk.cancel(by, tenant, &id(outage_id, OutageId::parse)?).await?)))
            }
            ("POST", ["outages", outage_id, "end"]) => {
                let end: End =
                    if body.is_empty() { End::default() } else { parse_body(body, "not an end ({notify_restored})")? };
                let outage_id = id(outage_id, OutageId::parse)?;
                Ok((200, changed(&desk.end(by, tenant, &outage_id, end.notify_restored).await?)))
            }
            ("POST", ["subscriptions"]) => {
                let request: Subscribe = parse_body(body, "not a subscription")?;
                if &request.tenant_id != tenant {
                    return Ok((403, json!({ "error": format!("this token acts for tenant {tenant} only") })));
                }
                let subscription = desk.subscribe(request).await?;
                Ok((
                    201,
                    json!({ "subscriber_id": subscription.subscriber_id, "contract_id": subscription.contract_id }),
                ))
            }
            ("DELETE", ["subscriptions", contract_id, subscriber_id]) => {
                let contract_id = id(contract_id, ContractId::parse)?;
                let subscriber_id = id(subscriber_id, SubscriberId::parse)?;
                if desk.unsubscribe(tenant, &contract_id, &subscriber_id).await? {
                    Ok((200, json!({ "unsubscribed": subscriber_id })))
                } else {
                    Ok((404, json!({ "error": format!("no subscription {subscriber_id} at contract {contract_id}") })))
                }
            }
            ("POST", ["announcements", "preview"]) => {
                Ok((200, json!(announcements.preview(tenant, AnnouncementRequest::parse(body)?).await?)))
            }
            ("POST", ["announcements"]) => {
                let announced = announcements.submit(by, tenant, AnnouncementRequest::parse(body)?).await?;
                Ok((if announced.new { 201 } else { 200 }, json!(announced)))
            }
            ("GET", ["announcements", announcement_id]) => {
                let (announcement, send) =
                    announcements.status(tenant, &id(announcement_id, AnnouncementId::parse)?).await?;
                Ok((200, json!({ "announcement": announcement, "send": send })))
            }
            _ => Ok((404, json!({ "error": format!("no route {method} {path}: see the operator API in README.md") }))),
        }
    }
    .await;
    match result {
        Ok((status, body)) => json(status, &body),
        Err(error) => error_response(&error),
    }
}
