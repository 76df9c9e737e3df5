//! The scale run: an outage that reaches thousands of supply points, then an announcement to a
//! file of thousands of contracts, through the local stack's real functions (the outage desk
//! plans, confirms and approves; the schedule fires; notice-composer fans the alert out in chunks
//! and composes them; notice-dispatcher sends; the announcement desk queues its file in chunks),
//! every call checked against the template's roles. `make scale` prints it (2,000 supply points
//! and 2,000 contracts by default); `make test` runs it and checks that everyone was told exactly
//! once by each.

// Counts and seconds of a local run lose nothing as f64.
#![allow(clippy::cast_precision_loss)]

mod bulk;
mod invocations;
mod report;

pub use bulk::BulkReport;
use invocations::count_calls;
pub use invocations::{OnAws, busiest_invocations};

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

use avisa_domain::billing::{BillingEvent, BillingPayload};
use avisa_domain::channel::Channel;
use avisa_domain::ids::TenantId;
use avisa_domain::operators::Operator;
use avisa_domain::outage::OutagePlan;
use avisa_domain::ports::AccountStore;
use avisa_domain::sends::SendStatus;
use avisa_domain::tenant::{RateLimits, TenantSettings};
use avisa_domain::text::Text;
use futures_util::{StreamExt, TryStreamExt, stream};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::LocalError;
use crate::demo::put_tenant_settings;
use crate::esm::Invocations;
use crate::stack::{DEMO_TENANT, LocalStack, SETTINGS_FRESH_SECONDS};

/// The network sector the outage cuts; households past the outage's are in another.
const SECTOR: &str = "REUS-SCALE";
const OTHER_SECTOR: &str = "REUS-SCALE-B";
/// Every tenth household has no mobile: its alert goes by email.
const EMAIL_ONLY_EVERY: usize = 10;
/// Invocations of each function at once, as Lambda runs several when a queue is busy.
const POLLERS: usize = 4;

/// What a run is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleRun {
    /// Supply points the outage reaches.
    pub households: usize,
    /// Contracts the announcement goes to (households beyond the outage's are loaded for it).
    pub bulk: usize,
    /// The tenant's SMS parts per second for the run (what its SMS provider allows).
    pub sms_parts_per_second: u32,
    /// Whether the sends' DynamoDB write units are measured by size, as DynamoDB bills them
    /// (`make scale` does; two more moto reads a write make the run slower, so the test does not).
    pub measure_units: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct ScaleReport {
    pub run: ScaleRun,
    /// Ingesting the households, planning (dry run, confirm, approve), and firing → last send.
    pub load: Duration,
    pub plan: Duration,
    /// The AWS calls of each planning request (plan, confirm, approve): one invocation each.
    pub planning: Vec<(&'static str, usize)>,
    pub send: Duration,
    /// Of the send, by function.
    pub invocations: BTreeMap<String, Invocations>,
    pub requests: BTreeMap<String, usize>,
    /// The send's DynamoDB write units, when measured ([`ScaleRun::measure_units`]).
    pub write_units: u64,
    /// The calls moto took longest over in all.
    pub slowest: Vec<Spent>,
    /// Messages to the households, and who got none or more than one.
    pub told: Told,
    /// Emails to the call centre: the 48 h alert's, and the priority alert's (to nobody here).
    pub briefings: usize,
    /// The alert's send as `GET /outages/{id}/sends` shows it at the end.
    pub status: SendStatus,
    /// The send's duration at SES's and SNS's starting quotas (14 emails, 20 SMS parts a second).
    pub at_default_quotas: Option<u64>,
    /// The announcement's send, when the run has one.
    pub bulk: Option<BulkReport>,
    /// This process's peak resident memory (every function runs in it), in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Each function's timeout in the template, in seconds.
    pub timeouts: BTreeMap<String, u64>,
}

fn contract(n: usize) -> String {
    format!("CT-S{n:06}")
}

fn household_event(n: usize, sector: &str) -> serde_json::Value {
    let email_only = n.is_multiple_of(EMAIL_ONLY_EVERY);
    let mut data = json!({
        "customer_id": format!("CU-S{n:06}"), "name": format!("Llar {n}"), "language": if n.is_multiple_of(4) { "es" } else { "ca" },
        "email": format!("llar{n}@example.cat"), "channels": if email_only { json!(["email"]) } else { json!(["sms", "email"]) },
        "consents": { "service": true, "marketing": false }, "e_invoice": true,
        "supply_point": { "address": format!("Carrer Llarg {n}, 43201 Reus"), "network_sector": sector,
            "coordinates": { "lat": 41.15, "lon": 1.10 }, "shared_meter": false }
    });
    if !email_only {
        data["mobile"] = json!(mobile(n));
    }
    json!({
        "schema_version": 1, "event_id": format!("evt-scale-{n:06}"), "event_type": "customer.upserted",
        "tenant_id": DEMO_TENANT, "occurred_at": "2026-11-02T08:00:00Z", "contract_id": contract(n),
        "data": data,
    })
}

fn mobile(n: usize) -> String {
    format!("+3461{n:07}")
}

fn failed(what: &str, why: impl fmt::Display) -> LocalError {
    LocalError::Template(format!("scale run: {what}: {why}"))
}

/// Writes the households as billing-ingest would from their `customer.upserted` events (the
/// same domain function makes the records), straight to the table: loading is the harness's
/// part, not what the run measures, and moto takes a few hundred requests a second.
async fn load_households(stack: &LocalStack, run: ScaleRun) -> Result<(), LocalError> {
    let store =
        avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    let store = &store;
    stream::iter(0..run.households.max(run.bulk))
        .map(|n| async move {
            let sector = if n < run.households { SECTOR } else { OTHER_SECTOR };
            let event = BillingEvent::parse(&household_event(n, sector).to_string())
                .map_err(|e| failed("household", format!("{e:?}")))?;
            let BillingPayload::CustomerUpserted(data) = &event.payload else {
                return Err(failed("household", "not a customer.upserted"));
            };
            let (profile, holder) = avisa_domain::ingest::holder_of(&event, data);
            store.upsert_customer(&profile).await.map_err(|e| failed("writing a customer", e))?;
            store.upsert_holder(&holder).await.map_err(|e| failed("writing a contract", e))
        })
        .buffer_unordered(16)
        .try_collect()
        .await
}

/// The demo tenant's settings, with the run's SMS rate.
async fn put_run_settings(stack: &LocalStack, run: ScaleRun) -> Result<TenantSettings, LocalError> {
    put_tenant_settings(stack).await?;
    let store =
        avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    let tenant = TenantId::parse(DEMO_TENANT).map_err(|e| failed("tenant", e))?;
    let mut settings = avisa_domain::ports::TenantDirectory::settings(&store, &tenant)
        .await
        .map_err(|e| failed("reading the settings", e))?
        .ok_or_else(|| failed("settings", "none stored"))?;
    settings.rate_limits.sms_parts_per_second = run.sms_parts_per_second;
    avisa_domain::ports::TenantDirectory::put_settings(&store, &tenant, &settings)
        .await
        .map_err(|e| failed("writing the settings", e))?;
    Ok(settings)
}

fn operator(name: &str) -> Result<Operator, LocalError> {
    Ok(Operator {
        tenant_id: TenantId::parse(DEMO_TENANT).map_err(|e| failed("tenant", e))?,
        name: Text::parse(name).map_err(|e| failed("operator", e))?,
        issued_at: Timestamp::now(),
        valid_until: Timestamp::now() + SignedDuration::from_hours(24),
        admin: false,
    })
}

/// This process's peak resident memory, from Linux's `/proc` (`None` elsewhere).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Messages to the households a send was for (SMS and email), and how many got none, or more
/// than one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Told {
    pub notices: usize,
    pub never: usize,
    pub twice: usize,
}

impl Told {
    /// From each household's count of messages.
    fn of(per_household: &[usize]) -> Self {
        Self {
            notices: per_household.iter().sum(),
            never: per_household.iter().filter(|n| **n == 0).count(),
            twice: per_household.iter().filter(|n| **n > 1).count(),
        }
    }

    pub fn each_once(self) -> bool {
        self.never + self.twice == 0
    }
}

/// A function and action, its calls, and the milliseconds moto took over them in all.
pub type Spent = (String, usize, u64);

/// The number of calls so far, the send's counted from it; its write units measured from now on
/// if `measure_units`.
fn counted_from_now(stack: &LocalStack, measure_units: bool) -> usize {
    if measure_units {
        stack.proxy().measure_capacity();
    }
    stack.proxy().calls().len()
}

/// What each function asked of AWS since call `before`, the calls moto took longest over, and
/// the DynamoDB write units measured (0 unless the proxy measures them).
fn calls_since(stack: &LocalStack, before: usize) -> (BTreeMap<String, usize>, Vec<Spent>, u64) {
    let mut requests = BTreeMap::new();
    let mut spent: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    let mut write_units = 0;
    for call in &stack.proxy().calls()[before..] {
        write_units += call.write_units;
        *requests.entry(call.function.clone()).or_insert(0) += 1;
        let action = call.authorised.first().map_or("?", |a| a.action.as_str());
        let spent = spent.entry(format!("{} {action}", call.function)).or_default();
        *spent = (spent.0 + 1, spent.1 + call.millis);
    }
    let mut slowest: Vec<Spent> = spent.into_iter().map(|(k, (n, ms))| (k, n, ms)).collect();
    slowest.sort_by_key(|(_, _, ms)| std::cmp::Reverse(*ms));
    slowest.truncate(6);
    (requests, slowest, write_units)
}

/// How many messages each of the first `households` got (by SMS and by email), and how many
/// briefings the call centre got.
fn told(
    stack: &LocalStack,
    households: usize,
    settings: Option<&TenantSettings>,
) -> Result<(Vec<usize>, usize), LocalError> {
    let sent = stack.moto().sent()?;
    let mut messages: HashMap<String, usize> = HashMap::new();
    for to in sent.sms.iter().map(|s| s.phone_number.clone()) {
        *messages.entry(to).or_default() += 1;
    }
    let mut briefings = 0;
    for email in &sent.emails {
        for to in &email.destinations.to {
            let call_centre = settings.and_then(|s| s.outages.call_centre_email.as_ref());
            if call_centre.is_some_and(|c| c.as_str() == to) {
                briefings += 1;
            } else {
                *messages.entry(to.clone()).or_default() += 1;
            }
        }
    }
    let told = (0..households)
        .map(|n| {
            let by_sms = messages.get(&mobile(n)).copied().unwrap_or(0);
            by_sms + messages.get(&format!("llar{n}@example.cat")).copied().unwrap_or(0)
        })
        .collect();
    Ok((told, briefings))
}

/// Loads `run.households` households, plans an outage of their sector, fires its 48 h alert and
/// delivers it.
pub async fn run(run: ScaleRun) -> Result<ScaleReport, LocalError> {
    let mut stack = LocalStack::start().await?;
    stack.allow_calls_of(Duration::from_mins(1));
    // As deployed: settings read once a minute per container, not per record.
    let resolver = stack.template.resolver(stack.endpoint());
    let global = stack.template.global_env.get(SETTINGS_FRESH_SECONDS).map(|v| resolver.string(v)).transpose()?;
    for spec in &mut stack.functions {
        spec.env.insert(SETTINGS_FRESH_SECONDS.to_owned(), global.clone().unwrap_or_default());
    }
    let esm = stack.event_source_mapping()?;
    let settings = put_run_settings(&stack, run).await?;

    let started = Instant::now();
    load_households(&stack, run).await?;
    let load = started.elapsed();
    // A large run takes long through moto: each phase says when it is done.
    let loaded = run.households.max(run.bulk);
    eprintln!("scale run: {loaded} households loaded in {:.0} s; planning", load.as_secs_f64());

    let started = Instant::now();
    let scheduler = outage_scheduler::App::new(
        &outage_scheduler::Config::load(&stack.function("outage-scheduler").map(|f| f.env.clone()).unwrap_or_default())
            .map_err(|e| failed("outage-scheduler config", e))?,
        &stack.sdk_for("outage-scheduler"),
    )
    .map_err(|e| failed("outage-scheduler", e))?;
    let desk = scheduler.desk();
    let start =
        (Timestamp::now() + SignedDuration::from_hours(240)).round(jiff::Unit::Hour).map_err(|e| failed("start", e))?;
    let plan = json!({
        "tenant_id": DEMO_TENANT, "type": "interruption", "start": start.to_string(),
        "expected_end": (start + SignedDuration::from_hours(5)).to_string(),
        "area": { "network_sectors": [SECTOR] }, "note": "Renovació de la canonada del carrer Llarg",
    });
    let plan = OutagePlan::parse(plan.to_string().as_bytes()).map_err(|e| failed("plan", e))?;
    let (planner, second) = (operator("planner.one")?, operator("planner.two")?);
    // Each of the three is one request to the operator API, one invocation on AWS.
    let calls = || stack.proxy().calls().len();
    let mut planning = Vec::new();
    let before = calls();
    let (outage, dry_run) = desk.plan(planner.name.as_str(), plan).await.map_err(|e| failed("planning", e))?;
    planning.push(("plan (its dry run)", calls() - before));
    let tenant = outage.tenant_id.clone();
    let before = calls();
    let confirmed =
        desk.confirm(planner.name.as_str(), &tenant, &outage.outage_id).await.map_err(|e| failed("confirming", e))?;
    planning.push(("confirm", calls() - before));
    if confirmed.outage.approval.as_ref().is_some_and(|a| a.approved_by.is_none()) {
        let before = calls();
        desk.approve(second.name.as_str(), &tenant, &outage.outage_id).await.map_err(|e| failed("approving", e))?;
        planning.push(("approve", calls() - before));
    }
    let plan = started.elapsed();
    let each: Vec<String> = planning.iter().map(|(step, calls)| format!("{step} {calls}")).collect();
    let calls = each.join(", ");
    eprintln!("scale run: planned in {:.0} s (AWS calls: {calls}); firing the 48 h alert", plan.as_secs_f64());

    let before = counted_from_now(&stack, run.measure_units);
    let started = Instant::now();
    crate::schedules::fire_due(&stack, start - SignedDuration::from_hours(48)).await?;
    let mut drained = esm.drain_with(POLLERS).await?;
    let sending = started.elapsed();
    let (requests, slowest, write_units) = calls_since(&stack, before);
    count_calls(&stack, before, &mut drained.by_function);
    let (told, briefings) = told(&stack, run.households, Some(&settings))?;
    let statuses = desk.sends(&tenant, &outage.outage_id).await.map_err(|e| failed("the send's status", e))?;
    // The priority alert fires too (its time is past), to nobody here: the 48 h alert is the send.
    let status = statuses
        .into_iter()
        .find(|s| s.send_id.ends_with("/48h"))
        .ok_or_else(|| failed("the send's status", "no 48 h send recorded"))?;
    let defaults = RateLimits::default();
    let at_default_quotas = [
        defaults.seconds_for(Channel::Sms, dry_run.sms_parts_per_alert as u64),
        defaults.seconds_for(Channel::Email, status.composed.get(&Channel::Email).copied().unwrap_or(0)),
    ]
    .into_iter()
    .try_fold(0, |longest: u64, s| s.map(|s| longest.max(s)));
    eprintln!("scale run: the alert was sent in {:.0} s; announcing", sending.as_secs_f64());
    let bulk = if run.bulk > 0 {
        Some(Box::pin(bulk::announce(&stack, &esm, &scheduler, loaded, run.bulk)).await?)
    } else {
        None
    };
    if let Some(violation) = stack.violations().first() {
        return Err(LocalError::Template(format!("a function called what its role does not allow: {violation}")));
    }
    Ok(ScaleReport {
        run,
        load,
        plan,
        planning,
        send: sending,
        invocations: drained.by_function,
        requests,
        write_units,
        slowest,
        told: Told::of(&told),
        briefings,
        status,
        at_default_quotas,
        bulk,
        peak_rss_kib: peak_rss_kib(),
        timeouts: stack.functions.iter().map(|f| (f.binary.clone(), f.timeout_seconds)).collect(),
    })
}
