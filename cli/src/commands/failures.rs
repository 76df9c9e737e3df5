//! What failed: the rejections with their reasons, and sending again what a fix can save.

use avisa_domain::ids::TenantId;
use avisa_domain::ports::RejectionLog;

use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

pub async fn rejected(stack: &Stack, tenant: &str, limit: usize, out: Output) -> Result<(), CliError> {
    let tenant = match tenant {
        "unknown" => None,
        tenant => Some(TenantId::parse(tenant).map_err(|e| CliError::refused(format!("--tenant: {e}")))?),
    };
    let rejected = stack.store().await?.list(tenant.as_ref(), limit).await?;
    let rows = rejected
        .iter()
        .map(|r| {
            vec![
                crate::output::when(r.at),
                r.source.clone(),
                r.event_id.clone().unwrap_or_else(|| "-".into()),
                serde_json::to_value(r.rejection.code)
                    .ok()
                    .and_then(|c| c.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                r.rejection.detail.clone(),
            ]
        })
        .collect();
    let json: Vec<serde_json::Value> = rejected
        .iter()
        .map(|r| {
            serde_json::json!({
                "at": r.at, "source": r.source, "event_id": r.event_id, "message_id": r.message_id,
                "code": r.rejection.code, "reason": r.rejection.detail, "redrivable": r.body.is_some(),
            })
        })
        .collect();
    out.table(&["at", "function", "event", "code", "reason"], rows, &json)
}

pub async fn redrive(
    stack: &Stack,
    tenant: TenantId,
    from: Option<jiff::Timestamp>,
    to: Option<jiff::Timestamp>,
    out: Output,
) -> Result<(), CliError> {
    use avisa_local::redrive::{self, Queues, Selection};
    let now = jiff::Timestamp::now();
    let from = from.unwrap_or(now - jiff::SignedDuration::from_hours(14 * 24));
    let selection = Selection { tenant, from, to: to.unwrap_or(now) };
    let store = stack.store().await?;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let queues = Queues::discover(&sqs, &stack.name).await?;
    let redriven = redrive::redrive(&store, &sqs, &queues, &selection).await?;
    out.said(redriven.to_string().trim_end(), &redriven)
}
