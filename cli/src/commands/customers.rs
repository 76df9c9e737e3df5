//! `avisa customers import`: a spreadsheet of customers sent as their upstream would send them,
//! on the billing-events queue, once every row has passed the contract.

use std::io::{IsTerminal, Write};
use std::path::Path;

use avisa_domain::ids::TenantId;
use avisa_domain::ports::Upstreams;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};

use crate::error::CliError;
use crate::import;
use crate::output::Output;
use crate::stack::Stack;

const QUEUE_OUTPUT: &str = "BillingEventsQueueUrl";

pub async fn import(stack: &Stack, file: &Path, tenant: &TenantId, dry_run: bool, out: Output) -> Result<(), CliError> {
    let name = file.display().to_string();
    let opened = std::fs::File::open(file).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
    let events = match import::read(opened, tenant, jiff::Timestamp::now()) {
        Ok(events) => events,
        Err(refused) => {
            let rows = refused.iter().map(|r| vec![r.line.to_string(), r.reason.clone()]).collect();
            out.table(&["line", "refused because"], rows, &serde_json::json!({"sent": 0, "refused": refused}))?;
            return Err(CliError::refused(format!(
                "{name}: {} row(s) refused, so nothing was sent; correct them and import the file again",
                refused.len()
            )));
        }
    };
    if dry_run {
        return out.said(
            &format!("{name}: {} customer(s) pass the contract; nothing sent (--dry-run)", events.len()),
            &serde_json::json!({"checked": events.len(), "sent": 0}),
        );
    }
    let queue_url = stack
        .output(QUEUE_OUTPUT)
        .ok_or_else(|| CliError::NoStack { also: format!(" with the output {QUEUE_OUTPUT}") })?;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let queue_arn = queue_arn(&sqs, queue_url).await?;
    if !stack.store().await?.tenants_of(&queue_arn).await?.contains(tenant) {
        return Err(CliError::refused(format!(
            "the billing-events queue may not act for {tenant}, so billing-ingest would refuse every row: \
             `avisa upstreams bind --queue {queue_arn} --tenant {tenant}` first"
        )));
    }
    let progress = std::io::stderr().is_terminal();
    for (sent, chunk) in events.chunks(10).enumerate() {
        send(&sqs, queue_url, chunk).await?;
        if progress {
            let _ = write!(std::io::stderr(), "\rsent {} of {}", sent * 10 + chunk.len(), events.len());
        }
    }
    if progress {
        crate::output::note("");
    }
    out.said(
        &format!(
            "{} customer(s) of {tenant} sent to billing-ingest; they are applied within seconds \
             (`avisa rejected --tenant {tenant}` lists any it refuses)",
            events.len()
        ),
        &serde_json::json!({"sent": events.len(), "contracts": events.iter().map(|e| &e.contract_id).collect::<Vec<_>>()}),
    )
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, CliError> {
    let attributes =
        sqs.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await.map_err(
            |e| {
                CliError::refused(format!(
                    "SQS GetQueueAttributes on {url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                ))
            },
        )?;
    attributes
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| CliError::refused(format!("{url} has no ARN: is it the stack's BillingEventsQueue?")))
}

async fn send(sqs: &aws_sdk_sqs::Client, url: &str, chunk: &[import::Imported]) -> Result<(), CliError> {
    let entries = chunk
        .iter()
        .map(|e| SendMessageBatchRequestEntry::builder().id(format!("line-{}", e.line)).message_body(&e.body).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::refused(e.to_string()))?;
    let answer = sqs.send_message_batch().queue_url(url).set_entries(Some(entries)).send().await.map_err(|e| {
        CliError::refused(format!(
            "SQS SendMessageBatch: {}; importing the file again sends only what is missing",
            aws_sdk_sqs::error::DisplayErrorContext(e)
        ))
    })?;
    if let Some(failed) = answer.failed.first() {
        return Err(CliError::refused(format!(
            "SQS refused {} ({}); importing the file again applies nothing twice",
            failed.id,
            failed.message.as_deref().unwrap_or(&failed.code)
        )));
    }
    Ok(())
}
