//! The request-count report: a billing run of invoices through the local stack, with the proxy
//! counting what each function asks of AWS, per email notice, and what that costs at AWS's list
//! prices. `make requests` prints it; the README's performance section quotes it.

// Counts of a local run (hundreds, thousands) lose nothing as f64.
#![allow(clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::fmt;

use serde_json::json;

use crate::LocalError;
use crate::demo::put_tenant_settings;
use crate::proxy::Call;
use crate::stack::{DEMO_TENANT, LocalStack, SETTINGS_FRESH_SECONDS};

/// AWS list prices (eu-west-1, December 2026), in US dollars per unit named.
mod price {
    /// Lambda, per request.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// Lambda arm64, per GB-second.
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    /// SQS standard, per request (64 KiB chunks; ours are smaller).
    pub const SQS_REQUEST: f64 = 0.40 / 1e6;
    /// DynamoDB on-demand, per write request unit and per read request unit.
    pub const DYNAMODB_WRU: f64 = 0.705 / 1e6;
    pub const DYNAMODB_RRU: f64 = 0.141 / 1e6;
    /// S3 standard, per GET and per PUT.
    pub const S3_GET: f64 = 0.000_4 / 1e3;
    pub const S3_PUT: f64 = 0.005 / 1e3;
    /// `EventBridge` Scheduler, per invocation.
    pub const SCHEDULER: f64 = 1.00 / 1e6;
}

/// What the cost model assumes where the local stack cannot tell: Lambda at 128 MB, each AWS call
/// billed for this long (in-region latency, calls of one record one after another), and items
/// under 1 KB written and 4 KB read.
pub const ASSUMED_MILLIS_PER_CALL: f64 = 10.0;
const LAMBDA_GB: f64 = 0.125;

/// One line of the report: a function's calls of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    pub function: String,
    pub service: String,
    /// `GetItem`, `SendMessage`…
    pub name: String,
}

/// The calls of a billing run, counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestReport {
    pub invoices: usize,
    pub notices: usize,
    pub calls: BTreeMap<Operation, usize>,
    /// Lambda invocations, by function.
    pub invocations: BTreeMap<String, usize>,
    /// DynamoDB capacity units, as the proxy measured them by the size of what each call read
    /// and wrote (indexes included).
    pub write_units: u64,
    pub read_units: f64,
    /// The same, by operation.
    pub units: BTreeMap<Operation, (u64, f64)>,
}

impl RequestReport {
    /// Counts `calls` (the functions' own; the harness's are not named) for `notices` notices.
    pub fn count(invoices: usize, notices: usize, calls: &[Call], invocations: BTreeMap<String, usize>) -> Self {
        let mut counted = BTreeMap::new();
        let mut units: BTreeMap<Operation, (u64, f64)> = BTreeMap::new();
        for call in calls {
            let name = call.authorised.first().map_or("?", |a| a.action.split_once(':').map_or("?", |(_, op)| op));
            let operation =
                Operation { function: call.function.clone(), service: call.service.clone(), name: name.to_owned() };
            let (written, read) = units.entry(operation.clone()).or_default();
            (*written, *read) = (*written + call.write_units, *read + call.read_units);
            *counted.entry(operation).or_insert(0) += 1;
        }
        let write_units = calls.iter().map(|call| call.write_units).sum();
        let read_units = calls.iter().map(|call| call.read_units).sum();
        Self { invoices, notices, calls: counted, invocations, write_units, read_units, units }
    }

    pub fn requests(&self) -> usize {
        self.calls.values().sum()
    }

    /// Requests (or units) per notice.
    pub fn per_notice(&self, count: f64) -> f64 {
        count / self.notices.max(1) as f64
    }

    fn of_service(&self, service: &str, names: &[&str]) -> usize {
        self.calls
            .iter()
            .filter(|(op, _)| op.service == service && names.contains(&op.name.as_str()))
            .map(|(_, n)| n)
            .sum()
    }

    /// The infrastructure's cost per 1,000 notices, in US dollars (the providers' own — SES, SMS —
    /// not included).
    pub fn cost_per_thousand(&self) -> f64 {
        let invocations: usize = self.invocations.values().sum();
        let lambda_seconds = self.requests() as f64 * ASSUMED_MILLIS_PER_CALL / 1000.0;
        let sqs: usize = self.calls.iter().filter(|(op, _)| op.service == "sqs").map(|(_, n)| n).sum::<usize>()
            // the event source mapping's receives and deletes: about two per batch
            + 2 * invocations;
        let total = invocations as f64 * price::LAMBDA_REQUEST
            + lambda_seconds * LAMBDA_GB * price::LAMBDA_ARM_GB_SECOND
            + sqs as f64 * price::SQS_REQUEST
            + self.write_units as f64 * price::DYNAMODB_WRU
            + self.read_units * price::DYNAMODB_RRU
            + self.of_service("s3", &["GetObject", "HeadObject"]) as f64 * price::S3_GET
            + self.of_service("s3", &["PutObject"]) as f64 * price::S3_PUT
            + self.of_service("scheduler", &["CreateSchedule"]) as f64 * price::SCHEDULER;
        total * 1000.0 / self.notices.max(1) as f64
    }
}

impl fmt::Display for RequestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} invoices → {} email notices sent", self.invoices, self.notices)?;
        writeln!(
            f,
            "{:<20} {:<10} {:<22} {:>8} {:>12} {:>14}",
            "function", "service", "operation", "calls", "per notice", "units (w / r)"
        )?;
        for (op, n) in &self.calls {
            let units = match self.units.get(op) {
                Some(&(written, read)) if written > 0 || read > 0.0 => {
                    format!("{:.2} / {:.2}", self.per_notice(written as f64), self.per_notice(read))
                }
                _ => String::new(),
            };
            writeln!(
                f,
                "{:<20} {:<10} {:<22} {:>8} {:>12.2} {:>14}",
                op.function,
                op.service,
                op.name,
                n,
                self.per_notice(*n as f64),
                units
            )?;
        }
        let mut by_function: BTreeMap<&str, usize> = BTreeMap::new();
        for (op, n) in &self.calls {
            *by_function.entry(&op.function).or_default() += n;
        }
        writeln!(f)?;
        for (function, n) in by_function {
            let invocations = self.invocations.get(function).copied().unwrap_or_default();
            writeln!(
                f,
                "{function:<20} {:>6.2} requests per notice, {invocations} invocations",
                self.per_notice(n as f64)
            )?;
        }
        writeln!(f)?;
        writeln!(f, "AWS requests per notice:          {:.2}  (goal ≤ 6)", self.per_notice(self.requests() as f64))?;
        writeln!(f, "DynamoDB write units per notice:  {:.2}  (goal ≤ 3)", self.per_notice(self.write_units as f64))?;
        writeln!(f, "DynamoDB read units per notice:   {:.2}", self.per_notice(self.read_units))?;
        writeln!(
            f,
            "infra cost per 1,000 notices:     ${:.4}  (goal ≤ $0.003; Lambda arm64 128 MB at {ASSUMED_MILLIS_PER_CALL} ms per AWS call, SQS, DynamoDB on-demand, S3, Scheduler; list prices, eu-west-1)",
            self.cost_per_thousand()
        )
    }
}

/// Contract `n`'s customer: email only, so each invoice makes exactly one notice.
fn customer_event(n: usize) -> serde_json::Value {
    json!({
        "schema_version": 1, "event_id": format!("evt-req-c{n:05}"), "event_type": "customer.upserted",
        "tenant_id": DEMO_TENANT, "occurred_at": "2026-11-02T08:00:00Z", "contract_id": format!("CT-R{n:05}"),
        "data": {
            "customer_id": format!("CU-R{n:05}"), "name": format!("Client {n}"), "language": "ca",
            "email": format!("client{n}@example.cat"), "channels": ["email"],
            "consents": { "service": true, "marketing": false }, "e_invoice": true,
            "supply_point": { "address": format!("Carrer Major {n}, 43201 Reus"), "network_sector": "REUS-N1",
                "coordinates": { "lat": 41.155, "lon": 1.107 }, "shared_meter": false }
        }
    })
}

fn invoice_event(n: usize) -> serde_json::Value {
    json!({
        "schema_version": 1, "event_id": format!("evt-req-i{n:05}"), "event_type": "invoice.issued",
        "tenant_id": DEMO_TENANT, "occurred_at": "2026-11-20T07:30:00Z", "contract_id": format!("CT-R{n:05}"),
        "data": {
            "number": format!("F-2026-R{n:05}"), "period": { "from": "2026-09-01", "to": "2026-10-31" },
            "issue_date": "2026-11-20", "due_date": "2026-12-01", "amount": "48.20", "currency": "EUR",
            "direct_debit": true, "consumption_m3": "14.2",
            "tariff_lines": [
                { "concept": "Quota de servei", "amount": "12.40" },
                { "concept": "Consum bloc 1 (0–12 m³)", "amount": "21.60" },
                { "concept": "Cànon de l'aigua", "amount": "14.20" }
            ],
            "pdf": { "uri": format!("s3://avisa-invoice-documents/{DEMO_TENANT}/2026/11/F-2026-R{n:05}.pdf"), "size_bytes": 84211 }
        }
    })
}

/// Loads `invoices` customers, then bills each once, and counts the calls of the billing part.
pub async fn run(invoices: usize) -> Result<RequestReport, LocalError> {
    let mut stack = LocalStack::start().await?;
    // As deployed: settings read once a minute per container, not per record.
    let resolver = stack.template.resolver(stack.endpoint());
    let global = stack.template.global_env.get(SETTINGS_FRESH_SECONDS).map(|v| resolver.string(v)).transpose()?;
    for spec in &mut stack.functions {
        spec.env.insert(SETTINGS_FRESH_SECONDS.to_owned(), global.clone().unwrap_or_default());
    }
    let esm = stack.event_source_mapping()?;
    put_tenant_settings(&stack).await?;
    for n in 0..invoices {
        stack.send("BillingEventsQueue", &customer_event(n).to_string()).await?;
    }
    esm.drain().await?;
    let before = stack.proxy().calls().len();
    stack.proxy().measure_capacity();
    let bills: Vec<String> = (0..invoices).map(|n| invoice_event(n).to_string()).collect();
    stack.put_invoice_pdfs(bills.iter().map(String::as_str)).await?;
    for body in &bills {
        stack.send("BillingEventsQueue", body).await?;
    }
    let drained = esm.drain().await?;
    let calls = stack.proxy().calls();
    let notices = stack.moto().sent()?.emails.len();
    let invocations = drained.by_function.iter().map(|(f, stats)| (f.clone(), stats.batches)).collect();
    if let Some(violation) = stack.violations().first() {
        return Err(LocalError::Template(format!("a function called what its role does not allow: {violation}")));
    }
    Ok(RequestReport::count(invoices, notices, &calls[before..], invocations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::Authorised;

    fn call(function: &str, service: &str, action: &str) -> Call {
        Call {
            function: function.into(),
            service: service.into(),
            authorised: vec![Authorised { action: action.into(), resource: "*".into() }],
            recipient: None,
            fault: None,
            millis: 0,
            write_units: 0,
            read_units: 0.0,
            invocation: None,
        }
    }

    #[test]
    fn calls_are_counted_per_operation_and_per_notice() {
        // GIVEN two notices, whose functions made seven calls, the DynamoDB ones with the units
        // the proxy measured
        let calls = [
            Call { read_units: 0.5, ..call("notice-composer", "dynamodb", "dynamodb:GetItem") },
            Call { read_units: 1.0, ..call("notice-composer", "dynamodb", "dynamodb:GetItem") },
            Call { write_units: 6, ..call("notice-composer", "dynamodb", "dynamodb:TransactWriteItems") },
            call("notice-dispatcher", "ses", "ses:SendEmail"),
            call("notice-dispatcher", "ses", "ses:SendEmail"),
            Call { read_units: 30.0, ..call("notice-composer", "dynamodb", "dynamodb:BatchGetItem") },
            Call { write_units: 4, ..call("billing-ingest", "dynamodb", "dynamodb:BatchWriteItem") },
        ];
        let report = RequestReport::count(2, 2, &calls, BTreeMap::from([("notice-composer".into(), 1)]));
        // THEN each operation is a line, and the units are the calls' own
        let get = Operation { function: "notice-composer".into(), service: "dynamodb".into(), name: "GetItem".into() };
        assert_eq!(report.calls[&get], 2);
        assert!((report.per_notice(report.requests() as f64) - 3.5).abs() < 1e-9);
        assert_eq!(report.write_units, 10);
        assert!((report.read_units - 31.5).abs() < 1e-9);
        let printed = report.to_string();
        assert!(printed.contains("AWS requests per notice:          3.50"), "{printed}");
        assert!(printed.contains("DynamoDB write units per notice:  5.00"), "{printed}");
    }
}
