//! A send's record against moto: its chunks count once, its deliveries add up, per tenant.

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use crate::support::stack;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_sends_chunks_count_once_and_its_deliveries_add_up_for_its_tenant_only() {
    use avisa_domain::channel::Channel;
    use avisa_domain::sends::{ChunkTally, DeliveryOutcome, DeliveryTally, SendLog, SendPlan, SendStatuses};
    let stack = stack().await;
    let composer = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk_for("notice-composer")), "avisa-Table");
    let dispatcher =
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk_for("notice-dispatcher")), "avisa-Table");
    let (tenant, other) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    let now = at("2026-11-20T09:00:00Z");
    let plan = |tenant: &TenantId| SendPlan {
        tenant_id: tenant.clone(),
        send_id: "outage/o-1/r1/advance/48h".into(),
        outage_id: Some(avisa_domain::ids::OutageId::parse("o-1").unwrap()),
        urgent: true,
        contracts: 150,
        parts: 2,
        priority: Vec::new(),
        started_at: now,
    };
    // GIVEN a send of two chunks, started twice (the alert fired again), and another tenant's
    assert!(composer.start(&plan(&tenant)).await.unwrap());
    assert!(!composer.start(&plan(&tenant)).await.unwrap(), "started once");
    assert!(composer.start(&plan(&other)).await.unwrap());
    let tally = ChunkTally {
        contracts: 100,
        recipients: 101,
        composed: [(Channel::Sms, 90), (Channel::Email, 10)].into(),
        unreachable: 1,
        ..ChunkTally::default()
    };
    let id = "outage/o-1/r1/advance/48h";
    // WHEN the first chunk is counted twice (a retried chunk) and a delivery is sent
    let first = composer.chunk_done(&tenant, id, 0, &tally.counts(), now).await.unwrap().unwrap();
    let again = composer.chunk_done(&tenant, id, 0, &tally.counts(), now).await.unwrap().unwrap();
    dispatcher.add(&tenant, id, &DeliveryOutcome::Sent.counts(Channel::Sms), now).await.unwrap();
    let refused = DeliveryOutcome::Refused { reason: "provider_refused" }.counts(Channel::Email);
    dispatcher.add(&tenant, id, &refused, now).await.unwrap();
    // THEN it counts once, and the deliveries add up
    assert_eq!((first.parts_done, again.parts_done), (1, 1));
    assert_eq!(again.counts["composed.sms"], 90);
    let record = composer.send(&tenant, id).await.unwrap().unwrap();
    let status = avisa_domain::sends::SendStatus::of(&record, &avisa_domain::tenant::RateLimits::default(), now);
    assert_eq!((status.recipients, status.waiting, status.contracts_composed), (101, 98, 100));
    assert_eq!(status.reasons["provider_refused"], 1);
    // and the deliveries are counted in an item of their own, which no chunk's part makes larger
    let deliveries = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .get_item()
        .table_name("avisa-Table")
        .key("pk", AttributeValue::S("T#aigues-reus#SENDS".into()))
        .key("sk", AttributeValue::S(format!("{id}#deliveries")))
        .send()
        .await
        .unwrap()
        .item
        .expect("the deliveries' item");
    assert_eq!(deliveries["count:sent.sms"], AttributeValue::N("1".into()));
    assert!(!deliveries.contains_key("done") && !deliveries.contains_key("plan"), "{deliveries:?}");
    assert!(deliveries.contains_key("expires_at"), "kept no longer than the send: {deliveries:?}");
    // and the tenant's sends list it once, its deliveries added in
    let listed = composer.sends(&tenant, "outage/o-1/").await.unwrap();
    assert_eq!(listed, vec![record.clone()]);
    assert_eq!((listed[0].count("sent.sms"), listed[0].count("composed.sms")), (1, 90));
    // and the other tenant's send is untouched, and listed only for it
    let others = composer.sends(&other, "outage/o-1/").await.unwrap();
    assert_eq!((others.len(), others[0].parts_done, others[0].counts.len()), (1, 0, 0));
    assert_eq!(composer.sends(&tenant, "outage/o-2/").await.unwrap().len(), 0);
    // and a chunk or a delivery of a send never started adds nothing
    assert!(
        composer.chunk_done(&tenant, "outage/o-9/r1/advance/48h", 0, &tally.counts(), now).await.unwrap().is_none()
    );
    dispatcher.add(&tenant, "outage/o-9/r1/advance/48h", &refused, now).await.unwrap();
    assert!(composer.send(&tenant, "outage/o-9/r1/advance/48h").await.unwrap().is_none());
    assert_eq!(composer.sends(&tenant, "outage/o-9/").await.unwrap(), Vec::new());
}
