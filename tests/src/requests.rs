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
    /// Items the functions' DynamoDB batch reads asked for (a read unit each).
    pub batch_read_items: usize,
    /// Items the functions' DynamoDB batch writes wrote (a write unit each).
    pub batch_write_items: usize,
}

impl RequestReport {
    /// Counts `calls` (the functions' own; the harness's are not named) for `notices` notices.
    pub fn count(invoices: usize, notices: usize, calls: &[Call], invocations: BTreeMap<String, usize>) -> Self {
        let mut counted = BTreeMap::new();
        for call in calls {
            let name = call.authorised.first().map_or("?", |a| a.action.split_once(':').map_or("?", |(_, op)| op));
            let operation =
                Operation { function: call.function.clone(), service: call.service.clone(), name: name.to_owned() };
            *counted.entry(operation).or_insert(0) += 1;
        }
        let batch_items_of = |action: &str| -> usize {
            calls
                .iter()
                .filter(|call| call.authorised.first().is_some_and(|a| a.action == action))
                .map(|c| c.batch_items)
                .sum()
        };
        let batch_read_items = batch_items_of("dynamodb:BatchGetItem");
        let batch_write_items = batch_items_of("dynamodb:BatchWriteItem");
        Self { invoices, notices, calls: counted, invocations, batch_read_items, batch_write_items }
    }

    pub fn requests(&self) -> usize {
        self.calls.values().sum()
    }

    /// Requests per notice.
    pub fn per_notice(&self, count: usize) -> f64 {
        count as f64 / self.notices.max(1) as f64
    }

    /// DynamoDB write request units (a transaction's writes count twice; a batch write's items
    /// are counted from the items it wrote).
    pub fn write_units(&self) -> usize {
        self.batch_write_items
            + self.dynamodb(|op| match op {
                "PutItem" | "UpdateItem" | "DeleteItem" => 1,
                "TransactWriteItems" => 2,
                _ => 0,
            })
    }

    /// DynamoDB read request units (strongly consistent: one per item read; a batch read's
    /// items are counted from its keys).
    pub fn read_units(&self) -> usize {
        self.batch_read_items
            + self.dynamodb(|op| match op {
                "GetItem" | "Query" | "Scan" => 1,
                "TransactGetItems" => 2,
                _ => 0,
            })
    }

    fn dynamodb(&self, units: impl Fn(&str) -> usize) -> usize {
        self.calls.iter().filter(|(op, _)| op.service == "dynamodb").map(|(op, n)| units(&op.name) * n).sum()
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
            + self.write_units() as f64 * price::DYNAMODB_WRU
            + self.read_units() as f64 * price::DYNAMODB_RRU
            + self.of_service("s3", &["GetObject", "HeadObject"]) as f64 * price::S3_GET
            + self.of_service("s3", &["PutObject"]) as f64 * price::S3_PUT
            + self.of_service("scheduler", &["CreateSchedule"]) as f64 * price::SCHEDULER;
        total * 1000.0 / self.notices.max(1) as f64
    }
}

impl fmt::Display for RequestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} invoices → {} email notices sent", self.invoices, self.notices)?;
        writeln!(f, "{:<20} {:<10} {:<22} {:>8} {:>12}", "function", "service", "operation", "calls", "per notice")?;
        for (op, n) in &self.calls {
            writeln!(
                f,
                "{:<20} {:<10} {:<22} {:>8} {:>12.2}",
                op.function,
                op.service,
                op.name,
                n,
                self.per_notice(*n)
            )?;
        }
        let mut by_function: BTreeMap<&str, usize> = BTreeMap::new();
        for (op, n) in &self.calls {
            *by_function.entry(&op.function).or_default() += n;
        }
        writeln!(f)?;
        for (function, n) in by_function {
            let invocations = self.invocations.get(function).copied().unwrap_or_default();
            writeln!(f, "{function:<20} {:>6.2} requests per notice, {invocations} invocations", self.per_notice(n))?;
        }
        writeln!(f)?;
        writeln!(f, "AWS requests per notice:          {:.2}  (goal ≤ 6)", self.per_notice(self.requests()))?;
        writeln!(f, "DynamoDB write units per notice:  {:.2}  (goal ≤ 3)", self.per_notice(self.write_units()))?;
        writeln!(f, "DynamoDB read units per notice:   {:.2}", self.per_notice(self.read_units()))?;
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
            batch_items: 0,
            invocation: None,
        }
    }

    #[test]
    fn calls_are_counted_per_operation_and_per_notice() {
        // GIVEN two notices, whose functions made seven calls (a batch read of 30 items, a batch
        // write of 4)
        let calls = [
            call("notice-composer", "dynamodb", "dynamodb:GetItem"),
            call("notice-composer", "dynamodb", "dynamodb:GetItem"),
            call("notice-composer", "dynamodb", "dynamodb:TransactWriteItems"),
            call("notice-dispatcher", "ses", "ses:SendEmail"),
            call("notice-dispatcher", "ses", "ses:SendEmail"),
            Call { batch_items: 30, ..call("notice-composer", "dynamodb", "dynamodb:BatchGetItem") },
            Call { batch_items: 4, ..call("billing-ingest", "dynamodb", "dynamodb:BatchWriteItem") },
        ];
        let report = RequestReport::count(2, 2, &calls, BTreeMap::from([("notice-composer".into(), 1)]));
        // THEN each operation is a line, and the units follow DynamoDB's rules
        let get = Operation { function: "notice-composer".into(), service: "dynamodb".into(), name: "GetItem".into() };
        assert_eq!(report.calls[&get], 2);
        assert!((report.per_notice(report.requests()) - 3.5).abs() < 1e-9);
        assert_eq!(report.write_units(), 6, "a transaction's write is two units, a batch write a unit per item");
        assert_eq!(report.read_units(), 32, "a batch read is a unit per item");
        assert!(report.to_string().contains("AWS requests per notice:          3.50"), "{report}");
    }
}
