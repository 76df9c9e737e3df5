//! The HTTP functions answer as `events/schema/http-api.openapi.yaml` says: schemathesis (pinned in
//! requirements-dev.txt) generates requests from the document — valid and invalid — against each
//! real function binary behind a local function URL, on the stack as `make local-up` provisions it,
//! and fails on any 5xx, any undocumented status, and any response its schema does not describe.

use std::path::PathBuf;
use std::sync::Arc;

use avisa_local::function_url::FunctionUrl;
use avisa_local::moto::workspace_root;
use avisa_local::samples::{self, SAMPLE_OPERATOR_TOKEN};

use crate::support::stack;

/// Examples per operation and phase: enough to reach every documented status, bounded in time.
const MAX_EXAMPLES: &str = "12";
const SEED: &str = "20261202";

fn schemathesis() -> PathBuf {
    let path =
        std::env::var_os("SCHEMATHESIS").map_or_else(|| workspace_root().join(".venv/bin/schemathesis"), PathBuf::from);
    assert!(
        path.is_file(),
        "schemathesis was not found at {}: install the dev tools with `make venv` \
         (pip install -r requirements-dev.txt into .venv), or set SCHEMATHESIS to its binary",
        path.display()
    );
    path
}

/// `phases`: schemathesis's; the stateful one follows the document's links (outages, complaints).
async fn holds_to_the_document(function: &str, phases: &str) {
    // GIVEN the local stack as `make local-up` provisions it, with every sample invoked (a
    // customer, a conversation, an incident, a complaint, outages), and the function's real binary
    // behind a function URL
    let stack = stack().await;
    samples::provision(&stack).await.unwrap();
    let (mut processes, wrong) = crate::samples::invoke_every_sample(&stack).await;
    assert!(wrong.is_empty(), "the samples do not do what they say: {wrong:?}");
    let process = processes.remove(function).unwrap_or_else(|| panic!("no sample invoked {function}"));
    let url = FunctionUrl::start(Arc::new(process)).unwrap();
    // WHEN schemathesis sends what the document allows, and what it does not
    let workdir = std::env::temp_dir().join(format!("avisa-schemathesis-{function}-{}", std::process::id()));
    std::fs::create_dir_all(&workdir).unwrap();
    let document = workspace_root().join("events/schema/http-api.openapi.yaml");
    let mut command = std::process::Command::new(schemathesis());
    command
        .current_dir(&workdir)
        .args(["run", document.to_str().unwrap(), "--url", url.url(), "--include-tag", function])
        .args(["--header", &format!("Authorization: Bearer {SAMPLE_OPERATOR_TOKEN}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "1", "--request-timeout", "60"])
        .args(["--phases", phases, "--generation-database", "none", "--no-color"]);
    // The function answers on other threads; this one only waits for schemathesis.
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    // THEN every answer is one the document describes
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found answers of {function} that events/schema/http-api.openapi.yaml does not describe:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "schemathesis ran no test case for {function}:\n{report}");
    println!("{report}"); // shown with --no-capture: what was tested, and schemathesis's warnings
}

#[tokio::test]
async fn the_outage_api_answers_as_its_document_says() {
    holds_to_the_document("outage-scheduler", "examples,coverage,fuzzing,stateful").await;
}

#[tokio::test]
async fn the_staff_api_answers_as_its_document_says() {
    holds_to_the_document("chat-desk", "examples,coverage,fuzzing,stateful").await;
}

#[tokio::test]
async fn the_whatsapp_webhook_answers_as_its_document_says() {
    // Meta signs every POST with the app secret, which schemathesis cannot: it proves the refusals.
    holds_to_the_document("chat-webhook", "examples,coverage,fuzzing").await;
}
