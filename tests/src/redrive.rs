//! After its cause is fixed, what failed is sent again: rejected messages that a fix can save
//! (an invoice whose customer has arrived since, a notice whose template was mended, a delivery
//! the provider refused) and dead letters, by tenant and time range — counted, so the operator is
//! told how many went.

use std::collections::BTreeMap;
use std::fmt;

use avisa_domain::ids::TenantId;
use avisa_domain::ports::{RejectedMessage, RejectionLog};
use avisa_domain::queues::DeliveryJob;
use jiff::Timestamp;

use crate::LocalError;
use crate::dead_letters::{self, DeadLetter};
use crate::error::sdk_error;

/// Each dead-letter queue, and the queue its messages go back to (logical ids of the template).
pub const DEAD_LETTER_QUEUES: [(&str, &str); 5] = [
    ("BillingEventsDlq", "BillingEventsQueue"),
    ("ComposeDlq", "ComposeQueue"),
    ("DispatchDlq", "DispatchQueue"),
    ("FeedbackDlq", "FeedbackQueue"),
    ("ChatTimerDlq", "ChatTimerQueue"),
];

/// The queue a rejected message goes back to, by the function that rejected it.
fn queue_of(source: &str) -> Option<&'static str> {
    match source {
        "billing-ingest" => Some("BillingEventsQueue"),
        "notice-composer" | "outage-alert" => Some("ComposeQueue"),
        "notice-dispatcher" => Some("DispatchQueue"),
        _ => None,
    }
}

/// The deployment's queue URLs, by logical id.
#[derive(Debug, Clone, Default)]
pub struct Queues(pub BTreeMap<String, String>);

impl Queues {
    /// Finds a stack's queues by name: CloudFormation names them `{stack}-{LogicalId}-{suffix}`
    /// (the local stack `{stack}-{LogicalId}`).
    pub async fn discover(sqs: &aws_sdk_sqs::Client, stack: &str) -> Result<Self, LocalError> {
        let urls: Vec<String> = sqs
            .list_queues()
            .queue_name_prefix(stack)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| LocalError::sqs("ListQueues", stack, sdk_error(e)))?;
        let mut queues = BTreeMap::new();
        for logical_id in DEAD_LETTER_QUEUES.iter().flat_map(|(dlq, queue)| [*dlq, *queue]) {
            let named = |url: &&String| {
                let name = url.rsplit('/').next().unwrap_or_default();
                name == format!("{stack}-{logical_id}") || name.starts_with(&format!("{stack}-{logical_id}-"))
            };
            if let Some(url) = urls.iter().find(named) {
                queues.insert(logical_id.to_owned(), url.clone());
            }
        }
        Ok(Self(queues))
    }

    fn url(&self, logical_id: &str) -> Result<&str, LocalError> {
        self.0.get(logical_id).map(String::as_str).ok_or_else(|| {
            LocalError::Template(format!("no queue {logical_id} in this deployment: is --stack its stack name?"))
        })
    }
}

/// What to send again.
#[derive(Debug, Clone)]
pub struct Selection {
    pub tenant: TenantId,
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Selection {
    fn covers(&self, at: Timestamp) -> bool {
        (self.from..=self.to).contains(&at)
    }

    /// A dead letter of this tenant (by its attribute, or its body's `tenant_id`) failed in range.
    fn takes(&self, letter: &DeadLetter) -> bool {
        let tenant = letter.tenant_id.clone().or_else(|| {
            serde_json::from_str::<serde_json::Value>(&letter.body).ok()?["tenant_id"].as_str().map(str::to_owned)
        });
        tenant.as_deref() == Some(self.tenant.as_str()) && letter.failed_at.is_none_or(|at| self.covers(at))
    }
}

/// How many went, from where; and what was left and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Redriven {
    /// By the function that had rejected them.
    pub rejected: BTreeMap<String, usize>,
    /// By dead-letter queue.
    pub dead_letters: BTreeMap<String, usize>,
    /// Rejections a redrive cannot fix (the message itself is wrong), by code.
    pub not_redrivable: BTreeMap<String, usize>,
    pub already_redriven: usize,
}

impl Redriven {
    pub fn total(&self) -> usize {
        self.rejected.values().sum::<usize>() + self.dead_letters.values().sum::<usize>()
    }
}

impl fmt::Display for Redriven {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "redriven: {}", self.total())?;
        for (source, count) in &self.rejected {
            writeln!(f, "  {count} rejected by {source}")?;
        }
        for (queue, count) in &self.dead_letters {
            writeln!(f, "  {count} from {queue}")?;
        }
        if self.already_redriven > 0 {
            writeln!(f, "left: {} redriven before", self.already_redriven)?;
        }
        for (code, count) in &self.not_redrivable {
            writeln!(f, "left: {count} {code} (the message itself is wrong: its sender must correct it)")?;
        }
        Ok(())
    }
}

/// Sends again what `selection` covers, then marks or removes it.
pub async fn redrive(
    log: &dyn RejectionLog,
    sqs: &aws_sdk_sqs::Client,
    queues: &Queues,
    selection: &Selection,
) -> Result<Redriven, LocalError> {
    let mut redriven = Redriven::default();
    let failed = |e: avisa_domain::PortError| LocalError::Template(e.chain());
    for rejected in log.between(&selection.tenant, selection.from, selection.to).await.map_err(failed)? {
        let code = serde_json::to_value(rejected.rejection.code).ok().and_then(|c| c.as_str().map(str::to_owned));
        let Some((body, queue)) = rejected.body.as_deref().zip(queue_of(&rejected.source)) else {
            *redriven.not_redrivable.entry(code.unwrap_or_default()).or_default() += 1;
            continue;
        };
        if rejected.redriven_at.is_some() {
            redriven.already_redriven += 1;
            continue;
        }
        send(sqs, queues.url(queue)?, &again(&rejected, body)).await?;
        log.mark_redriven(&rejected, Timestamp::now()).await.map_err(failed)?;
        *redriven.rejected.entry(rejected.source.clone()).or_default() += 1;
    }
    for (dlq, queue) in DEAD_LETTER_QUEUES {
        let Ok(dlq_url) = queues.url(dlq) else { continue };
        for letter in dead_letters::receive_all(sqs, dlq_url, 60).await? {
            if !selection.takes(&letter) {
                release(sqs, dlq_url, &letter).await?;
                continue;
            }
            send(sqs, queues.url(queue)?, &letter.body).await?;
            sqs.delete_message()
                .queue_url(dlq_url)
                .receipt_handle(&letter.receipt_handle)
                .send()
                .await
                .map_err(|e| LocalError::sqs("DeleteMessage", dlq_url, sdk_error(e)))?;
            *redriven.dead_letters.entry(dlq.to_owned()).or_default() += 1;
        }
    }
    Ok(redriven)
}

/// The message to send again: a refused delivery says it is a redrive, so that its claim,
/// closed as refused, is taken again.
fn again(rejected: &RejectedMessage, body: &str) -> String {
    if rejected.source != "notice-dispatcher" {
        return body.to_owned();
    }
    match serde_json::from_str::<DeliveryJob>(body) {
        Ok(job) => serde_json::to_string(&DeliveryJob { redrive: true, ..job }).unwrap_or_else(|_| body.to_owned()),
        Err(_) => body.to_owned(),
    }
}

async fn send(sqs: &aws_sdk_sqs::Client, url: &str, body: &str) -> Result<(), LocalError> {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .map_err(|e| LocalError::sqs("SendMessage", url, sdk_error(e)))?;
    Ok(())
}

/// Leaves a dead letter for another selection.
async fn release(sqs: &aws_sdk_sqs::Client, url: &str, letter: &DeadLetter) -> Result<(), LocalError> {
    sqs.change_message_visibility()
        .queue_url(url)
        .receipt_handle(&letter.receipt_handle)
        .visibility_timeout(0)
        .send()
        .await
        .map_err(|e| LocalError::sqs("ChangeMessageVisibility", url, sdk_error(e)))?;
    Ok(())
}
