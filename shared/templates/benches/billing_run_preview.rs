//! `avisa billing-run preview`, measured: a run file of invoices streamed, each line parsed,
//! planned as billing-ingest plans it, written with the real templates as notice-composer writes
//! it (email subject, text and HTML; the SMS with its parts), totalled, and printed as the
//! command's `--json` prints it — on one core (a current-thread runtime). The accounts come from a
//! store that makes each contract up from its id, so the figure is the preview's own work and its
//! memory, not a database's.
//!
//! Each size runs in a process of its own, so its peak memory is its own: flat memory shows as
//! the same peak for every size. `make bench` runs it; it prints a table.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc,
    clippy::cast_precision_loss
)]

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::account::{AccountFact, ContractAccount, ContractHolder, CustomerProfile};
use avisa_domain::billing::Document;
use avisa_domain::billing_run::{CachedTenants, Preview, RunFile, RunTotals, customers_in, preview_all};
use avisa_domain::contact::Locale;
use avisa_domain::fakes::{self, Fakes};
use avisa_domain::ids::{ContractId, CustomerId, TenantId};
use avisa_domain::money::{Amount, Currency, Money};
use avisa_domain::ports::{AccountStore, Documents, TenantDirectory};
use avisa_templates::Templates;

const SIZES: [u64; 3] = [25_000, 50_000, 100_000];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--invoices") {
        return measure(args[at + 1].parse().expect("--invoices N"));
    }
    println!("billing-run preview, one core (current-thread runtime), real templates, accounts made up per contract");
    println!(
        "{:>9}  {:>9}  {:>16}  {:>14}  {:>13}",
        "invoices", "seconds", "invoices/minute", "file (MiB)", "peak RSS (MiB)"
    );
    for size in SIZES {
        let output = std::process::Command::new(&args[0]).args(["--invoices", &size.to_string()]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
}

/// Previews a file of `invoices` lines and prints one row of the table.
fn measure(invoices: u64) {
    let file = std::env::temp_dir().join(format!("avisa-bench-run-{}-{invoices}.jsonl", std::process::id()));
    write_run_file(&file, invoices);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let fakes = Fakes::default();
    let mut settings = fakes.defaults.clone();
    settings.outages.sms_part_price =
        Some(Money { amount: Amount::from_minor(6), currency: Currency::parse("EUR").unwrap() });
    runtime.block_on(fakes.tenants.put_settings(&fakes::tenant(), &settings)).unwrap();
    let templates = Templates::load().unwrap();
    let tenants = CachedTenants::new(&fakes.tenants);
    let preview = Preview {
        accounts: &MadeUpAccounts { profile: fakes::customer_profile(), holder: fakes::contract_holder() },
        tenants: &tenants,
        notices: &fakes.notices,
        renderer: &templates,
        suppressions: &fakes.suppressions,
        documents: &EveryDocument,
        clock: &fakes.clock,
        defaults: &fakes.defaults,
    };
    let mut sink = BufWriter::new(std::io::sink());
    let mut totals = RunTotals::default();
    let started = Instant::now();
    // Both passes, as the command makes them: the file's customers (none here), then every line.
    let customers = customers_in(BufReader::new(std::fs::File::open(&file).unwrap()), &fakes::tenant()).unwrap();
    let lines = RunFile::new(BufReader::new(std::fs::File::open(&file).unwrap()), fakes::tenant());
    runtime
        .block_on(preview_all::<avisa_domain::Error>(&preview, &customers, lines, 32, |line| {
            totals.add(&line);
            serde_json::to_writer(&mut sink, &line).unwrap();
            sink.write_all(b"\n").unwrap();
            Ok(())
        }))
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(totals.notices, invoices, "every invoice previewed with its notice: {totals:?}");
    let size = std::fs::metadata(&file).unwrap().len() as f64 / 1_048_576.0;
    std::fs::remove_file(&file).unwrap();
    println!(
        "{invoices:>9}  {seconds:>9.2}  {:>16.0}  {size:>14.1}  {:>13.1}",
        invoices as f64 / seconds * 60.0,
        peak_rss_kib() as f64 / 1024.0
    );
}

/// Invoices for contracts CT-000000…, one per line, as an upstream's run would send them.
fn write_run_file(path: &std::path::Path, invoices: u64) {
    let sample: serde_json::Value = serde_json::from_str(&fakes::sample_body("invoice-issued")).unwrap();
    let mut file = BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..invoices {
        let mut event = sample.clone();
        event["event_id"] = format!("evt-run-{i:06}").into();
        event["contract_id"] = format!("CT-{i:06}").into();
        event["data"]["number"] = format!("F-2026-{i:06}").into();
        event["data"]["pdf"]["uri"] =
            format!("s3://avisa-invoice-documents/aigues-reus/2026/11/F-2026-{i:06}.pdf").into();
        serde_json::to_writer(&mut file, &event).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();
}

/// The process's peak resident memory (Linux), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Every invoice's PDF is there (as an upstream uploads it before the run).
struct EveryDocument;

#[async_trait]
impl Documents for EveryDocument {
    async fn fetch(&self, _: &Document, _: u64) -> Result<Vec<u8>, PortError> {
        Ok(Vec::new())
    }
}

/// Every contract `CT-n` is held by customer `CU-n`, who reads in one of three languages and
/// wants email and SMS: made up from the id, so no store grows with the file.
struct MadeUpAccounts {
    profile: CustomerProfile,
    holder: ContractHolder,
}

fn number(id: &str) -> usize {
    id.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[async_trait]
impl AccountStore for MadeUpAccounts {
    async fn upsert_customer(&self, _: &CustomerProfile) -> Result<(), PortError> {
        unreachable!("a preview writes nothing")
    }

    async fn upsert_holder(&self, _: &ContractHolder) -> Result<(), PortError> {
        unreachable!("a preview writes nothing")
    }

    async fn record_fact(&self, _: &AccountFact) -> Result<(), PortError> {
        unreachable!("a preview writes nothing")
    }

    async fn customer(&self, _: &TenantId, customer_id: &CustomerId) -> Result<Option<CustomerProfile>, PortError> {
        let mut profile = self.profile.clone();
        profile.language = Some([Locale::Ca, Locale::Es, Locale::It][number(customer_id.as_str()) % 3]);
        profile.customer_id = customer_id.clone();
        Ok(Some(profile))
    }

    async fn holder(&self, _: &TenantId, contract_id: &ContractId) -> Result<Option<ContractHolder>, PortError> {
        let mut holder = self.holder.clone();
        holder.customer_id = CustomerId::parse(&format!("CU-{:06}", number(contract_id.as_str()))).unwrap();
        holder.contract_id = contract_id.clone();
        Ok(Some(holder))
    }

    async fn account(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractAccount>, PortError> {
        let holder = self.holder(tenant_id, contract_id).await?.unwrap();
        Ok(Some(ContractAccount::assemble(holder, []).unwrap()))
    }
}
