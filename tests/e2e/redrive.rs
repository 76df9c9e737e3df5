//! What keeps failing ends in a dead-letter queue with its reason; once the cause is fixed, an
//! operator's redrive sends it again — rejected messages a fix can save, and dead letters.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use avisa_local::esm::{EventSourceMapping, Mapping};
use avisa_runtime::sqs::SqsHandler;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use avisa_aws::DynamoStore;
use avisa_local::LocalStack;
use avisa_local::proxy::SendFault;
use avisa_local::redrive::{Queues, Redriven, Selection, redrive};

use crate::support::{sample_body, stack};

/// Fails every record whose body is "poison"; counts what it saw.
#[derive(Default)]
struct PoisonRejecter {
    seen: AtomicUsize,
}

#[async_trait]
impl SqsHandler for PoisonRejecter {
    async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.records {
            self.seen.fetch_add(1, Ordering::SeqCst);
            if record.body.as_deref() == Some("poison") {
                response.add_failure(record.message_id.unwrap_or_default());
            }
        }
        response
    }
}

#[tokio::test]
async fn a_record_that_keeps_failing_ends_in_the_dead_letter_queue_and_the_others_are_deleted() {
    let stack = stack().await;
    let handler = Arc::new(PoisonRejecter::default());
    let queue = stack.queue("ComposeQueue");
    let mapping = Mapping {
        function: "poison-rejecter".into(),
        queue_url: queue.url.clone(),
        queue_arn: queue.arn.clone(),
        batch_size: 10,
        handler: handler.clone(),
    };
    let esm = EventSourceMapping::new(aws_sdk_sqs::Client::new(&stack.sdk), vec![mapping]);
    for body in ["fine", "poison", "fine"] {
        stack.send("ComposeQueue", body).await.unwrap();
    }
    let report = esm.drain().await.unwrap();
    assert_eq!(report.of("poison-rejecter").failed, 5, "maxReceiveCount is 5");
    assert_eq!(handler.seen.load(Ordering::SeqCst), 2 + 5);
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 0);
    assert_eq!(stack.depth("ComposeDlq").await.unwrap(), 1);
}

/// The demo tenant's failures of the last hour.
fn today() -> Selection {
    let now = jiff::Timestamp::now();
    Selection {
        tenant: avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(),
        from: now - jiff::SignedDuration::from_hours(1),
        to: now + jiff::SignedDuration::from_mins(1),
    }
}

async fn redrive_today(stack: &LocalStack) -> Redriven {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let queues = Queues::discover(&sqs, "avisa").await.unwrap();
    redrive(&store, &sqs, &queues, &today()).await.unwrap()
}

#[tokio::test]
async fn an_invoice_rejected_before_its_customer_is_redriven_once_the_customer_arrives() {
    // GIVEN an invoice rejected because its contract had no customer yet
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/invoice-issued.json")).await.unwrap();
    esm.drain().await.unwrap();
    assert!(crate::pipeline::rejections(&stack).await[0].starts_with("unknown_contract"));
    // WHEN the customer arrives and the operator redrives the tenant's failures
    stack.send("BillingEventsQueue", &sample_body("events/billing-ingest/customer-upserted.json")).await.unwrap();
    esm.drain().await.unwrap();
    let redriven = redrive_today(&stack).await;
    // THEN one went, and its email and SMS are sent
    assert_eq!(redriven.rejected, [("billing-ingest".to_owned(), 1)].into(), "{redriven}");
    esm.drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert_eq!((sent.emails.len(), sent.sms.len()), (1, 1), "{sent:#?}");
    // and redriving again sends nothing more
    let again = redrive_today(&stack).await;
    assert_eq!((again.total(), again.already_redriven), (0, 1), "{again}");
}

#[tokio::test]
async fn a_delivery_dead_lettered_for_a_missing_bucket_is_redriven_once_the_bucket_exists() {
    // GIVEN a deployment whose invoice bucket does not exist yet
    let stack = LocalStack::start().await.unwrap();
    let esm = stack.event_source_mapping().unwrap();
    for sample in ["customer-upserted", "invoice-issued"] {
        stack.send("BillingEventsQueue", &sample_body(&format!("events/billing-ingest/{sample}.json"))).await.unwrap();
        esm.drain().await.unwrap();
    }
    // THEN the email waits five receives and is dead-lettered with why; the SMS went
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let letters = avisa_local::dead_letters::receive_all(&sqs, &stack.queue("DispatchDlq").url, 0).await.unwrap();
    assert_eq!(letters.len(), 1);
    let reason = letters[0].reason.as_deref().unwrap();
    assert!(reason.contains("misconfigured") && reason.contains("NoSuchBucket"), "{reason}");
    assert_eq!(letters[0].source.as_deref(), Some("notice-dispatcher"));
    assert!(stack.moto().sent().unwrap().emails.is_empty());
    // WHEN the bucket and the PDF are there and the operator redrives
    stack.put_invoice_pdfs([sample_body("events/billing-ingest/invoice-issued.json").as_str()]).await.unwrap();
    let redriven = redrive_today(&stack).await;
    assert_eq!(redriven.dead_letters, [("DispatchDlq".to_owned(), 1)].into(), "{redriven}");
    esm.drain().await.unwrap();
    // THEN the email is sent, once, and the dead-letter queue is empty
    assert_eq!(stack.moto().sent().unwrap().emails.len(), 1);
    assert_eq!(stack.depth("DispatchDlq").await.unwrap(), 0);
}

#[tokio::test]
async fn a_delivery_the_provider_refused_is_sent_again_only_by_a_redrive() {
    // GIVEN an email address the provider refuses
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    stack.proxy().fail_sends_to("maria.puig@example.cat", SendFault::Refused);
    for sample in ["customer-upserted", "invoice-issued"] {
        stack.send("BillingEventsQueue", &sample_body(&format!("events/billing-ingest/{sample}.json"))).await.unwrap();
        esm.drain().await.unwrap();
    }
    let rejections = crate::pipeline::rejections(&stack).await;
    assert!(rejections.iter().any(|r| r.starts_with("no_channel") && r.contains("MessageRejected")), "{rejections:?}");
    // WHEN the cause is cleared and the operator redrives
    stack.proxy().heal();
    let redriven = redrive_today(&stack).await;
    assert_eq!(redriven.rejected, [("notice-dispatcher".to_owned(), 1)].into(), "{redriven}");
    esm.drain().await.unwrap();
    // THEN the email goes, once
    let emails = stack.moto().sent().unwrap().emails;
    assert_eq!(emails.iter().filter(|e| e.destinations.to == ["maria.puig@example.cat"]).count(), 1);
}
