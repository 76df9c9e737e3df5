//! The deployment's billing-events queue, as an upstream sends on it: what `customers import` and
//! `billing-run submit` put their lines on, once the queue is bound to the tenant.

use avisa_domain::ids::TenantId;
use avisa_domain::ports::Upstreams;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};

use crate::error::CliError;
use crate::stack::Stack;

const QUEUE_OUTPUT: &str = "BillingEventsQueueUrl";

#[derive(Debug)]
pub struct BillingEvents {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl BillingEvents {
    /// The queue, once it is known to act for `tenant` (billing-ingest would refuse every line else).
    pub async fn bound_to(stack: &Stack, tenant: &TenantId) -> Result<Self, CliError> {
        let url = stack
            .output(QUEUE_OUTPUT)
            .ok_or_else(|| CliError::NoStack { also: format!(" with the output {QUEUE_OUTPUT}") })?
            .to_owned();
        let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
        let queue_arn = queue_arn(&sqs, &url).await?;
        if !stack.store().await?.tenants_of(&queue_arn).await?.contains(tenant) {
            return Err(CliError::refused(format!(
                "the billing-events queue may not act for {tenant}, so billing-ingest would refuse every line: \
                 `avisa upstreams bind --queue {queue_arn} --tenant {tenant}` first"
            )));
        }
        Ok(Self { sqs, url })
    }

    /// Up to ten (line, body) pairs in one request; all of them, or an error that says so.
    pub async fn send<'a>(&self, lines: impl Iterator<Item = (u64, &'a str)>) -> Result<(), CliError> {
        let entries = lines
            .map(|(line, body)| {
                SendMessageBatchRequestEntry::builder().id(format!("line-{line}")).message_body(body).build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CliError::refused(e.to_string()))?;
        let answer =
            self.sqs.send_message_batch().queue_url(&self.url).set_entries(Some(entries)).send().await.map_err(
                |e| {
                    CliError::refused(format!(
                        "SQS SendMessageBatch: {}; sending the file again applies nothing twice",
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    ))
                },
            )?;
        if let Some(failed) = answer.failed.first() {
            return Err(CliError::refused(format!(
                "SQS refused {} ({}); sending the file again applies nothing twice",
                failed.id,
                failed.message.as_deref().unwrap_or(&failed.code)
            )));
        }
        Ok(())
    }
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
