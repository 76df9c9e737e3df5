//! `avisa deliveries report`: where a tenant's notices of some days stand — statuses by kind and
//! channel, every failure with its reason — for people, spreadsheets (`--csv`) or scripts.

use std::io::{IsTerminal, Write};

use avisa_domain::deliveries::{DeliveryLedger, DeliveryReport};
use avisa_domain::ids::TenantId;
use jiff::civil::Date;

use crate::args::TenantDays;
use crate::error::CliError;
use crate::output::{self, Output, when};
use crate::stack::Stack;

/// The most days one report reads (a quarter).
pub const MAX_DAYS: i32 = 92;

/// The states as columns, in the order a delivery goes through them.
const STATES: [&str; 10] =
    ["pending", "sent", "delivered", "read", "letter", "soft_bounced", "bounced", "complained", "failed", "refused"];

pub async fn report(stack: &Stack, period: &TenantDays, csv: bool, out: Output) -> Result<(), CliError> {
    let TenantDays { tenant, since, until } = period;
    let (since, until) = (*since, *until);
    let until = until.unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date());
    let days = days(since, until)?;
    let store = stack.store().await?;
    let mut report = DeliveryReport::default();
    let mut rows = csv.then(|| csv::Writer::from_writer(std::io::stdout().lock()));
    if let Some(rows) = &mut rows {
        rows.write_record(["created_at", "notice_id", "contract_id", "kind", "channel", "state", "reason"])
            .map_err(written)?;
    }
    let progress = std::io::stderr().is_terminal() && days.len() > 1;
    for (read, day) in days.iter().enumerate() {
        if progress {
            let _ = write!(std::io::stderr(), "\rreading {day} ({} of {})", read + 1, days.len());
        }
        for notice in store.notices_of_day(tenant, *day).await? {
            report.add(&notice);
            let Some(rows) = &mut rows else { continue };
            for delivery in &notice.deliveries {
                rows.write_record([
                    notice.created_at.to_string().as_str(),
                    notice.notice_id.as_str(),
                    notice.contract_id.as_ref().map_or("", |c| c.as_str()),
                    notice.kind.as_str(),
                    delivery.channel.as_str(),
                    delivery.state.label(),
                    delivery.state.failure().unwrap_or(""),
                ])
                .map_err(written)?;
            }
        }
    }
    if progress {
        output::note("");
    }
    if let Some(mut rows) = rows {
        return rows.flush().map_err(|e| written(e.into()));
    }
    print(&report, tenant, since, until, out)
}

fn days(since: Date, until: Date) -> Result<Vec<Date>, CliError> {
    let count = (until - since).get_days() + 1;
    if !(1..=MAX_DAYS).contains(&count) {
        return Err(CliError::refused(format!(
            "--since {since} --until {until} is {count} day(s): a report covers 1 to {MAX_DAYS} days (UTC); \
             run it once per quarter for longer"
        )));
    }
    Ok(since.series(jiff::ToSpan::days(1)).take(usize::try_from(count).unwrap_or(0)).collect())
}

fn print(report: &DeliveryReport, tenant: &TenantId, since: Date, until: Date, out: Output) -> Result<(), CliError> {
    if out.json {
        return output::print_json(report);
    }
    tables(report, out)?;
    output::print(&format!(
        "\n{} notice(s) of {tenant} created {since} to {until} (UTC); {} delivery failure(s).\n",
        report.notices,
        report.failures.len()
    ))
}

/// The deliveries by kind and channel, then the failures, for people.
pub fn tables(report: &DeliveryReport, out: Output) -> Result<(), CliError> {
    if report.rows.is_empty() {
        return Ok(());
    }
    let used: Vec<&str> =
        STATES.iter().copied().filter(|s| report.rows.iter().any(|r| r.states.contains_key(s))).collect();
    let mut headers = vec!["kind", "channel"];
    headers.extend(&used);
    let rows = report
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.kind.as_str().to_owned(), row.channel.as_str().to_owned()];
            cells.extend(used.iter().map(|state| row.states.get(state).map_or_else(String::new, u64::to_string)));
            cells
        })
        .collect();
    out.table(&headers, rows, report)?;
    if !report.failures.is_empty() {
        output::print("\n")?;
        let failures = report
            .failures
            .iter()
            .map(|f| {
                vec![
                    when(f.created_at),
                    f.notice_id.to_string(),
                    f.contract_id.as_ref().map_or_else(String::new, ToString::to_string),
                    f.kind.as_str().to_owned(),
                    f.channel.as_str().to_owned(),
                    f.state.to_owned(),
                    f.reason.clone(),
                ]
            })
            .collect();
        out.table(&["created", "notice", "contract", "kind", "channel", "state", "reason"], failures, report)?;
    }
    Ok(())
}

fn written(e: csv::Error) -> CliError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => CliError::ClosedPipe,
        csv::ErrorKind::Io(source) => CliError::Io { what: "writing to standard output".into(), source },
        other => CliError::refused(format!("{other:?}")),
    }
}
