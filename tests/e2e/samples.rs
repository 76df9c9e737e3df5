//! Every file under `events/` does what `events/samples.toml` says, invoked as a developer does
//! with cargo-lambda: the real function binary (`target/debug/<function>`) polling a Lambda
//! Runtime API, against the local stack as `make local-up` provisions it, each of its AWS calls
//! checked against the function's role in the template.

use std::collections::BTreeMap;

use avisa_local::LocalStack;
use avisa_local::runtime_api::{Answer, FunctionProcess};
use avisa_local::samples::{self, Outcome, Sample};
use avisa_local::stack::DEMO_TENANT;

use crate::support::stack;

#[test]
fn every_sample_file_declares_its_outcome_and_every_declared_sample_exists() {
    // GIVEN the files under events/ and the manifest
    let files = samples::sample_files().unwrap();
    let declared: Vec<String> = samples::manifest().unwrap().into_iter().map(|s| s.file).collect();
    // THEN each file has exactly one outcome, and each outcome names a file
    let undeclared: Vec<&String> = files.iter().filter(|f| !declared.contains(f)).collect();
    assert!(undeclared.is_empty(), "declare what these samples do in {}: {undeclared:?}", samples::MANIFEST);
    let missing: Vec<&String> = declared.iter().filter(|d| !files.contains(d)).collect();
    assert!(missing.is_empty(), "{} names files that are not under events/: {missing:?}", samples::MANIFEST);
    let mut seen = std::collections::BTreeSet::new();
    let twice: Vec<&String> = declared.iter().filter(|d| !seen.insert(*d)).collect();
    assert!(twice.is_empty(), "{} declares these twice: {twice:?}", samples::MANIFEST);
}

#[tokio::test]
async fn every_sample_does_what_the_manifest_says_through_the_real_binaries() {
    // GIVEN the local stack as `make local-up` provisions it
    let stack = stack().await;
    samples::provision(&stack).await.unwrap();
    // WHEN each sample is invoked, in the manifest's order, through its function's binary
    let (processes, wrong) = invoke_every_sample(&stack).await;
    drop(processes);
    // THEN each does what the manifest says
    assert!(wrong.is_empty(), "samples that do not do what {} says:\n  {}", samples::MANIFEST, wrong.join("\n  "));
    // AND the invoice email the dispatcher sample sends reached SES once, for the sample customer
    let emails = stack.moto().sent().unwrap().emails;
    let to_maria = emails.iter().filter(|e| e.destinations.to.iter().any(|to| to == "maria.puig@example.cat")).count();
    assert_eq!(to_maria, 1, "the invoice email of events/notice-dispatcher/email-delivery.json, once");
}

/// Invokes every sample in the manifest's order, each through its function's real binary running
/// against a Runtime API of its own; the processes (still running), and what did not do what the
/// manifest says.
pub(crate) async fn invoke_every_sample(stack: &LocalStack) -> (BTreeMap<String, FunctionProcess>, Vec<String>) {
    let mut processes: BTreeMap<String, FunctionProcess> = BTreeMap::new();
    let mut wrong = Vec::new();
    for sample in &samples::manifest().unwrap() {
        if let Outcome::Data { .. } = sample.outcome {
            if let Err(why) = parses_as_its_reader_reads_it(sample) {
                wrong.push(format!("{}: {why}", sample.file));
            }
            continue;
        }
        let function = sample.function().to_owned();
        if !processes.contains_key(&function) {
            let spec = stack.function(&function).unwrap_or_else(|| panic!("{}: no function {function}", sample.file));
            let started = FunctionProcess::start(spec, stack.proxy().endpoint());
            processes.insert(function.clone(), started.unwrap_or_else(|e| panic!("{e}")));
        }
        let rejections_before = avisa_local::demo::rejections(stack, Some(DEMO_TENANT)).await.unwrap();
        let answer = match processes[&function].invoke(&sample.event().unwrap()).await {
            Ok(answer) => answer,
            Err(error) => {
                wrong.push(format!("{}: {error}", sample.file));
                continue;
            }
        };
        // The new ones, whatever their order (rejections within a second may not sort by time).
        let mut new_rejections = avisa_local::demo::rejections(stack, Some(DEMO_TENANT)).await.unwrap();
        for old in &rejections_before {
            if let Some(i) = new_rejections.iter().position(|r| r == old) {
                new_rejections.remove(i);
            }
        }
        if let Err(why) = judge(&sample.outcome, &answer, &new_rejections) {
            wrong.push(format!("{} ({}): {why}", sample.file, what(sample)));
        }
    }
    (processes, wrong)
}

fn what(sample: &Sample) -> &str {
    match &sample.outcome {
        Outcome::Done { what }
        | Outcome::Rejected { what, .. }
        | Outcome::Answered { what, .. }
        | Outcome::Returned { what, .. }
        | Outcome::Data { what, .. } => what,
    }
}

fn judge(outcome: &Outcome, answer: &Answer, new_rejections: &[String]) -> Result<(), String> {
    let output = match answer {
        Answer::Response(output) => output,
        Answer::Error { error_type, error_message } => {
            return Err(format!("the function failed: {error_type}: {error_message}"));
        }
    };
    let failures = || output["batchItemFailures"].as_array().map_or(0, Vec::len);
    match outcome {
        Outcome::Done { .. } if failures() > 0 => Err(format!("records failed, to be retried: {output}")),
        Outcome::Done { .. } if !new_rejections.is_empty() => Err(format!("rejected: {new_rejections:?}")),
        Outcome::Rejected { code, .. } if failures() > 0 => {
            Err(format!("retried instead of rejected {code}: {output}"))
        }
        Outcome::Rejected { code, .. } if !new_rejections.iter().any(|r| r.starts_with(&format!("{code}:"))) => {
            Err(format!("not rejected with {code}; rejections recorded: {new_rejections:?}"))
        }
        Outcome::Answered { status, says, .. } => {
            let body = output["body"].as_str().unwrap_or_default();
            if output["statusCode"].as_u64() != Some(u64::from(*status)) {
                return Err(format!("answered {} instead of {status}: {body}", output["statusCode"]));
            }
            match says {
                Some(says) if !body.contains(says.as_str()) => Err(format!("the answer does not say {says:?}: {body}")),
                _ => Ok(()),
            }
        }
        Outcome::Returned { says, .. } if !output.to_string().contains(says.as_str()) => {
            Err(format!("the answer does not say {says:?}: {output}"))
        }
        Outcome::Done { .. } | Outcome::Rejected { .. } | Outcome::Returned { .. } | Outcome::Data { .. } => Ok(()),
    }
}

/// A data file parses as the command that reads it parses it.
fn parses_as_its_reader_reads_it(sample: &Sample) -> Result<(), String> {
    if std::path::Path::new(&sample.file).extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        // `avisa customers import` checks every row against the contract (cli/tests/cli.rs imports
        // this file); here, that it has the contract's columns.
        let path = avisa_local::moto::workspace_root().join("events").join(&sample.file);
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let header = text.lines().next().unwrap_or_default();
        let required = ["contract_id", "customer_id", "name", "service_consent", "address", "network_sector"];
        return match required.iter().find(|c| !header.split(',').any(|h| h == **c)) {
            Some(missing) => Err(format!("its header lacks {missing}")),
            None => Ok(()),
        };
    }
    if std::path::Path::new(&sample.file).extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl")) {
        // A run file for `avisa billing-run`: one event per line (cli/tests/cli.rs previews and
        // submits such files); here, that each line is an event the contract accepts.
        let path = avisa_local::moto::workspace_root().join("events").join(&sample.file);
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        for (number, line) in (1..).zip(text.lines()).filter(|(_, l)| !l.trim().is_empty()) {
            avisa_domain::billing::BillingEvent::parse(line).map_err(|e| format!("line {number} is refused: {e:?}"))?;
        }
        return Ok(());
    }
    let event = sample.event().map_err(|e| e.to_string())?;
    if sample.file.ends_with("announcement-texts.json") {
        // `avisa announcement send --texts`: the texts by language.
        let texts: BTreeMap<avisa_domain::contact::Locale, avisa_domain::announcements::AnnouncementText> =
            serde_json::from_value(event).map_err(|e| format!("not an announcement's texts: {e}"))?;
        return if texts.is_empty() { Err("no text".into()) } else { Ok(()) };
    }
    if sample.file.ends_with("tenant.json") {
        let settings: avisa_domain::tenant::TenantSettings =
            serde_json::from_value(event).map_err(|e| format!("not tenant settings: {e}"))?;
        return settings.check().map_err(|e| format!("unusable tenant settings: {e}"));
    }
    let events = event.as_array().ok_or("not a JSON array of billing events")?;
    for (i, event) in events.iter().enumerate() {
        avisa_domain::billing::BillingEvent::parse(&event.to_string())
            .map_err(|e| format!("event {i} is refused: {e:?}"))?;
    }
    Ok(())
}

#[test]
fn a_missing_binary_is_reported_with_how_to_build_it() {
    let error = avisa_local::runtime_api::binary_path("no-such-function").unwrap_err().to_string();
    assert!(error.contains("cargo build --workspace --bins --tests"), "{error}");
}

/// The samples' outcomes are the ones their functions really give: a wrong declaration fails.
#[test]
fn a_declaration_that_does_not_match_the_answer_is_reported() {
    let answered = Answer::Response(serde_json::json!({"statusCode": 401, "body": "{\"error\":\"Bearer token\"}"}));
    let expected = Outcome::Answered { what: String::new(), status: 200, says: None };
    assert!(judge(&expected, &answered, &[]).unwrap_err().contains("401"));
    let batch = Answer::Response(serde_json::json!({"batchItemFailures": []}));
    let rejected = Outcome::Rejected { what: String::new(), code: "invalid_field".into() };
    assert!(judge(&rejected, &batch, &[]).is_err());
    assert!(judge(&rejected, &batch, &["invalid_field: mobile".into()]).is_ok());
    let done = Outcome::Done { what: String::new() };
    assert!(judge(&done, &batch, &["invalid_field: mobile".into()]).is_err());
}

/// A function whose process dies (here: a binary that is no function at all, the CLI, which exits
/// asking for a command) is reported at once with how it ended, not after the invocation timeout.
#[tokio::test]
async fn a_function_process_that_exits_is_reported_at_once() {
    let spec = avisa_local::functions::FunctionSpec {
        logical_id: "NotAFunction".into(),
        binary: "avisa".into(),
        env: std::collections::HashMap::new(),
        sqs_sources: Vec::new(),
        timeout_seconds: 3,
    };
    let process = FunctionProcess::start(&spec, "http://127.0.0.1:9").unwrap();
    let error = process.invoke(&serde_json::json!({})).await.unwrap_err();
    // Not `TimedOut`: the exit is seen while waiting.
    assert!(matches!(error, avisa_local::runtime_api::InvokeError::Exited(_)), "{error}");
}
