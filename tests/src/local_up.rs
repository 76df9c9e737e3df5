//! `make local-up`: the local stack as a developer uses it with cargo-lambda — what the samples
//! need provisioned, the stack's outputs in a file the `avisa` CLI reads, and the downstream
//! functions draining the queues.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::moto::workspace_root;
use crate::{LocalError, LocalStack};

/// Where `make local-up` writes the stack's outputs; `AVISA_OUTPUTS` points the CLI at them.
pub const OUTPUTS_FILE: &str = "target/avisa-local/outputs.json";

/// The output the CLI takes its AWS endpoint from (absent from a deployed stack's outputs).
pub const ENDPOINT_OUTPUT: &str = "AwsEndpointUrl";

/// Where `cargo lambda watch` serves a function URL.
const CARGO_LAMBDA_WATCH: &str = "http://127.0.0.1:9000/lambda-url";

/// The template's outputs as the local stack resolves them, plus its endpoint. Function URLs are
/// where `cargo lambda watch` serves them.
pub fn outputs(stack: &LocalStack) -> Result<BTreeMap<String, String>, LocalError> {
    let resolver = stack.template.resolver(stack.endpoint());
    let mut outputs = BTreeMap::new();
    for (name, value) in &stack.template.outputs {
        let local_value = match function_url(stack, value) {
            Some(url) => url,
            None => resolver.string(value)?,
        };
        outputs.insert(name.clone(), local_value);
    }
    outputs.insert(ENDPOINT_OUTPUT.to_owned(), stack.endpoint().to_owned());
    Ok(outputs)
}

/// `!GetAtt XFunctionUrl.FunctionUrl` (SAM's function URL of `XFunction`): cargo lambda watch's URL.
fn function_url(stack: &LocalStack, value: &serde_yaml::Value) -> Option<String> {
    let serde_yaml::Value::Tagged(tagged) = value else { return None };
    let target = tagged.value.as_str()?;
    let function = target.strip_suffix("Url.FunctionUrl")?;
    let spec = stack.functions.iter().find(|f| f.logical_id == function)?;
    Some(format!("{CARGO_LAMBDA_WATCH}/{}/", spec.binary))
}

/// Writes [`outputs`] to `path` (`make local-up`: [`OUTPUTS_FILE`]) as
/// `[{"OutputKey", "OutputValue"}]`, as `aws cloudformation describe-stacks` gives a deployed stack's.
pub fn write_outputs(stack: &LocalStack, path: &Path) -> Result<(), LocalError> {
    let io = |source| LocalError::Io { what: format!("writing {}", path.display()), source };
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(io)?;
    }
    let listed: Vec<serde_json::Value> = outputs(stack)?
        .into_iter()
        .map(|(key, value)| serde_json::json!({"OutputKey": key, "OutputValue": value}))
        .collect();
    let text = serde_json::to_string_pretty(&listed).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(io)
}

/// Where `make local-up` writes the outputs, in this checkout.
pub fn outputs_path() -> PathBuf {
    workspace_root().join(OUTPUTS_FILE)
}

/// Runs the functions fed by queues in-process, as Lambda's event source mappings would, until
/// the process stops: what cargo-lambda invokes by hand flows on to SES, SNS and the table.
pub async fn keep_draining(stack: &LocalStack, every: Duration) -> Result<(), LocalError> {
    let mapping = stack.event_source_mapping()?;
    loop {
        match mapping.drain().await {
            Ok(report) => {
                for (function, done) in report.by_function.iter().filter(|(_, done)| done.records > 0) {
                    tracing::info!(function, records = done.records, failed = done.failed, "drained");
                }
            }
            Err(error) => tracing::warn!(error = %error, "a queue did not drain; trying again"),
        }
        tokio::time::sleep(every).await;
    }
}
