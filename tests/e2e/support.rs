use avisa_local::LocalStack;
use avisa_local::moto::workspace_root;

/// A fresh local stack; panics with the actionable reason when it cannot start.
/// The invoice PDF of the samples is in upstream's bucket, as it would be.
/// The functions' warnings and errors go to the test's output (shown when it fails); `RUST_LOG`
/// shows more.
pub async fn stack() -> LocalStack {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _already_set = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    match LocalStack::start().await {
        Ok(stack) => {
            stack.put_invoice_pdfs([sample_body("events/billing-ingest/invoice-issued.json").as_str()]).await.unwrap();
            stack
        }
        Err(error) => {
            let chain: Vec<String> = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
                .map(ToString::to_string)
                .collect();
            panic!("the local stack did not start: {}", chain.join(": "))
        }
    }
}

/// The message body of a sample SQS event under `events/`.
pub fn sample_body(relative: &str) -> String {
    let path = workspace_root().join(relative);
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sample exists")).expect("sample is JSON");
    event["Records"][0]["body"].as_str().expect("sample has a body").to_owned()
}

/// Sends each body to the billing-events queue, then runs the functions until the queues are empty.
pub async fn ingest(stack: &LocalStack, bodies: &[String]) {
    for body in bodies {
        stack.send("BillingEventsQueue", body).await.unwrap();
    }
    stack.event_source_mapping().unwrap().drain().await.unwrap();
}

/// Every item in the table.
pub async fn every_item(
    stack: &LocalStack,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    aws_sdk_dynamodb::Client::new(&stack.sdk)
        .scan()
        .table_name("avisa-Table")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
}
