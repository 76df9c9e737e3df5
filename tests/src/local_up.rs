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

/// `make local-up` serves the staff console itself, this many ports above moto's.
pub const STAFF_CONSOLE_PORT_OFFSET: u16 = 2;

/// Where `cargo lambda watch` serves a function URL.
const CARGO_LAMBDA_WATCH: &str = "http://127.0.0.1:9000/lambda-url";

/// The template's outputs as the local stack resolves them, plus its endpoint. Function URLs are
/// where `cargo lambda watch` serves them.
pub fn outputs(stack: &LocalStack) -> Result<BTreeMap<String, String>, LocalError> {
    let resolver = stack.template.resolver(stack.endpoint()).with_assigned(&stack.provisioned.assigned);
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
    if spec.binary == "staff-console" {
        let port: u16 = stack.endpoint().rsplit(':').next()?.parse().ok()?;
        return Some(format!("http://127.0.0.1:{}/", port.saturating_add(STAFF_CONSOLE_PORT_OFFSET)));
    }
    Some(format!("{CARGO_LAMBDA_WATCH}/{}/", spec.binary))
}

/// The staff console served from this process on `port` (its pool's ids exist only once moto has
/// created the pool, so `cargo lambda watch` cannot be given them ahead), with the demo staff
/// ([`crate::cognito::DEMO_STAFF`]) in its pool.
pub async fn staff_console(stack: &LocalStack, port: u16) -> Result<crate::function_url::FunctionUrl, LocalError> {
    let pool = stack.provisioned.assigned.get("StaffUserPool").ok_or_else(|| {
        LocalError::Template("infra/template.yaml declares no StaffUserPool for the staff console".into())
    })?;
    for user in crate::cognito::DEMO_STAFF {
        crate::cognito::create_staff(&stack.sdk, pool, user).await?;
    }
    seed_waiting_conversation(stack).await?;
    let spec = stack
        .function("staff-console")
        .ok_or_else(|| LocalError::Template("infra/template.yaml declares no staff-console function".into()))?;
    let config = staff_console::Config::load(&spec.env)
        .map_err(|source| LocalError::FunctionConfig { function: spec.binary.clone(), source })?;
    let console = staff_console::App::new(&config, &stack.sdk_for("staff-console"))?;
    crate::function_url::FunctionUrl::in_process(std::sync::Arc::new(console), port)
}

/// A citizen asks the chat line for a person and gives her name (the samples
/// `events/chat-webhook/message-agent-{1,2,3}.json`, through chat-webhook): the console's inbox has
/// someone waiting.
async fn seed_waiting_conversation(stack: &LocalStack) -> Result<(), LocalError> {
    use avisa_runtime::http::HttpHandler;
    let spec = stack
        .function("chat-webhook")
        .ok_or_else(|| LocalError::Template("infra/template.yaml declares no chat-webhook function".into()))?;
    let config = chat_webhook::Config::load(&spec.env)
        .map_err(|source| LocalError::FunctionConfig { function: spec.binary.clone(), source })?;
    let webhook = chat_webhook::App::new(&config, &stack.sdk_for("chat-webhook"))?;
    for step in 1..=3 {
        let path = workspace_root().join(format!("events/chat-webhook/message-agent-{step}.json"));
        let io = |source| LocalError::Io { what: format!("reading {}", path.display()), source };
        let sample = std::fs::read_to_string(&path).map_err(io)?;
        let request = serde_json::from_str(&sample)
            .map_err(|e| LocalError::Template(format!("{} is not a function URL request: {e}", path.display())))?;
        let answer = webhook.handle(&request).await;
        if answer.status_code != 200 {
            return Err(LocalError::Template(format!("{} was answered {}", path.display(), answer.status_code)));
        }
    }
    Ok(())
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
