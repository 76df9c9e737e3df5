//! The scale run's bulk send: an announcement to the first households, from a file of their
//! contracts, through the operator API's desk, the compose queue in chunks, and the dispatcher.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use avisa_domain::announcements::{AnnouncementRequest, AnnouncementText};
use avisa_domain::contact::Locale;
use avisa_domain::ids::{AnnouncementId, ContractId, TenantId};
use avisa_domain::sends::SendStatus;

use super::{POLLERS, Spent, Told, calls_since, contract, count_calls, failed, told};
use crate::LocalError;
use crate::esm::{EventSourceMapping, Invocations};
use crate::stack::{DEMO_TENANT, LocalStack};

/// What the bulk send did.
#[derive(Debug, Clone)]
pub struct BulkReport {
    pub recipients: usize,
    /// Submitting (checks, the record, the chunks on the queue), and then to the last message.
    pub submit: Duration,
    pub send: Duration,
    pub invocations: BTreeMap<String, Invocations>,
    pub requests: BTreeMap<String, usize>,
    /// DynamoDB write units, when measured.
    pub write_units: u64,
    pub slowest: Vec<Spent>,
    pub told: Told,
    pub status: SendStatus,
}

fn texts() -> BTreeMap<Locale, AnnouncementText> {
    let text = |subject: &str, body: &str| AnnouncementText { subject: subject.into(), body: body.into() };
    BTreeMap::from([
        (Locale::Ca, text("Nou servei d'avisos per SMS", "Us avisarem per SMS dels talls d'aigua previstos.")),
        (
            Locale::Es,
            text("Nuevo servicio de avisos por SMS", "Le avisaremos por SMS de los cortes de agua previstos."),
        ),
    ])
}

/// Announces to households `0..recipients` (every one told once more than `before` says).
pub(super) async fn announce(
    stack: &LocalStack,
    esm: &EventSourceMapping,
    scheduler: &outage_scheduler::App,
    households: usize,
    recipients: usize,
) -> Result<BulkReport, LocalError> {
    let (before, _) = told(stack, households, None)?;
    let tenant = TenantId::parse(DEMO_TENANT).map_err(|e| failed("tenant", e))?;
    let contracts: Vec<ContractId> = (0..recipients)
        .map(|n| ContractId::parse(&contract(n)))
        .collect::<Result<_, _>>()
        .map_err(|e| failed("contract", e))?;
    let request = AnnouncementRequest {
        announcement_id: AnnouncementId::parse("scale-bulk").map_err(|e| failed("announcement id", e))?,
        texts: texts(),
        contracts,
    };
    let calls = stack.proxy().calls().len();
    let started = Instant::now();
    let desk = scheduler.announcements();
    desk.submit("planner.one", &tenant, request).await.map_err(|e| failed("announcing", e))?;
    let submit = started.elapsed();
    let mut drained = esm.drain_with(POLLERS).await?;
    let send = started.elapsed();
    let (requests, slowest, write_units) = calls_since(stack, calls);
    count_calls(stack, calls, &mut drained.by_function);
    let (after, _) = told(stack, households, None)?;
    let bulk: Vec<usize> = (0..recipients).map(|n| after[n] - before[n]).collect();
    let id = AnnouncementId::parse("scale-bulk").map_err(|e| failed("announcement id", e))?;
    let (_, status) = desk.status(&tenant, &id).await.map_err(|e| failed("the announcement's status", e))?;
    let others_told = (recipients..households).filter(|n| after[*n] != before[*n]).count();
    if others_told > 0 {
        return Err(failed("announcing", format!("{others_told} household(s) outside the file were told")));
    }
    Ok(BulkReport {
        recipients,
        submit,
        send,
        invocations: drained.by_function,
        requests,
        write_units,
        slowest,
        told: Told::of(&bulk),
        status,
    })
}
