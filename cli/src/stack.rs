//! Which deployment a command acts on: one way for every command — the stack's outputs
//! (`--outputs FILE` or `AVISA_OUTPUTS`), with `--table` to override the table.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use avisa_aws::DynamoStore;
use avisa_local::local_up::ENDPOINT_OUTPUT;

use crate::error::CliError;

/// The options that point a command at a deployment.
#[derive(Debug, Clone, clap::Args)]
pub struct StackArgs {
    /// The stack's outputs, as `sam list stack-outputs --stack-name avisa --output json` (or
    /// `aws cloudformation describe-stacks … --query 'Stacks[0].Outputs'`) prints them;
    /// `make local-up` writes target/avisa-local/outputs.json
    #[arg(long, env = "AVISA_OUTPUTS", global = true, value_name = "FILE")]
    pub outputs: Option<PathBuf>,
    /// The table, when not from --outputs (the stack output `TableName`)
    #[arg(long, env = "TABLE_NAME", global = true, value_name = "NAME")]
    pub table: Option<String>,
    /// The stack's name, which its queues' names start with (redrive finds them so)
    #[arg(long, default_value = "avisa", global = true, value_name = "NAME")]
    pub stack: String,
}

/// A deployment, as the options name it.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    outputs: BTreeMap<String, String>,
    table: Option<String>,
}

impl Stack {
    pub fn from_args(args: &StackArgs) -> Result<Self, CliError> {
        let outputs = match &args.outputs {
            Some(path) => read_outputs(path)?,
            None => BTreeMap::new(),
        };
        Ok(Self { name: args.stack.clone(), outputs, table: args.table.clone() })
    }

    pub fn output(&self, key: &str) -> Option<&str> {
        self.outputs.get(key).map(String::as_str)
    }

    pub fn table(&self) -> Result<&str, CliError> {
        self.table
            .as_deref()
            .or_else(|| self.output("TableName"))
            .ok_or_else(|| CliError::NoStack { also: ", or name the table with --table (or TABLE_NAME)".into() })
    }

    /// The SDK's configuration: the environment's credentials and region; the local stack's
    /// endpoint when the outputs are `make local-up`'s.
    /// The SDK's configuration: the environment's credentials and region; the local stack's
    /// endpoint (and test credentials) when the outputs are `make local-up`'s.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        match self.output(ENDPOINT_OUTPUT) {
            Some(endpoint) => avisa_local::stack::sdk_config(endpoint).await,
            None => avisa_runtime::aws_config().await,
        }
    }

    pub async fn store(&self) -> Result<DynamoStore, CliError> {
        let table = self.table()?.to_owned();
        Ok(DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.sdk().await), table))
    }

    /// The environment a function's configuration reads, from the outputs (and the process's own
    /// environment, which wins): how the CLI runs a function's use case itself.
    pub fn function_env(&self) -> Result<HashMap<String, String>, CliError> {
        let mut env = HashMap::from([("TABLE_NAME".to_owned(), self.table()?.to_owned())]);
        for (output, variable) in OUTPUT_VARIABLES {
            if let Some(value) = std::env::var(variable).ok().or_else(|| self.output(output).map(str::to_owned)) {
                env.insert((*variable).to_owned(), value);
            }
        }
        Ok(env)
    }
}

/// The outputs of infra/template.yaml that the functions' configuration reads, by variable.
const OUTPUT_VARIABLES: &[(&str, &str)] = &[
    ("ComposeQueueArn", "COMPOSE_QUEUE_ARN"),
    ("ComposeQueueUrl", "COMPOSE_QUEUE_URL"),
    ("ScheduleGroupName", "SCHEDULE_GROUP"),
    ("SchedulerRoleArn", "SCHEDULER_ROLE_ARN"),
    ("DefaultLocale", "DEFAULT_LOCALE"),
    ("DefaultTimeZone", "DEFAULT_TIME_ZONE"),
    ("SmsMaxSegments", "SMS_MAX_SEGMENTS"),
    ("SmsTransliterate", "SMS_TRANSLITERATE"),
    ("InvoiceDocumentsBucket", "INVOICE_DOCUMENTS_BUCKET"),
    ("SharedSendRates", "SHARED_SEND_RATES"),
];

/// `[{"OutputKey", "OutputValue", …}]` (CloudFormation's and SAM's form) or `{"key": "value"}`.
fn read_outputs(path: &PathBuf) -> Result<BTreeMap<String, String>, CliError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::File {
        file: file.clone(),
        why: format!(
            "{e} (`make local-up` writes it; for a deployed stack, `sam list stack-outputs --output json > FILE`)"
        ),
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::File { file: file.clone(), why: format!("not JSON: {e}") })?;
    let pairs: Option<BTreeMap<String, String>> = match &value {
        serde_json::Value::Array(listed) => listed
            .iter()
            .map(|o| Some((o["OutputKey"].as_str()?.to_owned(), o["OutputValue"].as_str()?.to_owned())))
            .collect(),
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect(),
        _ => None,
    };
    pairs.ok_or_else(|| CliError::File {
        file,
        why: "expected a list of {\"OutputKey\", \"OutputValue\"} or an object of strings".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_read_in_cloudformations_form_and_as_an_object() {
        let dir = std::env::temp_dir().join(format!("avisa-cli-outputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let listed = dir.join("listed.json");
        std::fs::write(&listed, r#"[{"OutputKey": "TableName", "OutputValue": "avisa-Table-1X", "Description": "d"}]"#)
            .unwrap();
        assert_eq!(read_outputs(&listed).unwrap()["TableName"], "avisa-Table-1X");
        let object = dir.join("object.json");
        std::fs::write(&object, r#"{"TableName": "t"}"#).unwrap();
        assert_eq!(read_outputs(&object).unwrap()["TableName"], "t");
        std::fs::write(&object, r"[1, 2]").unwrap();
        assert!(read_outputs(&object).unwrap_err().to_string().contains("OutputKey"));
    }

    #[test]
    fn without_outputs_or_table_the_error_says_how_to_point_at_a_stack() {
        let stack = Stack::from_args(&StackArgs { outputs: None, table: None, stack: "avisa".into() }).unwrap();
        let error = stack.table().unwrap_err().to_string();
        assert!(error.contains("--outputs FILE") && error.contains("--table"), "{error}");
    }
}
