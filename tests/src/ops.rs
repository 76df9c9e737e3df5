//! What staff and upstream integrators ask of a running deployment (local or in the cloud).

use std::fmt::Write;

use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::RejectionLog;

/// The newest rejected messages of a tenant, one per line: when, which function, which event,
/// the machine-readable code and the reason.
pub async fn rejected_report(
    log: &dyn RejectionLog,
    tenant: Option<&TenantId>,
    limit: usize,
) -> Result<String, PortError> {
    let rejected = log.list(tenant, limit).await?;
    let mut report = String::new();
    for r in &rejected {
        let event = r.event_id.as_deref().unwrap_or("-");
        let _ = writeln!(report, "{}  {:<17}  {:<24}  {}", r.at, r.source, event, r.rejection);
    }
    let who = tenant.map_or("messages with no readable tenant", TenantId::as_str);
    let _ = writeln!(report, "{} rejected ({who}, newest first, at most {limit})", rejected.len());
    Ok(report)
}
