//! What the CLI's test files share: the binary as an operator runs it, and a local stack
//! provisioned as `make local-up` does, its outputs in a file of the test's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc, dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use avisa_local::LocalStack;

pub fn avisa(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_avisa"));
    command.args(args).env_remove("AVISA_OUTPUTS").env_remove("TABLE_NAME");
    command
}

pub fn run(args: &[&str]) -> Output {
    avisa(args).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A local stack provisioned for the samples, with its outputs in a file of this test's own.
pub async fn local(test: &str) -> (LocalStack, PathBuf) {
    let stack = LocalStack::start().await.unwrap_or_else(|e| panic!("the local stack did not start: {e}"));
    avisa_local::samples::provision(&stack).await.unwrap();
    let dir = std::env::temp_dir().join(format!("avisa-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let outputs = dir.join("outputs.json");
    avisa_local::local_up::write_outputs(&stack, &outputs).unwrap();
    (stack, outputs)
}

/// The body of a sample billing event (`events/billing-ingest/{name}.json`).
pub fn sample_body(name: &str) -> String {
    let path = avisa_local::moto::workspace_root().join(format!("events/billing-ingest/{name}.json"));
    let sqs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    sqs["Records"][0]["body"].as_str().unwrap().to_owned()
}
