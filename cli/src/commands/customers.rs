//! `avisa customers import`: a spreadsheet of customers sent as their upstream would send them,
//! on the billing-events queue, once every row has passed the contract.

use std::io::{IsTerminal, Write};
use std::path::Path;

use avisa_domain::ids::TenantId;

use super::billing_queue::BillingEvents;
use crate::error::CliError;
use crate::import;
use crate::output::Output;
use crate::stack::Stack;

pub async fn import(stack: &Stack, file: &Path, tenant: &TenantId, dry_run: bool, out: Output) -> Result<(), CliError> {
    let name = file.display().to_string();
    let opened = std::fs::File::open(file).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
    let events = match import::read(opened, tenant, jiff::Timestamp::now()) {
        Ok(events) => events,
        Err(refused) => {
            let rows = refused.iter().map(|r| vec![r.line.to_string(), r.reason.clone()]).collect();
            out.table(&["line", "refused because"], rows, &serde_json::json!({"sent": 0, "refused": refused}))?;
            return Err(CliError::refused(format!(
                "{name}: {} row(s) refused, so nothing was sent; correct them and import the file again",
                refused.len()
            )));
        }
    };
    if dry_run {
        return out.said(
            &format!("{name}: {} customer(s) pass the contract; nothing sent (--dry-run)", events.len()),
            &serde_json::json!({"checked": events.len(), "sent": 0}),
        );
    }
    let queue = BillingEvents::bound_to(stack, tenant).await?;
    let progress = std::io::stderr().is_terminal();
    for (sent, chunk) in events.chunks(10).enumerate() {
        queue.send(chunk.iter().map(|e| (e.line, e.body.as_str()))).await?;
        if progress {
            let _ = write!(std::io::stderr(), "\rsent {} of {}", sent * 10 + chunk.len(), events.len());
        }
    }
    if progress {
        crate::output::note("");
    }
    out.said(
        &format!(
            "{} customer(s) of {tenant} sent to billing-ingest; they are applied within seconds \
             (`avisa rejected --tenant {tenant}` lists any it refuses)",
            events.len()
        ),
        &serde_json::json!({"sent": events.len(), "contracts": events.iter().map(|e| &e.contract_id).collect::<Vec<_>>()}),
    )
}
