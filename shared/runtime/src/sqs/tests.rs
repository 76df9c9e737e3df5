//! The batch helpers, with in-memory rejection logs and dead letters.

use super::*;
use avisa_domain::PortError;
use avisa_domain::error::RejectionCode;
use avisa_domain::fakes::{FixedClock, InMemoryDeadLetters, InMemoryRejections};
use serde_json::json;

/// Where a test batch's rejections and dead letters go.
#[derive(Default)]
struct Sinks {
    log: InMemoryRejections,
    dead_letters: InMemoryDeadLetters,
    clock: FixedClock,
}

impl Sinks {
    /// Five receives, as the template's queues.
    fn rejections(&self) -> Rejections<'_> {
        Rejections {
            source: "test",
            log: &self.log,
            dead_letters: &self.dead_letters,
            max_receive_count: 5,
            clock: &self.clock,
        }
    }
}

/// Each record of `event` on its fifth and last receive.
fn on_last_receive(mut event: SqsEvent) -> SqsEvent {
    for record in &mut event.records {
        record.attributes.insert("ApproximateReceiveCount".to_owned(), "5".to_owned());
    }
    event
}

fn outcome(body: &str) -> Result<&'static str, RecordFailure> {
    match body {
        "ok" => Ok("applied"),
        "throttled" => Err(Error::from(PortError::transient("op", std::io::Error::other("slow down"))).into()),
        _ => Err(Rejection::new(RejectionCode::InvalidJson, "not json").into()),
    }
}

#[tokio::test]
async fn only_the_records_worth_retrying_are_reported_as_failures() {
    let sinks = Sinks::default();
    let rejections = sinks.rejections();
    let (response, counts) =
        process_batch(sqs_event(["ok", "throttled", "garbage", "ok"]), &rejections, |m| async move {
            outcome(m.body.as_deref().unwrap_or_default())
        })
        .await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m1"]);
    assert_eq!(counts, Counts::from([("applied", 2), ("rejected", 1), ("retried", 1)]));
    let recorded = sinks.log.0.lock().unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].message_id, "m2");
    assert_eq!(recorded[0].rejection.code, RejectionCode::InvalidJson);
    assert!(sinks.dead_letters.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_record_failing_on_its_last_receive_is_dead_lettered_with_the_reason_and_acknowledged() {
    // GIVEN a throttled record on its fifth receive, beside one on its first
    let sinks = Sinks::default();
    let rejections = sinks.rejections();
    let mut event = sqs_event(["throttled", "throttled"]);
    event.records[0].attributes.insert("ApproximateReceiveCount".to_owned(), "5".to_owned());
    // WHEN the batch is processed
    let (response, counts) =
        process_batch(event, &rejections, |m| async move { outcome(m.body.as_deref().unwrap_or_default()) }).await;
    // THEN the last-chance record is on the dead-letter queue with why, and only the other is retried
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m1"]);
    assert_eq!(counts, Counts::from([("dead_lettered", 1), ("retried", 1)]));
    let letters = sinks.dead_letters.0.lock().unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].source.as_str(), letters[0].body.as_str()), ("test", "throttled"));
    assert!(letters[0].reason.contains("slow down"), "{}", letters[0].reason);
}

#[tokio::test]
async fn a_dead_letter_is_kept_under_the_tenant_its_handler_named_and_no_other() {
    // GIVEN three records on their last receive: tenant A's and tenant B's fail without naming
    // their tenant in the failure, and a third names none at all
    let sinks = Sinks::default();
    let rejections = sinks.rejections();
    let event = on_last_receive(sqs_event(["tenant-a", "tenant-b", "nobody"]));
    // WHEN each handler names what it read, then fails transiently
    process_batch(event, &rejections, |m| async move {
        let body = m.body.unwrap_or_default();
        if let Some(tenant) = body.strip_prefix("tenant-") {
            record_ids(&tenant, &"e-1");
        }
        outcome("throttled")
    })
    .await;
    // THEN each letter carries its own record's tenant: none leaks into the next record
    let tenants: Vec<_> = sinks.dead_letters.0.lock().unwrap().iter().map(|l| l.tenant_id.clone()).collect();
    assert_eq!(tenants, [Some("a".to_owned()), Some("b".to_owned()), None]);
}

#[tokio::test]
async fn a_record_whose_held_work_fails_on_its_last_receive_is_dead_lettered_under_its_tenant() {
    // GIVEN two tenants' records on their last receive, each leaving work to the batch's end
    let sinks = Sinks::default();
    let rejections = sinks.rejections();
    let event = on_last_receive(sqs_event(["a", "b"]));
    let held = std::sync::atomic::AtomicUsize::new(0);
    // WHEN the work held for the second cannot be done
    let (response, counts) = process_batch_holding(
        event,
        &rejections,
        || held.load(std::sync::atomic::Ordering::SeqCst),
        |m| {
            held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                record_ids(&m.body.unwrap_or_default(), &"e-1");
                Ok("applied")
            }
        },
        |_| async { vec![(1, "the queue said no".to_owned())] },
    )
    .await;
    // THEN that record is dead-lettered with the reason, under tenant b
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(counts, Counts::from([("applied", 1), ("dead_lettered", 1)]));
    let letters = sinks.dead_letters.0.lock().unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].body.as_str(), letters[0].tenant_id.as_deref()), ("b", Some("b")));
    assert_eq!(letters[0].reason, "the queue said no");
}

/// Log lines as the Lambda binary writes them, kept in memory.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_line_logged_for_a_record_carries_its_ids() {
    // GIVEN the functions' JSON logs, and a handler that names the record's tenant and subject
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let sinks = Sinks::default();
    let rejections = sinks.rejections();
    // WHEN a batch of one record that logs and then fails is processed
    process_batch(sqs_event(["throttled"]), &rejections, |m| async move {
        record_ids(&"t-1", &"e-1");
        tracing::info!("working on it");
        outcome(m.body.as_deref().unwrap_or_default())
    })
    .await;
    // THEN the handler's line and the batch helper's both carry the message, tenant and subject ids
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for message in ["working on it", "record will be retried"] {
        let line = lines.iter().find(|l| l["message"] == message).unwrap_or_else(|| panic!("{text}"));
        let span = &line["span"];
        assert_eq!(
            (&span["message_id"], &span["tenant_id"], &span["subject"], &span["source"]),
            (&json!("m0"), &json!("t-1"), &json!("e-1"), &json!("test")),
            "{line}"
        );
    }
}
