//! A billing run under the faults a real AWS account imposes: one AWS call in ten fails (each
//! service's own throttling and 500s, resets, timeouts, and calls applied whose answer is lost),
//! 30% of the events arrive twice, some at the same time. Every expected message must be sent, or
//! be dead-lettered or rejected with its reason; a duplicate only where a provider applied a send
//! and its answer was lost. The figures are printed as a table (`--no-capture` shows it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::{RejectionLog, TenantDirectory};
use avisa_local::LocalStack;
use avisa_local::dead_letters;
use avisa_local::proxy::{FaultKind, FaultPlan};
use serde_json::json;

use crate::support::stack;

/// Customers: every one has a tariff change and a smart meter; the first `INVOICES` an invoice,
/// later paid. 1,000 events in all, most of them cheap to apply: what costs is a notice.
const CONTRACTS: usize = 250;
const INVOICES: usize = 125;
const SEED: u64 = 20_261_201;
const LANGUAGES: [&str; 4] = ["ca", "es", "it", "en"];

fn email(i: usize) -> String {
    format!("client{i}@example.org")
}

fn mobile(i: usize) -> String {
    format!("+3461{i:06}0")
}

fn envelope(event_id: &str, event_type: &str, i: usize, occurred_at: &str, data: &serde_json::Value) -> String {
    json!({
        "schema_version": 1, "event_id": event_id, "event_type": event_type, "tenant_id": "aigues-reus",
        "occurred_at": occurred_at, "contract_id": format!("CT-F{i:04}"), "data": data,
    })
    .to_string()
}

fn customer(i: usize) -> String {
    envelope(
        &format!("f-cu-{i}"),
        "customer.upserted",
        i,
        "2026-11-02T08:00:00Z",
        &json!({
            "customer_id": format!("CU-F{i:04}"), "name": format!("Client {i}"), "language": LANGUAGES[i % 4],
            "email": email(i), "mobile": mobile(i), "channels": ["email", "sms"],
            "consents": {"service": true, "marketing": false}, "e_invoice": true,
            "supply_point": {"address": format!("Carrer Major {i}, 43201 Reus"), "network_sector": "REUS-N1",
                             "coordinates": {"lat": 41.155, "lon": 1.107}, "shared_meter": false},
        }),
    )
}

fn pdf_uri(i: usize) -> String {
    format!("s3://avisa-invoice-documents/aigues-reus/fault/F-F{i:05}.pdf")
}

fn invoice(i: usize) -> String {
    envelope(
        &format!("f-inv-{i}"),
        "invoice.issued",
        i,
        "2026-11-20T07:30:00Z",
        &json!({
            "number": format!("F-F{i:05}"), "period": {"from": "2026-09-01", "to": "2026-10-31"},
            "issue_date": "2026-11-20", "due_date": "2026-12-01", "amount": "48.20", "currency": "EUR",
            "direct_debit": true, "consumption_m3": "14.2", "tariff_lines": [],
            "pdf": {"uri": pdf_uri(i), "size_bytes": 40},
        }),
    )
}

fn tariff(i: usize) -> String {
    envelope(
        &format!("f-tariff-{i}"),
        "tariff.changed",
        i,
        "2026-10-01T00:00:00Z",
        &json!({
            "tariff_code": "DOM-2026", "name": "Domèstica 2026", "effective_from": "2026-10-01",
        }),
    )
}

fn telemetry(i: usize) -> String {
    envelope(
        &format!("f-meter-{i}"),
        "meter.telemetry_enabled",
        i,
        "2026-10-15T08:00:00Z",
        &json!({"meter_id": format!("MTR-F{i:05}"), "portal_url": "https://oficinavirtual.example.cat/consum"}),
    )
}

fn paid(i: usize) -> String {
    envelope(
        &format!("f-paid-{i}"),
        "invoice.paid",
        i,
        "2026-12-01T09:00:00Z",
        &json!({
            "number": format!("F-F{i:05}"), "paid_on": "2026-12-01", "amount": "48.20", "currency": "EUR",
        }),
    )
}

/// The run's events, 30% of them twice (half of those next to each other, so that two
/// invocations can take them at the same time).
fn with_redeliveries(events: Vec<String>, rng: &mut fastrand::Rng) -> Vec<String> {
    let mut out = Vec::with_capacity(events.len() * 13 / 10);
    let mut later = Vec::new();
    for event in events {
        let again = rng.f64() < 0.3;
        out.push(event.clone());
        match (again, rng.bool()) {
            (true, true) => out.push(event),
            (true, false) => later.push(event),
            (false, _) => {}
        }
    }
    out.extend(later);
    out
}

async fn send_all(stack: &LocalStack, bodies: &[String]) {
    for body in bodies {
        stack.send("BillingEventsQueue", body).await.unwrap();
    }
}

/// Which contract a dead letter or a rejection is about, read off its body or ids.
fn contract_of(text: &str) -> Option<usize> {
    ["CT-F", "f-inv-", "f-cu-", "f-paid-", "f-tariff-", "f-meter-"].iter().find_map(|prefix| {
        let start = text.find(prefix)? + prefix.len();
        text[start..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
    })
}

/// The contract a dead letter is about: named in its body, or, for a delivery job (which carries
/// ids only), its notice's.
async fn dead_letter_contract(store: &DynamoStore, body: &str) -> Option<usize> {
    use avisa_domain::ports::NoticeStore;
    if let Some(contract) = contract_of(body) {
        return Some(contract);
    }
    let job: avisa_domain::queues::DeliveryJob = serde_json::from_str(body).ok()?;
    let notice = store.notice(&job.tenant_id, &job.notice_id).await.ok()??;
    contract_of(notice.contract_id?.as_str())
}

#[derive(Default)]
struct Outcome {
    expected: usize,
    sent: usize,
    duplicates: usize,
    explained: usize,
    lost: Vec<String>,
    dead_lettered: usize,
    rejected: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billing_run_under_aws_faults_loses_nothing_and_duplicates_only_lost_answers() {
    // GIVEN a tenant whose send rates are not the point here, and 400 customers' invoice PDFs
    let stack = stack().await;
    let settings = json!({"default_locale": "ca", "time_zone": "Europe/Madrid",
        "sms": {"max_segments": 3, "transliterate": false}, "invoice_notice_days": 8, "plan_reminder_days": 3,
        "send_hour": 10, "rate_limits": {"email_per_second": 1000, "sms_parts_per_second": 1000}});
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    store.put_settings(&tenant, &serde_json::from_value(settings).unwrap()).await.unwrap();
    for i in 0..INVOICES {
        stack.put_document(&pdf_uri(i), b"%PDF-1.4\n%%EOF\n").await.unwrap();
    }
    let esm = stack.event_source_mapping().unwrap();
    let mut rng = fastrand::Rng::with_seed(SEED);
    // WHEN one AWS call in ten fails, and the customers, then their tariffs, meters, invoices and
    // payments arrive (1,000 events), 30% of them twice, three invocations at a time
    stack.proxy().inject(FaultPlan::ten_percent(SEED));
    send_all(&stack, &with_redeliveries((0..CONTRACTS).map(customer).collect(), &mut rng)).await;
    esm.drain_with(3).await.unwrap();
    let bills: Vec<String> = (0..CONTRACTS)
        .map(tariff)
        .chain((0..CONTRACTS).map(telemetry))
        .chain((0..INVOICES).map(invoice))
        .chain((0..INVOICES).map(paid))
        .collect();
    let bills = with_redeliveries(bills, &mut rng);
    send_all(&stack, &bills).await;
    esm.drain_with(3).await.unwrap();
    stack.proxy().heal();
    let events = CONTRACTS * 3 + INVOICES * 2;
    let delivered = CONTRACTS + bills.len();

    // THEN every expected message was sent, or dead-lettered or rejected with its reason
    let sent = stack.moto().sent().unwrap();
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for to in sent.emails.iter().flat_map(|e| e.destinations.to.iter()).chain(sent.sms.iter().map(|s| &s.phone_number))
    {
        *received.entry(to.clone()).or_default() += 1;
    }
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let mut accounted: BTreeSet<usize> = BTreeSet::new();
    let mut outcome = Outcome::default();
    let mut reasons = Vec::new();
    for dlq in ["BillingEventsDlq", "ComposeDlq", "DispatchDlq", "FeedbackDlq"] {
        for letter in dead_letters::receive_all(&sqs, &stack.queue(dlq).url, 600).await.unwrap() {
            outcome.dead_lettered += 1;
            let reason = letter.reason.clone().unwrap_or_else(|| "(moved by SQS, no reason)".into());
            reasons.push(format!("{dlq}: {reason}"));
            assert!(letter.reason.is_some(), "a dead letter without its reason: {}", letter.body);
            accounted.extend(dead_letter_contract(&store, &letter.body).await);
        }
    }
    let rejections = store.list(Some(&tenant), 1000).await.unwrap();
    for rejected in &rejections {
        outcome.rejected += 1;
        reasons.push(format!("rejected: {}", rejected.rejection));
        accounted.extend(rejected.event_id.as_deref().and_then(contract_of));
    }
    // The duplicates the proxy explains: a send applied whose answer was lost, per recipient.
    let calls = stack.proxy().calls();
    let mut lost_answers: BTreeMap<String, usize> = BTreeMap::new();
    for call in calls.iter().filter(|c| matches!(c.authorised[0].action.as_str(), "ses:SendEmail" | "sns:Publish")) {
        if let (Some(to), Some(fault)) = (&call.recipient, call.fault)
            && fault.applied()
        {
            *lost_answers.entry(to.clone()).or_default() += 1;
        }
    }
    let mut unexplained = Vec::new();
    for i in 0..INVOICES {
        for to in [email(i), mobile(i)] {
            outcome.expected += 1;
            let got = received.get(&to).copied().unwrap_or(0);
            if got == 0 {
                if !accounted.contains(&i) {
                    outcome.lost.push(to);
                }
                continue;
            }
            outcome.sent += 1;
            let extra = got - 1;
            outcome.duplicates += extra;
            let explained = extra.min(lost_answers.get(&to).copied().unwrap_or(0));
            outcome.explained += explained;
            if explained < extra {
                unexplained.push(format!("{to}: {got} copies, {explained} explained"));
            }
        }
    }
    println!("{}", table(events, delivered, &stack, &outcome));
    for reason in reasons.iter().take(10) {
        println!("  {reason}");
    }
    assert!(outcome.lost.is_empty(), "lost without a trace: {:?}", outcome.lost);
    assert!(unexplained.is_empty(), "duplicates no lost answer explains: {unexplained:?}");
    assert!(outcome.sent + accounted.len() * 2 >= outcome.expected, "the books do not balance");
    let injected: usize = stack.proxy().faults().values().sum();
    assert!(injected > 400, "the run met too few faults to prove anything: {injected}");
}

fn table(events: usize, delivered: usize, stack: &LocalStack, outcome: &Outcome) -> String {
    let mut by_kind: BTreeMap<FaultKind, (usize, usize)> = BTreeMap::new();
    for ((kind, action), count) in stack.proxy().faults() {
        let entry = by_kind.entry(kind).or_default();
        entry.0 += count;
        if matches!(action.as_str(), "ses:SendEmail" | "sns:Publish") {
            entry.1 += count;
        }
    }
    let calls = stack.proxy().calls().len();
    let mut out = String::new();
    let _ = writeln!(out, "\n== billing run under faults (seed {SEED}) ==");
    let _ =
        writeln!(out, "events: {events} ({delivered} deliveries with the repeats); AWS calls by functions: {calls}");
    let _ = writeln!(out, "{:<28} {:>8} {:>10}", "fault", "injected", "on sends");
    for kind in FaultKind::ALL {
        let (all, sends) = by_kind.get(&kind).copied().unwrap_or_default();
        let _ = writeln!(out, "{:<28} {all:>8} {sends:>10}", kind.as_str());
    }
    let _ = writeln!(out, "{:<28} {:>8}", "messages expected", outcome.expected);
    let _ = writeln!(out, "{:<28} {:>8}", "sent", outcome.sent);
    let _ = writeln!(
        out,
        "{:<28} {:>8} ({} explained by an applied send whose answer was lost)",
        "duplicates", outcome.duplicates, outcome.explained
    );
    let _ = writeln!(out, "{:<28} {:>8}", "dead-lettered (with reason)", outcome.dead_lettered);
    let _ = writeln!(out, "{:<28} {:>8}", "rejected (with reason)", outcome.rejected);
    let _ = writeln!(out, "{:<28} {:>8}", "lost", outcome.lost.len());
    let mut by_action: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for call in stack.proxy().calls() {
        let entry = by_action.entry(call.authorised[0].action.clone()).or_default();
        entry.0 += 1;
        entry.1 += call.millis;
    }
    let mut slowest: Vec<_> = by_action.into_iter().collect();
    slowest.sort_by_key(|(_, (_, millis))| std::cmp::Reverse(*millis));
    let _ = writeln!(out, "time in AWS calls, by action (calls, total, mean):");
    for (action, (calls, millis)) in slowest.iter().take(8) {
        let mean = *millis / u64::try_from(*calls).unwrap_or(1).max(1);
        let _ = writeln!(out, "  {action:<36} {calls:>6} {:>5} s {mean:>5} ms", millis / 1000);
    }
    out
}
