//! The samples under `events/`: what a stack needs for every one of them to work as documented
//! (`make local-up` provisions it), and what each one does — `events/samples.toml`, which the
//! every-sample test holds to.

use std::path::Path;

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use avisa_domain::operators::{Operator, OperatorDirectory, token_digest};

use crate::moto::workspace_root;
use crate::stack::DEMO_TENANT;
use crate::{LocalError, LocalStack};

/// The bearer token the HTTP samples (`events/chat-desk`, `events/outage-scheduler`) carry.
pub const SAMPLE_OPERATOR_TOKEN: &str = "local-operator-token";

/// The manifest of the samples, relative to the workspace.
pub const MANIFEST: &str = "events/samples.toml";

/// Puts in the stack what the samples rely on: the demo tenant's settings (with the WhatsApp
/// number the chat samples are addressed to), the samples' operator token, and the PDF of every
/// invoice a billing sample or the demo run file names, in the tenant's documents bucket.
pub async fn provision(stack: &LocalStack) -> Result<(), LocalError> {
    crate::demo::put_tenant_settings(stack).await?;
    let tenant = TenantId::parse(DEMO_TENANT).map_err(|e| LocalError::Template(e.to_string()))?;
    let name = avisa_domain::text::Text::parse("local operator").map_err(|e| LocalError::Template(e.to_string()))?;
    let operator = Operator::issued(tenant, name, jiff::Timestamp::now(), avisa_domain::operators::MAX_TOKEN_DAYS);
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    store
        .register(&token_digest(SAMPLE_OPERATOR_TOKEN), &operator)
        .await
        .map_err(|e| LocalError::provision("Table", "the samples' operator token", e))?;
    let bodies = sample_files()?
        .iter()
        .filter(|path| path.starts_with("billing-ingest/"))
        .map(|path| read_json(&events_dir().join(path)).map(|event| sqs_bodies(&event)))
        .collect::<Result<Vec<_>, _>>()?;
    stack.put_invoice_pdfs(bodies.iter().flatten().map(String::as_str)).await?;
    // The run file's invoices too, so `avisa billing-run submit events/demo/billing-run.jsonl`
    // sends what its preview shows.
    let run = std::fs::read_to_string(events_dir().join(DEMO_RUN_FILE))
        .map_err(|e| LocalError::Template(format!("{DEMO_RUN_FILE}: {e}")))?;
    stack.put_invoice_pdfs(run.lines()).await?;
    Ok(())
}

/// The billing run file of the README's first 30 minutes.
const DEMO_RUN_FILE: &str = "demo/billing-run.jsonl";

/// What invoking a sample does, as `events/samples.toml` declares it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// An SQS batch: every record handled, none rejected.
    Done { what: String },
    /// An SQS batch: acknowledged, and recorded among the tenant's rejections with `code`.
    Rejected { what: String, code: String },
    /// An HTTP request (a function URL): answered with `status`, its body containing `says`.
    Answered {
        what: String,
        status: u16,
        #[serde(default)]
        says: Option<String>,
    },
    /// An invocation with a JSON answer of its own (a scheduled function): containing `says`.
    Returned { what: String, says: String },
    /// Not an event: data a command reads (`read_by`), checked to parse as that command does.
    Data { what: String, read_by: String },
}

/// One entry of the manifest: a file under `events/`, and what it does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Sample {
    pub file: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Sample {
    /// The function a sample is for: the folder it is in.
    pub fn function(&self) -> &str {
        self.file.split_once('/').map_or("", |(function, _)| function)
    }

    pub fn event(&self) -> Result<serde_json::Value, LocalError> {
        read_json(&events_dir().join(&self.file))
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    sample: Vec<Sample>,
}

/// The samples, in the order they are meant to be invoked.
pub fn manifest() -> Result<Vec<Sample>, LocalError> {
    let path = workspace_root().join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|source| LocalError::Io { what: format!("reading {}", path.display()), source })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| LocalError::Template(format!("{MANIFEST}: {e}")))?;
    Ok(manifest.sample)
}

/// Every file under `events/` except the JSON Schemas and the HTTP API document (`schema/`) and
/// the manifest itself, relative
/// to `events/`, sorted.
pub fn sample_files() -> Result<Vec<String>, LocalError> {
    let root = events_dir();
    let mut found = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|source| LocalError::Io { what: format!("listing {}", folder.display()), source })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(&root).unwrap_or(&path).to_string_lossy().into_owned();
            if relative == "schema" || relative == "samples.toml" {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn events_dir() -> std::path::PathBuf {
    workspace_root().join("events")
}

fn read_json(path: &Path) -> Result<serde_json::Value, LocalError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| LocalError::Io { what: format!("reading {}", path.display()), source })?;
    serde_json::from_str(&text).map_err(|e| LocalError::Template(format!("{} is not JSON: {e}", path.display())))
}

/// The bodies of an SQS event's records.
pub fn sqs_bodies(event: &serde_json::Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|record| record["body"].as_str().map(str::to_owned))
        .collect()
}
