//! The `avisa` binary as an operator runs it: help for every command, one way to point it at a
//! stack, tables and `--json`, errors that say what to do, a closed pipe that is no failure — and
//! its commands against the local stack (moto), as `make local-up` provisions it. The outage and
//! announcement desks' commands are in `desks.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

mod common;

use std::process::{Output, Stdio};

use avisa_local::LocalStack;
use common::{avisa, local, run, sample_body, stderr, stdout};
use serde_json::Value;

#[test]
fn every_command_has_help_and_no_command_is_an_error_with_the_list() {
    let help = run(&["--help"]);
    assert!(help.status.success(), "{}", stderr(&help));
    let commands = [
        "demo",
        "local-up",
        "rejected",
        "tenant-settings",
        "operator-token",
        "operators",
        "upstreams",
        "erase",
        "mark-subscriptions",
        "outage",
        "announcement",
        "billing-run",
        "deliveries",
        "chat",
        "redrive",
        "grants",
    ];
    for command in commands {
        assert!(stdout(&help).contains(command), "`avisa --help` lists {command}");
        let own = run(&[command, "--help"]);
        assert!(own.status.success() && stdout(&own).contains("Usage: avisa"), "`avisa {command} --help`");
    }
    for nested in [
        ["operators", "list"],
        ["upstreams", "bind"],
        ["outage", "list"],
        ["announcement", "send"],
        ["billing-run", "preview"],
        ["deliveries", "report"],
        ["chat", "ratings"],
    ] {
        let args: Vec<&str> = nested.iter().copied().chain(["--help"]).collect();
        assert!(run(&args).status.success(), "`avisa {} --help`", nested.join(" "));
    }
    let bare = run(&[]);
    assert!(!bare.status.success());
    assert!(stderr(&bare).contains("Usage: avisa"), "{}", stderr(&bare));
}

#[test]
fn without_a_stack_the_error_says_how_to_point_at_one() {
    let output = run(&["operators", "list", "--tenant", "aigues-reus"]);
    assert!(!output.status.success());
    let error = stderr(&output);
    assert!(error.contains("--outputs FILE") && error.contains("make local-up"), "{error}");
    let bad_tenant = run(&["operators", "list", "--tenant", "Not A Tenant!"]);
    assert!(stderr(&bad_tenant).contains("--tenant"), "{}", stderr(&bad_tenant));
}

#[tokio::test]
async fn operators_are_issued_listed_as_a_table_or_json_and_revoked() {
    // GIVEN the local stack's outputs
    let (_stack, outputs) = local("operators").await;
    let outputs = outputs.to_str().unwrap();
    // WHEN an operator token is issued
    let issued =
        run(&["--outputs", outputs, "operator-token", "--tenant", "aigues-reus", "--name", "Anna", "--days", "7"]);
    assert!(issued.status.success(), "{}", stderr(&issued));
    assert!(stdout(&issued).trim().starts_with("avisa_op_"));
    // THEN it is listed (with the samples' token) in a table, and in JSON without the token
    let table = run(&["--outputs", outputs, "operators", "list", "--tenant", "aigues-reus"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let table = stdout(&table);
    assert!(table.starts_with("ID") && table.contains("Anna") && table.contains("local operator"), "{table}");
    assert!(!table.contains(stdout(&issued).trim()), "the token itself is never listed");
    let json = run(&["--outputs", outputs, "--json", "operators", "list", "--tenant", "aigues-reus"]);
    let listed: Value = serde_json::from_slice(&json.stdout).unwrap();
    let anna = listed.as_array().unwrap().iter().find(|t| t["operator"]["name"] == "Anna").unwrap();
    // AND revoking it by id says so; another tenant has no such token
    let id = anna["id"].as_str().unwrap();
    let elsewhere = run(&["--outputs", outputs, "operators", "revoke", "--tenant", "ajuntament-manresa", "--id", id]);
    assert!(!elsewhere.status.success() && stderr(&elsewhere).contains("avisa operators list"));
    let revoked = run(&["--outputs", outputs, "operators", "revoke", "--tenant", "aigues-reus", "--id", id]);
    assert!(revoked.status.success() && stdout(&revoked).contains("revoked"), "{}", stderr(&revoked));
    // AND out of range days are refused before anything is stored
    let too_long =
        run(&["--outputs", outputs, "operator-token", "--tenant", "aigues-reus", "--name", "X", "--days", "400"]);
    assert!(!too_long.status.success() && stderr(&too_long).contains("--days"));
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_no_failure() {
    // GIVEN a tenant with many tokens
    let (_stack, outputs) = local("pipe").await;
    let outputs = outputs.to_str().unwrap();
    for i in 0..3 {
        let name = format!("operator {i}");
        assert!(
            run(&["--outputs", outputs, "operator-token", "--tenant", "aigues-reus", "--name", &name]).status.success()
        );
    }
    // WHEN its list goes to a reader that closed its end (`avisa … | head -0`)
    let mut child = avisa(&["--outputs", outputs, "operators", "list", "--tenant", "aigues-reus"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    // THEN avisa ends quietly: no panic, no error
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

async fn holder(stack: &LocalStack, tenant: &str, contract: &str) -> Option<avisa_domain::account::ContractHolder> {
    use avisa_domain::ports::AccountStore;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let tenant = avisa_domain::ids::TenantId::parse(tenant).unwrap();
    store.holder(&tenant, &avisa_domain::ids::ContractId::parse(contract).unwrap()).await.unwrap()
}

#[tokio::test]
async fn customers_are_imported_from_a_spreadsheet_once_and_a_bad_file_sends_nothing() {
    // GIVEN the local stack and the sample spreadsheet
    let (stack, outputs) = local("import").await;
    let outputs = outputs.to_str().unwrap();
    let sheet = avisa_local::moto::workspace_root().join("events/demo/customers.csv");
    let sheet = sheet.to_str().unwrap();
    // WHEN a spreadsheet with a bad row is imported
    let bad = std::env::temp_dir().join(format!("avisa-cli-bad-{}.csv", std::process::id()));
    let mut text = std::fs::read_to_string(sheet).unwrap();
    text.push_str("CT-0199,CU-0199,Bad Row,ca,,600 1,sms,true,false,false,Carrer 1,REUS-N1,,,false\n");
    std::fs::write(&bad, text).unwrap();
    let refused = run(&["--outputs", outputs, "customers", "import", bad.to_str().unwrap(), "--tenant", "aigues-reus"]);
    // THEN the row is named with its line and reason, and nothing at all is sent
    assert!(!refused.status.success());
    assert!(stdout(&refused).contains('5') && stdout(&refused).contains("mobile"), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("nothing was sent"), "{}", stderr(&refused));
    assert_eq!(stack.depth("BillingEventsQueue").await.unwrap(), 0);
    // WHEN the good spreadsheet is imported, twice
    for _ in 0..2 {
        let imported = run(&["--outputs", outputs, "--json", "customers", "import", sheet, "--tenant", "aigues-reus"]);
        assert!(imported.status.success(), "{}", stderr(&imported));
        assert_eq!(serde_json::from_slice::<Value>(&imported.stdout).unwrap()["sent"], 3);
    }
    let drained = stack.event_source_mapping().unwrap().drain().await.unwrap();
    // THEN each contract is a customer of the tenant, applied once
    for contract in ["CT-0101", "CT-0102", "CT-0103"] {
        assert!(holder(&stack, "aigues-reus", contract).await.is_some(), "{contract} imported");
    }
    assert_eq!(drained.of("billing-ingest").records, 6, "{drained:?}");
    assert!(avisa_local::demo::rejections(&stack, Some("aigues-reus")).await.unwrap().is_empty());
    // AND a tenant the queue may not act for is refused with the command that binds it
    let foreign = run(&["--outputs", outputs, "customers", "import", sheet, "--tenant", "ajuntament-manresa"]);
    assert!(!foreign.status.success() && stderr(&foreign).contains("avisa upstreams bind"), "{}", stderr(&foreign));
    assert!(holder(&stack, "ajuntament-manresa", "CT-0101").await.is_none());
}

/// JSON Lines: every line's object, then `{"totals": …}`.
fn json_lines(output: &Output) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> =
        stdout(output).lines().map(|line| serde_json::from_str(line).expect("one JSON object per line")).collect();
    let totals = lines.pop().expect("the totals come last")["totals"].clone();
    (lines, totals)
}

#[tokio::test]
async fn a_billing_run_is_previewed_line_by_line_with_totals_and_nothing_is_sent_or_stored() {
    // GIVEN the local stack, and a run file with a new customer and their invoice, a line for
    // another tenant, a line that is no event, and an invoice for a contract no one knows
    let (stack, outputs) = local("preview").await;
    let outputs = outputs.to_str().unwrap();
    let (customer, invoice) = (sample_body("customer-upserted"), sample_body("invoice-issued"));
    let foreign = invoice.replace("aigues-reus", "ajuntament-manresa");
    let stranger = invoice.replace("CT-0001", "CT-9999").replace("evt-", "evt-stranger-");
    // the next invoice, whose PDF was never uploaded
    let unread = invoice.replace("F-2026-110001", "F-2026-119999").replace("evt-", "evt-unread-");
    let file = std::env::temp_dir().join(format!("avisa-cli-run-{}.jsonl", std::process::id()));
    let lines = format!("{customer}\n{invoice}\n{unread}\n{foreign}\n{{\"broken\n{stranger}\n");
    std::fs::write(&file, lines).unwrap();
    let file = file.to_str().unwrap();
    // WHEN an operator previews it
    let shown = run(&["--outputs", outputs, "billing-run", "preview", file, "--tenant", "aigues-reus"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    // THEN each line says what it would do: the invoice's notice with its channels and language,
    // and every refused line with its reason
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("LINE") && rows[0].contains("CHANNELS"), "{text}");
    assert!(
        rows[2].starts_with("2 ") && rows[2].contains("invoice_available") && rows[2].contains("at once"),
        "{text}"
    );
    assert!(rows[3].starts_with("3 ") && rows[3].contains("PROBLEM email: its attachment"), "{text}");
    assert!(rows[3].contains("F-2026-119999.pdf"), "{text}");
    assert!(rows[4].contains("REFUSED") && rows[4].contains("ajuntament-manresa"), "{text}");
    assert!(rows[5].starts_with("5 ") && rows[5].contains("REFUSED"), "{text}");
    assert!(rows[6].contains("CT-9999") && rows[6].contains("unknown_contract"), "{text}");
    assert!(text.contains("6 line(s): 2 notice(s)") && text.contains("1 with a PROBLEM"), "{text}");
    assert!(text.contains("3 refused"), "{text}");
    assert!(text.contains("LANGUAGE") && text.contains("Nothing was sent or stored"), "{text}");
    // AND for scripts, one object per line and the totals
    let json = run(&["--outputs", outputs, "--json", "billing-run", "preview", file, "--tenant", "aigues-reus"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let (lines, totals) = json_lines(&json);
    assert_eq!(lines.len(), 6);
    assert_eq!((totals["notices"].as_u64(), totals["refused"].as_u64()), (Some(2), Some(3)), "{totals}");
    assert_eq!(totals["with_problems"], 1, "{totals}");
    let previewed = &lines[1]["notices"][0];
    assert_eq!(previewed["already_composed"], false);
    // AND nothing was stored or sent
    assert!(holder(&stack, "aigues-reus", "CT-0001").await.is_none());
    assert_eq!(stack.depth("BillingEventsQueue").await.unwrap(), 0);
    // WHEN the file's good lines are sent for real
    for body in [&customer, &invoice] {
        stack.send("BillingEventsQueue", body).await.unwrap();
    }
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    // THEN the notice composed is the one previewed, on the channels previewed
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let id = avisa_domain::ids::NoticeId::parse(previewed["notice_id"].as_str().unwrap()).unwrap();
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let composed = avisa_domain::ports::NoticeStore::notice(&store, &tenant, &id)
        .await
        .unwrap()
        .expect("the previewed notice was composed");
    let channels: Vec<String> = composed.messages.iter().map(|m| m.destination.channel().as_str().to_owned()).collect();
    let previewed_channels: Vec<&str> =
        previewed["channels"].as_array().unwrap().iter().map(|c| c["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, previewed_channels);
    assert_eq!(previewed["locale"], composed.locale.to_string());
    // AND previewed again, the file says its notice was sent before
    let again = run(&["--outputs", outputs, "--json", "billing-run", "preview", file, "--tenant", "aigues-reus"]);
    let (lines, totals) = json_lines(&again);
    assert_eq!(lines[1]["notices"][0]["already_composed"], true);
    assert_eq!(totals["already_composed"], 1);
}

/// The SES and SNS quotas belong to the AWS account: a run takes as long as the lower of the
/// tenant's rates and the deployment's shared ones, and the preview says so.
#[tokio::test]
async fn a_billing_runs_preview_times_the_send_within_the_deployments_shared_quotas() {
    // GIVEN a run file of a customer and 28 of their invoices (an email each; the tenant's own
    // rate is 14 emails a second)
    let (_stack, outputs) = local("shared-rates").await;
    let outputs = outputs.to_str().unwrap();
    let (customer, invoice) = (sample_body("customer-upserted"), sample_body("invoice-issued"));
    let mut lines = vec![customer];
    for n in 0..28 {
        let number = format!("F-2026-12{n:04}");
        lines.push(invoice.replace("F-2026-110001", &number).replace("evt-", &format!("evt-{n}-")));
    }
    let file = std::env::temp_dir().join(format!("avisa-cli-shared-{}.jsonl", std::process::id()));
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let file = file.to_str().unwrap();
    let preview = |shared: Option<&str>| {
        let mut command =
            avisa(&["--outputs", outputs, "--json", "billing-run", "preview", file, "--tenant", "aigues-reus"]);
        if let Some(rates) = shared {
            command.env("SHARED_SEND_RATES", rates);
        }
        let shown = command.output().unwrap();
        assert!(shown.status.success(), "{}", stderr(&shown));
        let last: Value = serde_json::from_str(stdout(&shown).lines().last().unwrap()).unwrap();
        (last["totals"]["notices"].as_u64(), last["send_seconds"].as_u64())
    };
    // WHEN it is previewed with no shared quota, THEN it takes the tenant's rate: 28 at 14/s
    assert_eq!(preview(None), (Some(28), Some(2)));
    // WHEN the deployment shares 2 emails a second among its tenants, THEN 14 s
    assert_eq!(preview(Some("email=2,sms=20")), (Some(28), Some(14)));
    // AND a shared quota above the tenant's changes nothing
    assert_eq!(preview(Some("email=100")), (Some(28), Some(2)));
}

#[tokio::test]
async fn a_delivery_report_counts_states_by_kind_and_channel_and_names_each_failure() {
    // GIVEN the sample invoice sent by email and SMS, and its email bounced since
    let (stack, outputs) = local("report").await;
    let outputs = outputs.to_str().unwrap();
    for body in [sample_body("customer-upserted"), sample_body("invoice-issued")] {
        stack.send("BillingEventsQueue", &body).await.unwrap();
    }
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let listed =
        run(&["--outputs", outputs, "--json", "deliveries", "report", "--tenant", "aigues-reus", "--since", &today]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let before: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(before["notices"], 1, "{before}");
    assert!(before["failures"].as_array().unwrap().is_empty(), "{before}");
    let notice_id = avisa_domain::ids::NoticeId::parse(
        &avisa_domain::deliveries::DeliveryLedger::notices_of_day(&store, &tenant, today.parse().unwrap())
            .await
            .unwrap()[0]
            .notice_id
            .to_string(),
    )
    .unwrap();
    let key = avisa_domain::ports::ClaimKey::Delivery {
        tenant_id: tenant.clone(),
        notice_id,
        channel: avisa_domain::channel::Channel::Email,
    };
    let bounced = avisa_domain::ports::DeliveryStatus::Bounced;
    avisa_domain::ports::DeliveryRecords::record_status(&store, &key, bounced, "mailbox full", jiff::Timestamp::now())
        .await
        .unwrap();
    // WHEN an operator asks for the report of today
    let report = run(&["--outputs", outputs, "deliveries", "report", "--tenant", "aigues-reus", "--since", &today]);
    assert!(report.status.success(), "{}", stderr(&report));
    let text = stdout(&report);
    // THEN each kind and channel has its deliveries by state, and the bounce is named with why
    let email = text.lines().find(|l| l.starts_with("invoice_available") && l.contains("email")).expect(&text);
    let sms = text.lines().find(|l| l.starts_with("invoice_available") && l.contains("sms")).expect(&text);
    assert!(text.lines().next().unwrap().contains("BOUNCED") && email.ends_with('1'), "{text}");
    assert!(sms.contains(" 1"), "{text}");
    assert!(text.contains("mailbox full") && text.contains("1 delivery failure(s)"), "{text}");
    assert!(!text.contains('@') && !text.contains("+34"), "no address in a report: {text}");
    // AND as CSV, one row per delivery for a spreadsheet
    let csv =
        run(&["--outputs", outputs, "deliveries", "report", "--tenant", "aigues-reus", "--since", &today, "--csv"]);
    let csv = stdout(&csv);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "created_at,notice_id,contract_id,kind,channel,state,reason");
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows.iter().any(|r| r.ends_with(",email,bounced,mailbox full")), "{csv}");
    // AND another tenant's report has none of it; a range too long says what to do
    let theirs = run(&[
        "--outputs",
        outputs,
        "--json",
        "deliveries",
        "report",
        "--tenant",
        "ajuntament-manresa",
        "--since",
        &today,
    ]);
    assert_eq!(serde_json::from_slice::<Value>(&theirs.stdout).unwrap()["notices"], 0);
    let long = run(&["--outputs", outputs, "deliveries", "report", "--tenant", "aigues-reus", "--since", "2026-01-01"]);
    assert!(!long.status.success() && stderr(&long).contains("once per quarter"), "{}", stderr(&long));
}

#[tokio::test]
async fn a_billing_run_is_submitted_after_its_check_and_watched_until_each_notice_is_sent() {
    // GIVEN the local stack and a run file with a refused line
    let (stack, outputs) = local("submit").await;
    let outputs = outputs.to_str().unwrap();
    let (customer, invoice) = (sample_body("customer-upserted"), sample_body("invoice-issued"));
    let stranger = invoice.replace("CT-0001", "CT-9999").replace("evt-", "evt-stranger-");
    let dir = std::env::temp_dir().join(format!("avisa-cli-submit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, format!("{customer}\n{invoice}\n{stranger}\n")).unwrap();
    // WHEN it is submitted
    let refused =
        run(&["--outputs", outputs, "billing-run", "submit", bad.to_str().unwrap(), "--tenant", "aigues-reus"]);
    // THEN the refused line is named, and nothing at all is sent
    assert!(!refused.status.success());
    assert!(
        stdout(&refused).contains("CT-9999") && stdout(&refused).contains("unknown_contract"),
        "{}",
        stdout(&refused)
    );
    assert!(stderr(&refused).contains("nothing was sent"), "{}", stderr(&refused));
    assert_eq!(stack.depth("BillingEventsQueue").await.unwrap(), 0);
    // WHEN the corrected file is submitted while the functions run (as on AWS)
    let good = dir.join("good.jsonl");
    // the next invoice, due well ahead: its pre-notice waits for its schedule
    let scheduled = sample_body("invoice-scheduled")
        .replace("F-2026-110001", "F-2099-010001")
        .replace("2026-11-20", "2099-01-20")
        .replace("2026-12-01", "2099-02-01");
    std::fs::write(&good, format!("{customer}\n{invoice}\n{scheduled}\n")).unwrap();
    let good = good.to_str().unwrap();
    let child =
        avisa(&["--outputs", outputs, "billing-run", "submit", good, "--tenant", "aigues-reus", "--wait", "120"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    let mapping = stack.event_source_mapping().unwrap();
    while !waiting.is_finished() {
        mapping.drain().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let submitted = waiting.await.unwrap().unwrap();
    // THEN it waits until the invoice's notice is sent by email and SMS, and sums up
    assert!(submitted.status.success(), "{}", stderr(&submitted));
    let text = stdout(&submitted);
    assert!(text.lines().any(|l| l.starts_with("invoice_available") && l.contains("email")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("invoice_available") && l.contains("sms")), "{text}");
    assert!(
        text.contains("3 line(s) sent; 1 notice(s) sent or failed (0 failure(s)), 1 waiting for their time"),
        "{text}"
    );
    // AND submitted again, it sends nothing twice
    let again =
        run(&["--outputs", outputs, "--json", "billing-run", "submit", good, "--tenant", "aigues-reus", "--wait", "0"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((again["sent_before"].as_u64(), again["notices"]["notices"].as_u64()), (Some(1), Some(0)), "{again}");
    mapping.drain().await.unwrap();
    let sms = stack.moto().sent().unwrap().sms;
    assert_eq!(sms.len(), 1, "one SMS for the invoice, not two: {sms:?}");
}
