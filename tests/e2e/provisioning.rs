//! The local stack has what the template declares.

use aws_sdk_dynamodb::types::{IndexStatus, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::support::stack;

#[tokio::test]
async fn the_table_has_the_templates_keys_indexes_and_ttl() {
    let stack = stack().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let table = dynamodb.describe_table().table_name("avisa-Table").send().await.unwrap().table.unwrap();
    let keys: Vec<_> = table.key_schema().iter().map(|k| (k.attribute_name(), k.key_type().as_str())).collect();
    assert_eq!(keys, [("pk", "HASH"), ("sk", "RANGE")]);
    let mut indexes: Vec<_> =
        table.global_secondary_indexes().iter().map(|i| i.index_name().unwrap_or_default()).collect();
    indexes.sort_unstable();
    assert_eq!(indexes, ["gsi1", "gsi2", "gsi3", "gsi4", "gsi5"]);
    assert!(table.global_secondary_indexes().iter().all(|i| i.index_status() != Some(&IndexStatus::Deleting)));
    // the notices' indexes hold their keys (history), or what the delivery report reads (by day)
    let projection = |name: &str| {
        let index = table.global_secondary_indexes().iter().find(|i| i.index_name() == Some(name)).unwrap();
        let projection = index.projection().unwrap();
        (projection.projection_type().map(|t| t.as_str().to_owned()), projection.non_key_attributes().to_vec())
    };
    assert_eq!(projection("gsi2"), (Some("KEYS_ONLY".to_owned()), Vec::<String>::new()));
    let report = ["notice_id", "kind", "contract_id", "created_at", "channels"].map(str::to_owned).to_vec();
    assert_eq!(projection("gsi5"), (Some("INCLUDE".to_owned()), report));
    let ttl = dynamodb
        .describe_time_to_live()
        .table_name("avisa-Table")
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

#[tokio::test]
async fn every_queue_redrives_to_its_dead_letter_queue_after_five_receives() {
    let stack = stack().await;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    for (queue, dlq) in [
        ("BillingEventsQueue", "BillingEventsDlq"),
        ("ComposeQueue", "ComposeDlq"),
        ("DispatchQueue", "DispatchDlq"),
        ("FeedbackQueue", "FeedbackDlq"),
    ] {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&stack.queue(queue).url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        let redrive: serde_json::Value = serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert_eq!(redrive["deadLetterTargetArn"], stack.queue(dlq).arn.as_str(), "{queue}");
        assert_eq!(redrive["maxReceiveCount"].to_string(), "5", "{queue}");
        assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "180", "{queue}: six times the 30 s timeout");
    }
}

#[tokio::test]
async fn the_sender_identity_exists_and_ses_events_reach_the_feedback_queue() {
    let stack = stack().await;
    let identity =
        aws_sdk_sesv2::Client::new(&stack.sdk).get_email_identity().email_identity("avisos@example.org").send().await;
    assert!(identity.is_ok(), "{identity:?}");
    let sns = aws_sdk_sns::Client::new(&stack.sdk);
    let topic = &stack.provisioned.topics["SesEventsTopic"];
    let subscriptions = sns.list_subscriptions_by_topic().topic_arn(topic).send().await.unwrap();
    let endpoints: Vec<_> = subscriptions.subscriptions().iter().filter_map(|s| s.endpoint()).collect();
    assert_eq!(endpoints, [stack.queue("FeedbackQueue").arn.as_str()]);
}

#[tokio::test]
async fn every_function_gets_the_environment_the_template_gives_it() {
    let stack = stack().await;
    let binaries: Vec<_> = stack.functions.iter().map(|f| f.binary.as_str()).collect();
    for expected in [
        "billing-ingest",
        "notice-composer",
        "notice-dispatcher",
        "delivery-feedback",
        "chat-webhook",
        "outage-scheduler",
    ] {
        assert!(binaries.contains(&expected), "{expected} missing from {binaries:?}");
    }
    let ingest = stack.function("billing-ingest").unwrap();
    assert_eq!(ingest.env["TABLE_NAME"], "avisa-Table");
    assert_eq!(ingest.env["COMPOSE_QUEUE_URL"], stack.queue("ComposeQueue").url);
    assert_eq!(ingest.sqs_sources, [(stack.queue("BillingEventsQueue").arn.clone(), 10)]);
    assert_eq!(stack.function("notice-dispatcher").unwrap().env["SENDER_EMAIL"], "avisos@example.org");
}
