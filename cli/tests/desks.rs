//! The outage and announcement desks' commands against the local stack (moto), as a planner runs
//! them: from the stack's outputs alone, tables and `--json`, progress watched to the end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

mod common;

use std::process::Stdio;

use common::{avisa, local, run, sample_body, stderr, stdout};
use serde_json::Value;

#[tokio::test]
async fn outages_are_planned_and_listed_from_the_stacks_outputs_alone() {
    // GIVEN the local stack's outputs and the sample plan's body in a file
    let (stack, outputs) = local("outages").await;
    let customer = std::fs::read_to_string(
        avisa_local::moto::workspace_root().join("events/billing-ingest/customer-upserted.json"),
    )
    .unwrap();
    let customer: Value = serde_json::from_str(&customer).unwrap();
    stack.send("BillingEventsQueue", customer["Records"][0]["body"].as_str().unwrap()).await.unwrap();
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let sample =
        std::fs::read_to_string(avisa_local::moto::workspace_root().join("events/outage-scheduler/plan-outage.json"))
            .unwrap();
    let sample: Value = serde_json::from_str(&sample).unwrap();
    let plan = outputs.with_file_name("plan.json");
    std::fs::write(&plan, sample["body"].as_str().unwrap()).unwrap();
    let (outputs, plan) = (outputs.to_str().unwrap(), plan.to_str().unwrap());
    // and a neighbour's subscription to the contract's alerts, made before subscriptions were
    // marked on their contract
    let table = stack.provisioned.tables["Table"].clone();
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &table);
    let contract_id = avisa_domain::ids::ContractId::parse("CT-0001").unwrap();
    let tenant_id = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let mobile = avisa_domain::contact::PhoneE164::parse("+34699000111").unwrap();
    let subscription = avisa_domain::outage::AlertSubscription {
        subscriber_id: avisa_domain::outage::AlertSubscription::derive_id(
            &tenant_id,
            &contract_id,
            Some(&mobile),
            None,
        ),
        tenant_id,
        contract_id,
        name: None,
        mobile: Some(mobile),
        email: None,
        language: avisa_domain::contact::Locale::It,
        subscribed_at: jiff::Timestamp::now(),
    };
    avisa_domain::outage::ports::AlertSubscriptions::subscribe(&store, &subscription).await.unwrap();
    let holder = aws_sdk_dynamodb::types::AttributeValue::S("T#aigues-reus#CONTRACT#CT-0001".to_owned());
    let account = aws_sdk_dynamodb::types::AttributeValue::S("ACCOUNT".to_owned());
    let unmark = aws_sdk_dynamodb::Client::new(&stack.sdk).update_item().table_name(&table).key("pk", holder);
    unmark.key("sk", account).update_expression("REMOVE alert_subscribers").send().await.unwrap();
    // WHEN a planner plans it with nothing but --outputs (no environment variables)
    let planned =
        run(&["--outputs", outputs, "--json", "outage", "--tenant", "aigues-reus", "--as", "Anna", "plan", plan]);
    assert!(planned.status.success(), "{}", stderr(&planned));
    let planned: Value = serde_json::from_slice(&planned.stdout).unwrap();
    assert_eq!(
        (planned["dry_run"]["contracts"].as_u64(), planned["dry_run"]["subscribers"].as_u64()),
        (Some(1), Some(0))
    );
    let id = planned["outage"]["outage_id"].as_str().unwrap();
    // THEN the unmarked subscriber is not in its audience until the subscriptions are marked, once
    let marked = run(&["--outputs", outputs, "mark-subscriptions"]);
    assert!(marked.status.success(), "{}", stderr(&marked));
    assert_eq!(stdout(&marked), "1 outage alert subscriptions marked on their contracts\n");
    // AND a person reads its dry run in sentences, the subscriber counted now
    let shown = run(&["--outputs", outputs, "outage", "--tenant", "aigues-reus", "--as", "Anna", "show", id]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let shown = stdout(&shown);
    assert!(shown.contains(&format!("outage {id}  planned  interruption")), "{shown}");
    assert!(
        shown.contains("reaches 2 recipient(s): 1 contract(s), 1 subscriber(s)")
            && shown.contains("SMS in ca, to 1 recipient(s)")
            && shown.contains("SMS in it, to 1 recipient(s)"),
        "{shown}"
    );
    // THEN it is in the tenant's list, as a table and as JSON
    let table = run(&["--outputs", outputs, "outage", "--tenant", "aigues-reus", "--as", "Anna", "list"]);
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(stdout(&table).contains(id) && stdout(&table).contains("planned"), "{}", stdout(&table));
    let json = run(&["--outputs", outputs, "--json", "outage", "--tenant", "aigues-reus", "--as", "Anna", "list"]);
    let listed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(listed[0]["outage_id"], id);
    // AND another tenant's list does not show it; a plan for another tenant is refused with why
    let theirs =
        run(&["--outputs", outputs, "--json", "outage", "--tenant", "ajuntament-manresa", "--as", "X", "list"]);
    assert_eq!(serde_json::from_slice::<Value>(&theirs.stdout).unwrap(), serde_json::json!([]));
    let foreign = run(&["--outputs", outputs, "outage", "--tenant", "ajuntament-manresa", "--as", "X", "plan", plan]);
    assert!(!foreign.status.success() && stderr(&foreign).contains("not ajuntament-manresa"), "{}", stderr(&foreign));
}

#[tokio::test]
async fn an_announcement_is_sent_to_a_file_of_contracts_and_watched_until_everyone_is_told() {
    // GIVEN the local stack with Maria's contract, the sample texts, and a file naming her twice
    // and a contract nobody has
    let (stack, outputs) = local("announce").await;
    let outputs = outputs.to_str().unwrap();
    stack.send("BillingEventsQueue", &sample_body("customer-upserted")).await.unwrap();
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let texts = avisa_local::moto::workspace_root().join("events/outage-scheduler/announcement-texts.json");
    let dir = std::env::temp_dir().join(format!("avisa-cli-announce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let contracts = dir.join("contracts.txt");
    std::fs::write(&contracts, "# the new SMS service\nCT-0001\nCT-0001\nCT-9999\n").unwrap();
    let announce = ["--outputs", outputs, "announcement", "--tenant", "aigues-reus", "--as", "Anna", "send"];
    let file_args = ["--id", "new-sms", "--texts", texts.to_str().unwrap(), contracts.to_str().unwrap()];
    // WHEN a planner first tries it dry
    let args: Vec<&str> = announce.iter().chain(&file_args).copied().chain(["--dry-run"]).collect();
    let dry = run(&args);
    // THEN it says what sending it would be, and how long it can take, and sends nothing
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("announcement new-sms would go to 2 contract(s) in 1 chunk(s) (1 named more than once"),
        "{text}"
    );
    assert!(text.contains("sending it takes at most about 1 s") && text.contains("nothing was sent"), "{text}");
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 0);
    // WHEN a planner sends it and watches, while the functions run (as on AWS)
    let args: Vec<&str> = announce.iter().chain(&file_args).copied().chain(["--watch"]).collect();
    let child = avisa(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    let mapping = stack.event_source_mapping().unwrap();
    while !waiting.is_finished() {
        mapping.drain().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let watched = waiting.await.unwrap().unwrap();
    // THEN it says what it queued and follows the send until it has finished: Maria told once,
    // the unknown contract named with its reason
    assert!(watched.status.success(), "{}", stderr(&watched));
    let text = stdout(&watched);
    println!("{text}");
    assert!(
        text.contains("announcement new-sms queued: 2 contract(s) in 1 chunk(s) (1 named more than once"),
        "{text}"
    );
    assert!(text.contains("unknown_contract 1") && text.contains("finished"), "{text}");
    let sent = stack.moto().sent().unwrap();
    assert_eq!(sent.emails.len() + sent.sms.len(), 1, "{sent:?}");
    // WHEN it is sent again THEN it is that send, and nobody is told twice
    let args: Vec<&str> = announce.iter().chain(&file_args).copied().collect();
    let again = run(&args);
    assert!(again.status.success() && stdout(&again).contains("was sent before"), "{}", stdout(&again));
    let args: Vec<&str> = announce.iter().chain(&file_args).copied().chain(["--dry-run"]).collect();
    let dry = run(&args);
    assert!(stdout(&dry).contains("sending it again is that send"), "{}", stdout(&dry));
    mapping.drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert_eq!(sent.emails.len() + sent.sms.len(), 1);
    // AND its status reads as JSON; another tenant has no such announcement
    let status = run(&[
        "--outputs",
        outputs,
        "--json",
        "announcement",
        "--tenant",
        "aigues-reus",
        "--as",
        "A",
        "status",
        "new-sms",
    ]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(status["send"]["finished_at"].is_string(), "{status}");
    let theirs =
        run(&["--outputs", outputs, "announcement", "--tenant", "aigues-lleida", "--as", "A", "status", "new-sms"]);
    assert!(!theirs.status.success() && stderr(&theirs).contains("not known"), "{}", stderr(&theirs));
}
