//! `avisa billing-run submit`: a run file checked as its preview checks it — a file with any line
//! billing-ingest would refuse sends nothing — then sent on the billing-events queue as its
//! upstream would send it, and watched until every notice is sent, failed or waiting for its time.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use avisa_domain::billing_run::{CachedTenants, LineOutcome, RunFile, preview_all};
use avisa_domain::deliveries::{DeliveryLedger, DeliveryReport};
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::ports::RejectionLog;
use jiff::Timestamp;
use serde::Serialize;

use super::billing_queue::BillingEvents;
use super::billing_run::{PreviewPorts, customers_of, open, rows};
use super::deliveries;
use crate::error::CliError;
use crate::output::{self, Output};
use crate::stack::Stack;

/// How often the deployment is asked where the notices stand.
const POLL: Duration = Duration::from_secs(2);

/// A notice the run brings, as its preview planned it.
#[derive(Debug)]
struct Expected {
    notice_id: NoticeId,
    event_id: String,
    /// It waits for its reminder's schedule.
    later: bool,
    sent_before: bool,
}

/// What the run came to.
#[derive(Debug, Default, Serialize)]
struct Summary {
    lines: u64,
    sent: u64,
    /// Settled notices: sent (and what providers said since) or failed.
    notices: DeliveryReport,
    waiting_for_their_time: u64,
    sent_before: u64,
    /// Events billing-ingest refused after all (the state changed since the check): why.
    refused: Vec<String>,
    /// Notices not settled when the wait ran out.
    still_pending: Vec<NoticeId>,
}

pub async fn submit(
    stack: &Stack,
    file: &Path,
    tenant: &TenantId,
    in_flight: usize,
    wait: Duration,
    out: Output,
) -> Result<(), CliError> {
    let ports = PreviewPorts::of(stack).await?;
    let checked = version(file)?;
    let (name, expected, lines) = check(&ports, file, tenant, in_flight, out).await?;
    let queue = BillingEvents::bound_to(stack, tenant).await?;
    if version(file)? != checked {
        return Err(CliError::refused(format!(
            "{name} changed while it was checked, so nothing was sent: submit it again once it is written"
        )));
    }
    let started = Timestamp::now();
    let sent = send(&queue, file, lines).await?;
    let mut summary = Summary { lines, sent, ..Summary::default() };
    summary.waiting_for_their_time = expected.iter().filter(|e| e.later && !e.sent_before).count() as u64;
    summary.sent_before = expected.iter().filter(|e| e.sent_before).count() as u64;
    let open: Vec<&Expected> = expected.iter().filter(|e| !e.later && !e.sent_before).collect();
    watch(&ports, tenant, open, started, wait, &mut summary).await?;
    if out.json {
        return output::print_json(&summary);
    }
    deliveries::tables(&summary.notices, out)?;
    for refused in &summary.refused {
        output::print(&format!("refused by billing-ingest: {refused}\n"))?;
    }
    let pending = if summary.still_pending.is_empty() {
        String::new()
    } else {
        format!(
            "; {} still pending after {} s (`avisa deliveries report --tenant {tenant} --since …` shows them later)",
            summary.still_pending.len(),
            wait.as_secs()
        )
    };
    output::print(&format!(
        "\n{name}: {} line(s) sent; {} notice(s) sent or failed ({} failure(s)), {} waiting for their time, {} sent \
         before{pending}.\n",
        summary.sent,
        summary.notices.notices,
        summary.notices.failures.len(),
        summary.waiting_for_their_time,
        summary.sent_before
    ))
}

/// The file's size and time of change: sending what was checked, not a file rewritten meanwhile.
fn version(file: &Path) -> Result<(u64, Option<std::time::SystemTime>), CliError> {
    let metadata =
        std::fs::metadata(file).map_err(|e| CliError::File { file: file.display().to_string(), why: e.to_string() })?;
    Ok((metadata.len(), metadata.modified().ok()))
}

/// The file's preview: the notices it brings, and how many lines it has; or, when any line would
/// be refused, those lines and an error (nothing is sent).
async fn check(
    ports: &PreviewPorts,
    file: &Path,
    tenant: &TenantId,
    in_flight: usize,
    out: Output,
) -> Result<(String, Vec<Expected>, u64), CliError> {
    let (name, customers) = customers_of(file, tenant)?;
    let (_, opened) = open(file)?;
    let tenants = CachedTenants::new(&ports.store);
    let preview = ports.preview(&tenants);
    let mut lines = RunFile::new(BufReader::new(opened), tenant.clone());
    let (mut expected, mut refused, mut count) = (Vec::new(), Vec::new(), 0);
    preview_all(&preview, &customers, &mut lines, in_flight, |line| {
        count += 1;
        match &line.outcome {
            LineOutcome::Refused { .. } => refused.push(line),
            LineOutcome::Notices { notices } => expected.extend(notices.iter().map(|n| Expected {
                notice_id: n.notice_id.clone(),
                event_id: line.event_id.clone().unwrap_or_default(),
                later: n.at.is_some(),
                sent_before: n.already_composed,
            })),
            LineOutcome::NoNotice { .. } => {}
        }
        Ok::<_, CliError>(())
    })
    .await?;
    if let Some(e) = lines.failed {
        return Err(CliError::File { file: name, why: format!("reading stopped: {e}") });
    }
    if !refused.is_empty() {
        let table: Vec<Vec<String>> =
            refused.iter().flat_map(rows).map(|row| vec![row[0].clone(), row[1].clone(), row[7].clone()]).collect();
        out.table(&["line", "contract", "refused because"], table, &refused)?;
        return Err(CliError::refused(format!(
            "{name}: {} line(s) would be refused, so nothing was sent; correct them and submit the file again",
            refused.len()
        )));
    }
    Ok((name, expected, count))
}

/// Every non-blank line, ten to a request, as the preview read them.
async fn send(queue: &BillingEvents, file: &Path, lines: u64) -> Result<u64, CliError> {
    let (name, opened) = open(file)?;
    let progress = std::io::stderr().is_terminal();
    let mut batch: Vec<(u64, String)> = Vec::with_capacity(10);
    let mut sent = 0;
    for (number, text) in (1..).zip(BufReader::new(opened).lines()) {
        let text = text.map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
        let body = text.trim_start_matches('\u{feff}').trim();
        if !body.is_empty() {
            batch.push((number, body.to_owned()));
        }
        if batch.len() == 10 {
            sent += flush(queue, &mut batch).await?;
            if progress {
                let _ = write!(std::io::stderr(), "\rsent {sent} of {lines} line(s)");
            }
        }
    }
    sent += flush(queue, &mut batch).await?;
    if progress {
        output::note("");
    }
    Ok(sent)
}

async fn flush(queue: &BillingEvents, batch: &mut Vec<(u64, String)>) -> Result<u64, CliError> {
    if batch.is_empty() {
        return Ok(0);
    }
    queue.send(batch.iter().map(|(line, body)| (*line, body.as_str()))).await?;
    let sent = batch.len() as u64;
    batch.clear();
    Ok(sent)
}

/// Asks every [`POLL`] where the open notices stand, until each is settled (or its event was
/// refused) or `wait` runs out.
async fn watch(
    ports: &PreviewPorts,
    tenant: &TenantId,
    open: Vec<&Expected>,
    started: Timestamp,
    wait: Duration,
    summary: &mut Summary,
) -> Result<(), CliError> {
    let mut open: HashMap<&NoticeId, &Expected> = open.into_iter().map(|e| (&e.notice_id, e)).collect();
    let total = open.len();
    let deadline = Instant::now() + wait;
    let progress = std::io::stderr().is_terminal();
    let mut refused_events: HashSet<String> = HashSet::new();
    while !open.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
        let ids: Vec<NoticeId> = open.keys().map(|id| (*id).clone()).collect();
        for chunk in ids.chunks(100) {
            for notice in ports.store.notices(tenant, chunk).await? {
                if notice.deliveries.iter().all(|d| d.state.is_settled()) {
                    summary.notices.add(&notice);
                    open.remove(&notice.notice_id);
                }
            }
        }
        for rejected in ports.store.between(tenant, started, Timestamp::now()).await? {
            let Some(event_id) = rejected.event_id.filter(|id| !refused_events.contains(id)) else { continue };
            let before = open.len();
            open.retain(|_, e| e.event_id != event_id);
            if open.len() < before {
                summary.refused.push(format!("{event_id}: {}", rejected.rejection.detail));
                refused_events.insert(event_id);
            }
        }
        if progress {
            let settled = total - open.len();
            let _ = write!(std::io::stderr(), "\r{settled} of {total} notice(s) sent or failed");
        }
    }
    if progress {
        output::note("");
    }
    summary.still_pending = open.into_keys().cloned().collect();
    summary.still_pending.sort();
    Ok(())
}
