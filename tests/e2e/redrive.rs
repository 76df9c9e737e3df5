//! The local event source mapping retries failed records and lets SQS move them to the DLQ.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use avisa_local::esm::{EventSourceMapping, Mapping};
use avisa_runtime::sqs::SqsHandler;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use crate::support::stack;

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
