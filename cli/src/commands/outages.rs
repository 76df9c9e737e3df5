//! The outage desk, run with the outage-scheduler's own code against the deployment.

use std::fmt::Write;

use avisa_domain::ids::{OutageId, TenantId};
use avisa_domain::outage::{DryRun, Outage, OutagePlan, Reschedule};
use avisa_domain::sends::SendStatus;
use jiff::Timestamp;

use crate::args::OutageAction;
use crate::error::CliError;
use crate::output::{Output, when};
use crate::stack::Stack;

/// Marks the subscriptions stored before marks existed, so that planning finds them.
pub async fn mark_subscriptions(stack: &Stack, out: Output) -> Result<(), CliError> {
    let marked = stack.store().await?.mark_existing_subscriptions().await?;
    if out.json {
        return crate::output::print_json(&serde_json::json!({ "marked": marked }));
    }
    crate::output::print(&format!("{marked} outage alert subscriptions marked on their contracts\n"))
}

pub async fn run(stack: &Stack, tenant: TenantId, by: &str, action: OutageAction, out: Output) -> Result<(), CliError> {
    let config = outage_scheduler::Config::load(&stack.function_env()?).map_err(|e| {
        CliError::refused(format!("{e} — the stack's outputs (--outputs) give it; an older stack may lack the output"))
    })?;
    let app = outage_scheduler::App::new(&config, &stack.sdk().await).map_err(|e| CliError::refused(e.to_string()))?;
    let desk = app.desk();
    let by = format!("cli:{by}");
    let id = |raw: &str| OutageId::parse(raw).map_err(|e| CliError::refused(format!("outage id {raw}: {e}")));
    let refused = |e: avisa_domain::Error| CliError::refused(e.to_string());
    let (outage, dry_run) = match action {
        OutageAction::List { limit } => {
            return list(&desk.list(&tenant, usize::from(limit)).await.map_err(refused)?, out);
        }
        OutageAction::Plan { file } => {
            let name = file.display().to_string();
            let body = std::fs::read(&file).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
            let plan =
                OutagePlan::parse(&body).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
            if plan.tenant_id != tenant {
                return Err(CliError::File {
                    file: name,
                    why: format!("it is for tenant {}, not {tenant}", plan.tenant_id),
                });
            }
            let (outage, dry_run) = desk.plan(&by, plan).await.map_err(refused)?;
            (outage, Some(dry_run))
        }
        OutageAction::Status { id: outage_id, watch } => {
            let outage_id = id(&outage_id)?;
            loop {
                let sends = desk.sends(&tenant, &outage_id).await.map_err(refused)?;
                let json = serde_json::json!({ "outage_id": outage_id, "sends": sends });
                out.said(&progress(&outage_id, &sends, Timestamp::now()), &json)?;
                if !watch || sends.iter().all(|s| s.finished_at.is_some()) {
                    return Ok(());
                }
                tokio::time::sleep(WATCH_EVERY).await;
            }
        }
        OutageAction::Show { id: outage_id } => {
            let (outage, dry_run) = desk.dry_run(&tenant, &id(&outage_id)?).await.map_err(refused)?;
            (outage, Some(dry_run))
        }
        OutageAction::Confirm { id: outage_id } => {
            (desk.confirm(&by, &tenant, &id(&outage_id)?).await.map_err(refused)?.outage, None)
        }
        OutageAction::Approve { id: outage_id } => {
            (desk.approve(&by, &tenant, &id(&outage_id)?).await.map_err(refused)?.outage, None)
        }
        OutageAction::Reschedule { id: outage_id, start, end } => {
            let to = Reschedule { start, expected_end: end };
            (desk.reschedule(&by, &tenant, &id(&outage_id)?, to).await.map_err(refused)?.outage, None)
        }
        OutageAction::Cancel { id: outage_id } => {
            (desk.cancel(&by, &tenant, &id(&outage_id)?).await.map_err(refused)?.outage, None)
        }
        OutageAction::End { id: outage_id, notify_restored } => {
            (desk.end(&by, &tenant, &id(&outage_id)?, notify_restored).await.map_err(refused)?.outage, None)
        }
    };
    let json = match &dry_run {
        Some(dry_run) => serde_json::json!({ "outage": outage, "dry_run": dry_run }),
        None => serde_json::json!({ "outage": outage }),
    };
    out.said(&described(&outage, dry_run.as_ref()), &json)
}

/// How often `status --watch` reads the sends again.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Each fired alert's send as an operator follows it.
fn progress(outage_id: &OutageId, sends: &[SendStatus], now: Timestamp) -> String {
    if sends.is_empty() {
        return format!("outage {outage_id}: no alert has fired yet");
    }
    sends.iter().map(|send| super::sends::progress(send, now)).collect::<Vec<_>>().join("\n")
}

/// What a planner reads: the outage, and who its alerts would reach.
fn described(outage: &Outage, dry_run: Option<&DryRun>) -> String {
    let mut text = format!(
        "outage {}  {}  {}  {} to {}\n",
        outage.outage_id,
        outage.status.as_str(),
        name(&outage.kind),
        when(outage.window.start),
        when(outage.window.expected_end),
    );
    if let Some(approval) = &outage.approval {
        let _ = writeln!(
            text,
            "confirmed by {} for {} recipient(s), more than {}; approved by {}",
            approval.requested_by,
            approval.recipients,
            approval.threshold,
            approval.approved_by.as_deref().unwrap_or("nobody yet (a second planner runs `avisa outage approve`)"),
        );
    }
    let Some(dry_run) = dry_run else { return text.trim_end().to_owned() };
    let channels: Vec<String> = dry_run.by_channel.iter().map(|(c, n)| format!("{} {n}", c.as_str())).collect();
    let _ = writeln!(
        text,
        "reaches {} recipient(s): {} contract(s), {} subscriber(s); by channel: {}; unreachable {} \
         ({} without a mobile, {} without consent)",
        dry_run.recipients,
        dry_run.contracts,
        dry_run.subscribers,
        if channels.is_empty() { "none".to_owned() } else { channels.join(", ") },
        dry_run.unreachable,
        dry_run.without_mobile,
        dry_run.without_consent,
    );
    let cost = dry_run.estimated_cost.as_ref().map_or_else(
        || "no price per SMS part in the tenant's settings".to_owned(),
        |cost| format!("estimated cost {} {}", cost.amount, cost.currency.code()),
    );
    let _ = writeln!(
        text,
        "{} alert time(s), {} SMS part(s) per alert time; {cost}; each alert sends in {}",
        dry_run.alerts_planned,
        dry_run.sms_parts_per_alert,
        crate::commands::billing_run::duration(dry_run.send_seconds_per_alert),
    );
    for p in &dry_run.priority {
        let _ = writeln!(text, "priority: {} {} — {}", p.contract_id, p.kind.as_str(), p.address);
    }
    if dry_run.needs_approval {
        let _ = writeln!(text, "it reaches more than the tenant's approval threshold: a second planner approves it");
    }
    for sms in &dry_run.sms {
        let fit = sms.does_not_fit.as_deref().map_or_else(String::new, |why| format!(" — does not fit: {why}"));
        let _ = writeln!(
            text,
            "SMS in {}, to {} recipient(s), {} part(s){fit}:\n  {}",
            sms.locale.code(),
            sms.recipients,
            sms.parts,
            sms.text
        );
    }
    text.trim_end().to_owned()
}

/// A unit enum as it is serialized (`interruption`…).
fn name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn list(outages: &[Outage], out: Output) -> Result<(), CliError> {
    let rows = outages
        .iter()
        .map(|o| {
            vec![
                o.outage_id.to_string(),
                o.status.as_str().to_owned(),
                when(o.window.start),
                when(o.window.expected_end),
                name(&o.kind),
            ]
        })
        .collect();
    out.table(&["id", "status", "start", "expected end", "type"], rows, &outages)
}
