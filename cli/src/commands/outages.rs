//! The outage desk, run with the outage-scheduler's own code against the deployment.

use avisa_domain::ids::{OutageId, TenantId};
use avisa_domain::outage::{OutagePlan, Reschedule};

use crate::args::OutageAction;
use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

pub async fn run(stack: &Stack, tenant: TenantId, by: &str, action: OutageAction, out: Output) -> Result<(), CliError> {
    let config = outage_scheduler::Config::load(&stack.function_env()?).map_err(|e| {
        CliError::refused(format!("{e} — the stack's outputs (--outputs) give it; an older stack may lack the output"))
    })?;
    let app = outage_scheduler::App::new(&config, &stack.sdk().await).map_err(|e| CliError::refused(e.to_string()))?;
    let desk = app.desk();
    let by = format!("cli:{by}");
    let id = |raw: &str| OutageId::parse(raw).map_err(|e| CliError::refused(format!("outage id {raw}: {e}")));
    let refused = |e: avisa_domain::Error| CliError::refused(e.to_string());
    let shown = match action {
        OutageAction::List { limit } => return list(&desk.list(&tenant, limit).await.map_err(refused)?, out),
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
            serde_json::json!({ "outage": outage, "dry_run": dry_run })
        }
        OutageAction::Show { id: outage_id } => {
            let (outage, dry_run) = desk.dry_run(&tenant, &id(&outage_id)?).await.map_err(refused)?;
            serde_json::json!({ "outage": outage, "dry_run": dry_run })
        }
        OutageAction::Confirm { id: outage_id } => {
            serde_json::json!({ "outage": desk.confirm(&by, &tenant, &id(&outage_id)?).await.map_err(refused)?.outage })
        }
        OutageAction::Reschedule { id: outage_id, start, end } => {
            let to = Reschedule { start, expected_end: end };
            serde_json::json!({ "outage": desk.reschedule(&by, &tenant, &id(&outage_id)?, to).await.map_err(refused)?.outage })
        }
        OutageAction::Cancel { id: outage_id } => {
            serde_json::json!({ "outage": desk.cancel(&by, &tenant, &id(&outage_id)?).await.map_err(refused)?.outage })
        }
        OutageAction::End { id: outage_id, notify_restored } => serde_json::json!({
            "outage": desk.end(&by, &tenant, &id(&outage_id)?, notify_restored).await.map_err(refused)?.outage
        }),
    };
    crate::output::print_json(&shown)
}

fn list(outages: &[avisa_domain::outage::Outage], out: Output) -> Result<(), CliError> {
    let rows = outages
        .iter()
        .map(|o| {
            vec![
                o.outage_id.to_string(),
                serde_json::to_value(o.status).ok().and_then(|s| s.as_str().map(str::to_owned)).unwrap_or_default(),
                crate::output::when(o.window.start),
                crate::output::when(o.window.expected_end),
                serde_json::to_value(o.kind).ok().and_then(|s| s.as_str().map(str::to_owned)).unwrap_or_default(),
            ]
        })
        .collect();
    out.table(&["id", "status", "start", "expected end", "type"], rows, &outages)
}
