//! `avisa billing-run preview`: who a run file's events would notify, how and at what cost,
//! planned and written with billing-ingest's and notice-composer's own code against the
//! deployment's state — nothing sent, nothing stored.

use std::fmt::Write as _;
use std::io::{BufReader, Write};
use std::path::Path;

use avisa_aws::{DynamoStore, S3Documents};
use avisa_domain::billing_run::{
    CachedTenants, FileCustomers, Line, LineOutcome, LinePreview, Preview, RunFile, RunTotals, customers_in,
    preview_all,
};
use avisa_domain::clock::SystemClock;
use avisa_domain::ids::TenantId;
use avisa_domain::money::Money;
use avisa_domain::sends::settings_for_sending;
use avisa_domain::tenant::{SharedRates, TenantSettings};
use avisa_templates::Templates;

use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

pub async fn preview(
    stack: &Stack,
    file: &Path,
    tenant: &TenantId,
    in_flight: usize,
    out: Output,
) -> Result<(), CliError> {
    let (name, customers) = customers_of(file, tenant)?;
    let (_, opened) = open(file)?;
    let ports = PreviewPorts::of(stack).await?;
    let tenants = CachedTenants::new(&ports.store);
    let preview = ports.preview(&tenants);
    let mut lines = RunFile::new(BufReader::new(opened), tenant.clone());
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let totals = write_previews(&preview, &customers, &mut lines, in_flight, out.json, &mut stdout).await?;
    if let Some(e) = lines.failed {
        return Err(CliError::File { file: name, why: format!("reading stopped: {e}") });
    }
    // The tenant's rates, within the deployment's shared quotas: what the dispatcher keeps to.
    let settings = settings_for_sending(&ports.store, &ports.defaults, ports.shared_rates, tenant)
        .await
        .map_err(|e| CliError::refused(e.to_string()))?;
    write_totals(&totals, totals.send_seconds(&settings.rate_limits), out.json, &mut stdout)?;
    stdout.flush().map_err(written)
}

/// What a preview reads: the deployment's table, the templates its notice-composer renders, and
/// its default settings.
#[derive(Debug)]
pub struct PreviewPorts {
    pub store: DynamoStore,
    documents: S3Documents,
    templates: Templates,
    defaults: TenantSettings,
    /// The providers' quotas every tenant shares (the stack's output `SharedSendRates`).
    shared_rates: SharedRates,
}

impl PreviewPorts {
    pub async fn of(stack: &Stack) -> Result<Self, CliError> {
        let env = stack.function_env()?;
        let from_outputs = |e: avisa_runtime::config::ConfigError| {
            CliError::refused(format!("{e} — the stack's outputs (--outputs) give it"))
        };
        let defaults = avisa_runtime::config::tenant_defaults(&env).map_err(from_outputs)?;
        let shared_rates = avisa_runtime::config::shared_send_rates(&env).map_err(from_outputs)?;
        let templates = Templates::load().map_err(|e| CliError::refused(e.to_string()))?;
        let documents = S3Documents::new(aws_sdk_s3::Client::new(&stack.sdk().await));
        Ok(Self { store: stack.store().await?, documents, templates, defaults, shared_rates })
    }

    /// The preview, with tenant settings read once (`tenants` caches `self.store`'s).
    pub fn preview<'a>(&'a self, tenants: &'a CachedTenants<'a>) -> Preview<'a> {
        Preview {
            accounts: &self.store,
            tenants,
            notices: &self.store,
            renderer: &self.templates,
            suppressions: &self.store,
            documents: &self.documents,
            clock: &SystemClock,
            defaults: &self.defaults,
        }
    }
}

/// The first pass: the customers the file states, so an invoice sees its customer wherever the
/// file puts them.
pub fn customers_of(file: &Path, tenant: &TenantId) -> Result<(String, FileCustomers), CliError> {
    let (name, opened) = open(file)?;
    let customers = customers_in(BufReader::new(opened), tenant)
        .map_err(|e| CliError::File { file: name.clone(), why: format!("reading stopped: {e}") })?;
    Ok((name, customers))
}

/// The file, opened, and its name for messages.
pub fn open(file: &Path) -> Result<(String, std::fs::File), CliError> {
    let name = file.display().to_string();
    let opened = std::fs::File::open(file).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
    Ok((name, opened))
}

/// Every line's preview as it comes: a row per notice for people, a JSON object per line for
/// scripts. What `avisa billing-run preview` prints, and what its benchmark measures.
pub async fn write_previews(
    preview: &Preview<'_>,
    customers: &FileCustomers,
    lines: impl Iterator<Item = Line>,
    in_flight: usize,
    json: bool,
    sink: &mut impl Write,
) -> Result<RunTotals, CliError> {
    let mut totals = RunTotals::default();
    if !json {
        writeln!(sink, "{}", row(&["LINE", "CONTRACT", "NOTICE", "WHEN", "LANG", "CHANNELS", "COST", "WHY"]))
            .map_err(written)?;
    }
    preview_all(preview, customers, lines, in_flight, |line: LinePreview| {
        totals.add(&line);
        if json {
            serde_json::to_writer(&mut *sink, &line).map_err(|e| CliError::refused(e.to_string()))?;
            return writeln!(sink).map_err(written);
        }
        for cells in rows(&line) {
            writeln!(sink, "{}", row(&cells.iter().map(String::as_str).collect::<Vec<_>>())).map_err(written)?;
        }
        Ok(())
    })
    .await?;
    Ok(totals)
}

/// The widths of the columns but the last, so rows line up as they stream.
const WIDTHS: [usize; 7] = [6, 14, 24, 24, 4, 24, 10];

fn row(cells: &[&str]) -> String {
    let mut text = String::new();
    for (cell, width) in cells.iter().zip(WIDTHS.iter().chain(std::iter::repeat(&0))) {
        let _ = write!(text, "{cell:<width$}  "); // writing to a String cannot fail
    }
    text.trim_end().to_owned()
}

pub fn rows(line: &LinePreview) -> Vec<Vec<String>> {
    let number = line.line.to_string();
    let contract = line.contract_id.clone().unwrap_or_else(|| "-".into());
    let blank = || String::from("-");
    match &line.outcome {
        LineOutcome::Refused { code, reason } => {
            let code = serde_json::to_value(code).ok().and_then(|c| c.as_str().map(str::to_owned)).unwrap_or_default();
            vec![vec![
                number,
                contract,
                "REFUSED".into(),
                blank(),
                blank(),
                blank(),
                blank(),
                format!("{code}: {reason}"),
            ]]
        }
        LineOutcome::NoNotice { why } => {
            vec![vec![number, contract, "no notice".into(), blank(), blank(), blank(), blank(), why.clone()]]
        }
        LineOutcome::Notices { notices } => notices
            .iter()
            .map(|notice| {
                let channels: Vec<String> = notice
                    .channels
                    .iter()
                    .map(|c| match c.sms_parts {
                        Some(parts) => format!("{}({parts})", c.channel.as_str()),
                        None => c.channel.as_str().to_owned(),
                    })
                    .collect();
                let when = match (&notice.at, notice.already_composed) {
                    (_, true) => "sent before".to_owned(),
                    (Some(at), false) => at.clone(),
                    (None, false) => "at once".to_owned(),
                };
                vec![
                    number.clone(),
                    contract.clone(),
                    notice.kind.as_str().to_owned(),
                    when,
                    notice.locale.to_string(),
                    channels.join(","),
                    notice.cost.as_ref().map_or_else(blank, money),
                    std::iter::once(notice.why.clone())
                        .chain(notice.problems.iter().map(|p| format!("PROBLEM {p}")))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    }
}

fn money(amount: &Money) -> String {
    format!("{} {}", amount.amount, amount.currency.code())
}

/// How long a send takes, as a person reads it.
pub fn duration(seconds: Option<u64>) -> String {
    match seconds {
        None => "never: a channel it needs is paused (a rate of 0 in the tenant's settings)".to_owned(),
        Some(s) if s < 120 => format!("about {s} s"),
        Some(s) if s < 7200 => format!("about {} min", s.div_ceil(60)),
        Some(s) => format!("about {} h {} min", s / 3600, (s % 3600).div_ceil(60)),
    }
}

fn write_totals(
    totals: &RunTotals,
    send_seconds: Option<u64>,
    json: bool,
    sink: &mut impl Write,
) -> Result<(), CliError> {
    if json {
        serde_json::to_writer(&mut *sink, &serde_json::json!({ "totals": totals, "send_seconds": send_seconds }))
            .map_err(|e| CliError::refused(e.to_string()))?;
        return writeln!(sink).map_err(written);
    }
    writeln!(sink, "\nCHANNEL   MESSAGES  SMS PARTS").map_err(written)?;
    for (channel, total) in &totals.by_channel {
        writeln!(sink, "{:<8}  {:>8}  {:>9}", channel.as_str(), total.messages, total.sms_parts).map_err(written)?;
    }
    writeln!(sink, "\nLANGUAGE  NOTICES").map_err(written)?;
    for (locale, count) in &totals.by_language {
        writeln!(sink, "{:<8}  {count:>7}", locale.to_string()).map_err(written)?;
    }
    let cost = if totals.cost.is_empty() {
        "no price per SMS part set (tenant settings outages.sms_part_price)".to_owned()
    } else {
        totals.cost.iter().map(money).collect::<Vec<_>>().join(" + ")
    };
    writeln!(
        sink,
        "\n{} line(s): {} notice(s) ({} later by a reminder's schedule, {} sent before, {} with a PROBLEM), {} \
         without a notice, {} refused; SMS cost {cost}. Nothing was sent or stored.",
        totals.lines,
        totals.notices,
        totals.scheduled,
        totals.already_composed,
        totals.with_problems,
        totals.without_notice,
        totals.refused
    )
    .map_err(written)?;
    writeln!(sink, "At the tenant's send rates, sending it takes {}.", duration(send_seconds)).map_err(written)
}

pub fn written(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return CliError::ClosedPipe;
    }
    CliError::Io { what: "writing to standard output".into(), source: e }
}
