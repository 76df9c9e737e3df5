//! Every sample under events/delivery-feedback is a valid SQS event that the function answers.
#![allow(clippy::unwrap_used)]

use aws_lambda_events::event::sqs::SqsEvent;

#[test]
fn the_ses_bounce_sample_is_an_sqs_event_answered_with_not_implemented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/delivery-feedback/ses-bounce.json");
    let event: SqsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(event.records.len(), 1);
    let err = avisa_runtime::not_implemented::sqs("delivery-feedback", delivery_feedback::PENDING, &event).unwrap_err();
    assert!(err.to_string().starts_with("delivery-feedback is not implemented yet: SES bounce"), "{err}");
}
