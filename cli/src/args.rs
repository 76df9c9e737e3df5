//! The commands and their options, as `--help` shows them.

use std::path::PathBuf;

use avisa_domain::ids::TenantId;
use clap::{Parser, Subcommand};

use crate::stack::StackArgs;

#[derive(Debug, Parser)]
#[command(
    name = "avisa",
    version,
    about = "avisa's command line: the local stack, tenants and tokens, outages, failures and redrive",
    after_help = "Point it at a deployment with --outputs FILE (or AVISA_OUTPUTS): `make local-up` writes \
                  target/avisa-local/outputs.json; for AWS, `sam list stack-outputs --stack-name avisa --output json`."
)]
pub struct Cli {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Print JSON (for scripts) instead of tables and sentences
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline on a throw-away local AWS (moto), with a short report
    Demo,
    /// A local AWS on 127.0.0.1, provisioned from infra/template.yaml and for every sample under
    /// events/, for `cargo lambda watch` / `cargo lambda invoke` (Ctrl-C stops it)
    LocalUp {
        #[arg(long, default_value_t = 5055)]
        port: u16,
        /// Leave messages on the queues instead of running the downstream functions on them
        #[arg(long)]
        no_drain: bool,
    },
    /// The rejected billing events and jobs of a tenant, newest first, with their reasons
    Rejected {
        /// The tenant, or `unknown` for messages whose tenant could not be read
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show a tenant's settings, or set them from a JSON file like events/demo/tenant.json
    TenantSettings {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        #[arg(long, value_name = "FILE")]
        put: Option<PathBuf>,
    },
    /// Issue an operator API token for a tenant (printed once; only its digest is stored)
    OperatorToken {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// Who the token's changes are attributed to
        #[arg(long)]
        name: String,
        /// How many days it is good for (1 to 366)
        #[arg(long, default_value_t = avisa_domain::operators::DEFAULT_TOKEN_DAYS,
              value_parser = clap::value_parser!(i64).range(1..=avisa_domain::operators::MAX_TOKEN_DAYS))]
        days: i64,
        /// It may also erase a person through the staff API
        #[arg(long)]
        admin: bool,
    },
    /// A tenant's operator tokens (by id, never the token), and revoking one
    #[command(subcommand)]
    Operators(Operators),
    /// Customers from a spreadsheet
    #[command(subcommand)]
    Customers(Customers),
    /// A billing run's file of events: preview who gets what before sending it
    #[command(subcommand)]
    BillingRun(BillingRun),
    /// Where a tenant's notices stand: statuses by kind and channel, failures with reasons
    #[command(subcommand)]
    Deliveries(Deliveries),
    /// Which tenants the upstream billing system sending on a queue may act for
    #[command(subcommand)]
    Upstreams(Upstreams),
    /// The chat line: how citizens rated its help; where its information feeds stand
    #[command(subcommand)]
    Chat(Chat),
    /// Remove every item about a person (a customer, or a citizen who is no customer)
    Erase {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        #[arg(long, conflicts_with = "phone", required_unless_present = "phone")]
        customer: Option<String>,
        /// E.164, e.g. +34600111001
        #[arg(long)]
        phone: Option<String>,
    },
    /// Once after upgrading a deployment with outage alert subscriptions from before 2026-12: mark
    /// each on its contract, where planning an outage finds it (scans the table; safe to rerun)
    MarkSubscriptions,
    /// The outage desk: plan, list, show, confirm, reschedule, cancel and end planned outages, and
    /// follow their alerts' sends
    Outage {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// Who is acting (recorded in the outage's timeline)
        #[arg(long = "as", value_name = "NAME")]
        by: String,
        #[command(subcommand)]
        action: OutageAction,
    },
    /// Announcements: a message of the tenant's own to a file of contracts, sent in chunks and
    /// followed until everyone is told
    Announcement {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// Who is sending it (recorded with it)
        #[arg(long = "as", value_name = "NAME")]
        by: String,
        #[command(subcommand)]
        action: AnnouncementAction,
    },
    /// Send again what failed for a tenant, once its cause is fixed: redrivable rejections and dead letters
    Redrive {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// RFC 3339 (default: 14 days ago)
        #[arg(long)]
        from: Option<jiff::Timestamp>,
        /// RFC 3339 (default: now)
        #[arg(long)]
        to: Option<jiff::Timestamp>,
    },
    /// After the end-to-end tests: the template's grants no function used, and any call no role allows
    Grants {
        /// Where the tests recorded the calls (target/avisa-calls)
        #[arg(long, value_name = "DIR")]
        calls: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Operators {
    /// The tenant's tokens: id, name, issued, valid until, admin
    List {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
    },
    /// Revoke a token: it opens nothing from now on
    Revoke {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// The token's id, from `avisa operators list`
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum Customers {
    /// Import customers from a CSV file (a header row, then one contract per row), checked against
    /// the billing-event contract: every refused row is reported with its line and reason, and a
    /// file with any refused row sends nothing. Importing the same file again applies nothing twice.
    #[command(after_help = import_columns())]
    Import {
        file: PathBuf,
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// Check the file only; send nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BillingRun {
    /// What a run file would do, line by line: each notice's kind, when, language, channels (SMS
    /// with its parts) and why those, its cost; lines billing-ingest would refuse, with the reason;
    /// then totals by channel and language. Planned and written as billing-ingest and
    /// notice-composer would, against the deployment's state; nothing is sent or stored.
    #[command(after_help = RUN_FILE_HELP)]
    Preview {
        /// One billing event per line (JSON Lines), as the upstream puts them on the queue
        file: PathBuf,
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        /// How many contracts are read from the deployment at a time
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=256))]
        in_flight: u16,
    },
    /// Send a run file on the billing-events queue, as its upstream would: checked first as
    /// `preview` checks it (a file with any refused line sends nothing), then watched until every
    /// notice is sent, failed or waiting for its reminder's time; then a summary by kind and
    /// channel, with every failure and its reason. Submitting a file again sends nothing twice.
    #[command(after_help = RUN_FILE_HELP)]
    Submit {
        file: PathBuf,
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=256))]
        in_flight: u16,
        /// How long to watch the notices, in seconds, before summing up what is still pending
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(0..=86_400))]
        wait: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum Deliveries {
    /// The notices created on some days (UTC): each kind and channel with its deliveries by state
    /// (pending, sent, delivered, read, bounced, complained, failed, refused…), then every failure
    /// with its reason. No address or message text is shown.
    /// At most 92 days.
    Report {
        #[command(flatten)]
        days: TenantDays,
        /// One row per delivery (when, notice, contract, kind, channel, state, reason), as CSV for a
        /// spreadsheet
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Chat {
    /// Citizens' 1-5 ratings of resolved conversations on some days (the tenant's calendar):
    /// averages per agent, team and week, and how many of each score. No phone number is shown.
    /// At most 366 days.
    Ratings {
        #[command(flatten)]
        days: TenantDays,
    },
    /// The tenant's information feeds: items in each copy, when fetched, the latest failure
    Feeds {
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
    },
}

/// A tenant's days, from --since to --until.
#[derive(Debug, clap::Args)]
pub struct TenantDays {
    #[arg(long, value_parser = tenant)]
    pub tenant: TenantId,
    /// The first day, e.g. 2026-11-01
    #[arg(long)]
    pub since: jiff::civil::Date,
    /// The last day (default: today)
    #[arg(long)]
    pub until: Option<jiff::civil::Date>,
}

const RUN_FILE_HELP: &str = "The file: one billing event per line (JSON Lines), each as the contract in \
events/schema/v1/ describes its type; blank lines are skipped. A contract's events are read \
together when they are next to each other (as billing systems export them): an invoice after its customer's \
customer.upserted is previewed as if that customer were stored. `--json` prints one JSON object per line, then \
{\"totals\": ...}.";

fn import_columns() -> String {
    let columns: Vec<String> =
        crate::import::COLUMNS.iter().map(|(name, what)| format!("  {name:<18} {what}")).collect();
    format!("Columns:\n{}", columns.join("\n"))
}

#[derive(Debug, Subcommand)]
pub enum Upstreams {
    /// Let the upstream sending on QUEUE act for TENANT
    Bind {
        /// The ARN of the queue the upstream sends on
        #[arg(long, value_parser = queue_arn)]
        queue: String,
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
    },
    /// Stop the upstream sending on QUEUE from acting for TENANT
    Unbind {
        #[arg(long, value_parser = queue_arn)]
        queue: String,
        #[arg(long, value_parser = tenant)]
        tenant: TenantId,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutageAction {
    /// Plan an outage from a JSON file like events/outage-scheduler/plan-outage.json's body; shows its dry run
    Plan { file: PathBuf },
    /// The tenant's outages, the latest start first
    List {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
    },
    /// An outage and its dry run: who will be told, on which channel, at what cost
    Show { id: String },
    /// How far each fired alert's send has got: composed, sent, refused (why), waiting, and its
    /// estimated end at the tenant's rates
    Status {
        id: String,
        /// Show it again every few seconds until every send has finished
        #[arg(long)]
        watch: bool,
    },
    /// Confirm a planned outage: its alerts are scheduled, or, over the tenant's approval threshold,
    /// it waits for a second planner's `approve`
    Confirm { id: String },
    /// Approve an outage awaiting approval (not one you confirmed): its alerts are scheduled
    Approve { id: String },
    /// Move it (RFC 3339 times with offset); those already told are told again
    Reschedule { id: String, start: jiff::Timestamp, end: jiff::Timestamp },
    /// Cancel it; those already told are told
    Cancel { id: String },
    /// End it
    End {
        id: String,
        /// Tell those who were alerted that the water is back
        #[arg(long)]
        notify_restored: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AnnouncementAction {
    /// Send an announcement to every contract of a file (one contract id a line, or a CSV with a
    /// `contract_id` column). Sending the same again is the same send: nobody is told twice
    Send {
        /// Its id, yours to choose (`new-sms-service`): the same id is the same announcement
        #[arg(long)]
        id: String,
        /// Its texts by language, like events/outage-scheduler/announcement-texts.json; the
        /// tenant's language is required
        #[arg(long, value_name = "FILE")]
        texts: PathBuf,
        /// The contracts
        contracts: PathBuf,
        /// Follow it until everyone is told
        #[arg(long, conflicts_with = "dry_run")]
        watch: bool,
        /// Check it and say what sending it would be — contracts, chunks, SMS parts, the most
        /// it can take and cost at the tenant's rates — without sending it
        #[arg(long)]
        dry_run: bool,
    },
    /// How far an announcement's send has got: composed, sent, refused (why), waiting, and its
    /// estimated end at the current rates
    Status {
        id: String,
        /// Show it again every few seconds until it has finished
        #[arg(long)]
        watch: bool,
    },
}

fn tenant(raw: &str) -> Result<TenantId, String> {
    TenantId::parse(raw).map_err(|e| e.to_string())
}

fn queue_arn(raw: &str) -> Result<String, String> {
    if raw.starts_with("arn:") && raw.contains(":sqs:") {
        Ok(raw.to_owned())
    } else {
        Err("expected a queue's ARN, like arn:aws:sqs:eu-west-1:123456789012:avisa-BillingEventsQueue".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_commands_are_consistent() {
        Cli::command().debug_assert();
    }
}
