//! The demo: a small billing run through the whole pipeline on the local stack.

use std::fmt;
use std::path::Path;

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::{RejectionLog, TenantDirectory};
use avisa_domain::tenant::TenantSettings;
use avisa_runtime::scheduled::ScheduledHandler;

use crate::LocalError;
use crate::esm::DrainReport;
use crate::moto::{Sent, workspace_root};
use crate::stack::LocalStack;

/// What the demo did, as it prints it.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub customers_in: usize,
    pub invoices_in: usize,
    pub rejected: Vec<String>,
    pub notices_composed: usize,
    pub sent: Sent,
    pub drained: DrainReport,
    /// The night's print run, for today: `(tenant, letters, location)`.
    pub print_batches: Vec<(String, u64, String)>,
}

/// The billing events in a JSON array file under `events/`, as message bodies.
pub fn event_bodies(relative: &str) -> Result<Vec<String>, LocalError> {
    let path = workspace_root().join(relative);
    let io = |source| LocalError::Io { what: format!("reading {}", path.display()), source };
    let text = std::fs::read_to_string(Path::new(&path)).map_err(io)?;
    let events: Vec<serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| LocalError::Template(format!("{relative} is not a JSON array of events: {e}")))?;
    Ok(events.iter().map(ToString::to_string).collect())
}

/// Loads the sample customers, then the billing run, draining the pipeline after each.
pub async fn run(stack: &LocalStack) -> Result<DemoReport, LocalError> {
    let esm = stack.event_source_mapping()?;
    put_tenant_settings(stack).await?;
    let customers = event_bodies("events/demo/customers.json")?;
    for body in &customers {
        stack.send("BillingEventsQueue", body).await?;
    }
    let mut drained = esm.drain().await?;
    let invoices = event_bodies("events/demo/billing-run.json")?;
    stack.put_invoice_pdfs(invoices.iter().map(String::as_str)).await?;
    for body in &invoices {
        stack.send("BillingEventsQueue", body).await?;
    }
    for (function, stats) in esm.drain().await?.by_function {
        let total = drained.by_function.entry(function).or_default();
        total.batches += stats.batches;
        total.records += stats.records;
        total.failed += stats.failed;
    }
    let print_batches = print_today(stack).await?;
    Ok(DemoReport {
        print_batches,
        customers_in: customers.len(),
        invoices_in: invoices.len(),
        rejected: rejections(stack, Some("aigues-reus")).await?,
        notices_composed: drained.of("notice-composer").records,
        sent: stack.moto().sent()?,
        drained,
    })
}

/// Runs the print batch for today (UTC), as the night's run would for yesterday.
async fn print_today(stack: &LocalStack) -> Result<Vec<(String, u64, String)>, LocalError> {
    let spec =
        stack.function("print-batch").ok_or_else(|| LocalError::Template("the template has no print-batch".into()))?;
    let config = print_batch::Config::load(&spec.env)
        .map_err(|source| LocalError::FunctionConfig { function: spec.binary.clone(), source })?;
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let report = print_batch::App::new(&config, &stack.sdk_for("print-batch"))
        .run(&serde_json::json!({ "day": today.to_string() }))
        .await?;
    Ok(report["batches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            let text = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
            (text("tenant_id"), b["letters"].as_u64().unwrap_or_default(), text("location"))
        })
        .collect())
}

/// The demo tenant configures itself from `events/demo/tenant.json`.
pub(crate) async fn put_tenant_settings(stack: &LocalStack) -> Result<(), LocalError> {
    let path = workspace_root().join("events/demo/tenant.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|source| LocalError::Io { what: format!("reading {}", path.display()), source })?;
    let settings: TenantSettings =
        serde_json::from_str(&text).map_err(|e| LocalError::Template(format!("events/demo/tenant.json: {e}")))?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    let tenant = TenantId::parse("aigues-reus").map_err(|e| LocalError::Template(e.to_string()))?;
    store.put_settings(&tenant, &settings).await.map_err(|e| LocalError::provision("Table", "tenant settings", e))
}

/// `code: detail` of every rejection recorded for `tenant` (`None`: tenant unreadable), newest first.
pub async fn rejections(stack: &LocalStack, tenant: Option<&str>) -> Result<Vec<String>, LocalError> {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    let tenant = tenant.map(TenantId::parse).transpose().map_err(|e| LocalError::Template(e.to_string()))?;
    let listed = store.list(tenant.as_ref(), 1000).await.map_err(|e| LocalError::provision("Table", "query", e))?;
    Ok(listed.iter().map(|r| r.rejection.to_string()).collect())
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "== avisa demo: one billing run through the local stack ==")?;
        writeln!(f, "billing events in:  {} customers, {} invoices", self.customers_in, self.invoices_in)?;
        writeln!(f, "rejected:           {}", self.rejected.len())?;
        for reason in &self.rejected {
            writeln!(f, "  - {reason}")?;
        }
        writeln!(f, "notices composed:   {}", self.notices_composed)?;
        writeln!(f, "emails in SES:      {}", self.sent.emails.len())?;
        writeln!(f, "SMS in SNS:         {}", self.sent.sms.len())?;
        for (tenant, letters, location) in &self.print_batches {
            writeln!(f, "letters to print:   {letters} ({tenant}, {location})")?;
        }
        writeln!(f, "invocations:")?;
        for (function, stats) in &self.drained.by_function {
            writeln!(
                f,
                "  {function:<18} {} batches, {} records, {} retried",
                stats.batches, stats.records, stats.failed
            )?;
        }
        if let Some(email) = self.sent.emails.first() {
            writeln!(f, "\n-- one email, as SES received it --")?;
            writeln!(
                f,
                "From:    {}\nTo:      {}\nSubject: {}\n\n{}",
                email.source,
                email.destinations.to.join(", "),
                email.subject,
                email.body
            )?;
        }
        if let Some(sms) = self.sent.sms.first() {
            writeln!(f, "\n-- one SMS, as SNS received it --")?;
            writeln!(f, "To: {}\n{}", sms.phone_number, sms.message)?;
        }
        Ok(())
    }
}
