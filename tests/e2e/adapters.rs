//! The DynamoDB, SQS, SES and SNS adapters against moto.

use avisa_aws::{DynamoStore, SesEmailSender, SnsSmsSender};
use avisa_domain::account::CustomerProfile;
use avisa_domain::contact::{Email, PhoneE164};
use avisa_domain::error::RejectionCode;
use avisa_domain::ids::{EventId, NoticeId, TenantId};
use avisa_domain::notice::RenderedMessage;
use avisa_domain::ports::{
    AccountStore, Before, Claim, ClaimKey, ClaimOutcome, Claims, EmailSender, Held, OutgoingEmail, OutgoingSms,
    Release, SmsSender,
};
use avisa_domain::{PortError, fakes};
use jiff::{SignedDuration, Timestamp};

use crate::support::stack;

fn store(stack: &avisa_local::LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table")
}

fn event_key(id: &str) -> ClaimKey {
    ClaimKey::Event { tenant_id: TenantId::parse("t").unwrap(), event_id: EventId::parse(id).unwrap() }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn acquired(claim: Claim) -> Held {
    match claim {
        Claim::Acquired(held) => held,
        other => panic!("expected the claim, got {other:?}"),
    }
}

#[tokio::test]
async fn a_claim_is_held_until_completed_or_its_lease_ends() {
    let stack = stack().await;
    let claims = store(&stack);
    let key = event_key("e-1");
    let lease = SignedDuration::from_secs(120);
    let now = at("2026-11-20T09:00:00Z");
    assert_eq!(acquired(claims.acquire(&key, now, lease, false).await.unwrap()).before, None);
    assert_eq!(claims.acquire(&key, now, lease, false).await.unwrap(), Claim::HeldElsewhere);
    // a holder that died: its lease ends and the key can be claimed again, saying so
    let later = at("2026-11-20T09:02:01Z");
    let held = acquired(claims.acquire(&key, later, lease, false).await.unwrap());
    assert_eq!(held.before, Some(Before::LeaseExpired));
    claims.complete(&key, later, &ClaimOutcome::Applied).await.unwrap();
    assert_eq!(claims.acquire(&key, at("2026-11-21T00:00:00Z"), lease, false).await.unwrap(), Claim::Completed);
}

#[tokio::test]
async fn a_released_claim_is_taken_again_knowing_whether_its_work_may_be_done() {
    let stack = stack().await;
    let claims = store(&stack);
    let key = ClaimKey::Delivery {
        tenant_id: TenantId::parse("t").unwrap(),
        notice_id: NoticeId::parse("n-1").unwrap(),
        channel: avisa_domain::channel::Channel::Sms,
    };
    let (now, lease) = (at("2026-11-20T09:00:00Z"), SignedDuration::from_secs(60));
    let held = acquired(claims.acquire(&key, now, lease, false).await.unwrap());
    claims.release(&key, &held, Release::NotDone).await.unwrap();
    let held = acquired(claims.acquire(&key, now, lease, false).await.unwrap());
    assert_eq!(held.before, Some(Before::Released));
    claims.release(&key, &held, Release::MaybeDone { why: "sns.Publish: connection reset" }).await.unwrap();
    let held = acquired(claims.acquire(&key, now, lease, false).await.unwrap());
    assert_eq!(held.before, Some(Before::OutcomeUnknown));
    // a release by a holder whose claim was taken over changes nothing
    let stale = Held { token: "someone-else".into(), before: None };
    claims.release(&key, &stale, Release::NotDone).await.unwrap();
    assert_eq!(claims.acquire(&key, now, lease, false).await.unwrap(), Claim::HeldElsewhere);
    // the record keeps the count of unknown outcomes and attempts
    let item = stack_item(&stack, "T#t#NOTICE#n-1", "DELIVERY#sms").await;
    assert_eq!(item["unknown_outcomes"].as_n().unwrap(), "1");
    assert_eq!(item["attempts"].as_n().unwrap(), "3");
}

#[tokio::test]
async fn a_rejected_claim_is_taken_again_only_when_asked_to() {
    let stack = stack().await;
    let claims = store(&stack);
    let key = event_key("e-rejected");
    let (now, lease) = (at("2026-11-20T09:00:00Z"), SignedDuration::from_secs(60));
    acquired(claims.acquire(&key, now, lease, false).await.unwrap());
    let rejection = avisa_domain::Rejection::new(RejectionCode::UnknownContract, "no customer yet");
    claims.complete(&key, now, &ClaimOutcome::Rejected(rejection)).await.unwrap();
    assert_eq!(claims.acquire(&key, now, lease, false).await.unwrap(), Claim::Completed);
    assert_eq!(acquired(claims.acquire(&key, now, lease, true).await.unwrap()).before, Some(Before::Rejected));
}

#[tokio::test]
async fn a_batchs_events_are_recorded_as_applied_together_and_kept_35_days() {
    // GIVEN thirty billing events claimed (more than one batch write takes), and a delivery claimed
    let stack = stack().await;
    let claims = store(&stack);
    let (now, lease) = (at("2026-11-20T09:00:00Z"), SignedDuration::from_secs(120));
    let events: Vec<ClaimKey> = (0..30).map(|i| event_key(&format!("e-batch-{i}"))).collect();
    let delivery = ClaimKey::Delivery {
        tenant_id: TenantId::parse("t").unwrap(),
        notice_id: NoticeId::parse("n-batch").unwrap(),
        channel: avisa_domain::channel::Channel::Email,
    };
    for key in events.iter().chain([&delivery]) {
        acquired(claims.acquire(key, now, lease, false).await.unwrap());
    }
    // WHEN they are all recorded as applied at once
    let all: Vec<ClaimKey> = events.iter().cloned().chain([delivery.clone()]).collect();
    claims.complete_applied(&all, now).await.unwrap();
    // THEN each is done: taken again, it says so
    for key in &all {
        assert_eq!(claims.acquire(key, now, lease, false).await.unwrap(), Claim::Completed, "{key}");
    }
    // AND an event's claim is kept 35 days, with no lease left on it
    let item = stack_item(&stack, "T#t#EVENT#e-batch-29", "EVENT").await;
    assert_eq!(item["status"].as_s().unwrap(), "APPLIED");
    let kept = at("2026-12-25T09:00:00Z").as_second().to_string();
    assert_eq!(item["expires_at"].as_n().unwrap(), &kept);
    assert!(!item.contains_key("lease_until") && !item.contains_key("claim_token"), "{item:?}");
    // AND the delivery's record, which holds more than its claim, was completed in place
    let record = stack_item(&stack, "T#t#NOTICE#n-batch", "DELIVERY#email").await;
    assert_eq!(record["attempts"].as_n().unwrap(), "1");
}

async fn stack_item(
    stack: &avisa_local::LocalStack,
    pk: &str,
    sk: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    aws_sdk_dynamodb::Client::new(&stack.sdk)
        .get_item()
        .table_name("avisa-Table")
        .key("pk", S(pk.into()))
        .key("sk", S(sk.into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

#[tokio::test]
async fn an_older_customer_event_does_not_overwrite_a_newer_one() {
    let stack = stack().await;
    let accounts = store(&stack);
    let newer = CustomerProfile {
        name: fakes::name("Maria Puig (new)"),
        as_of: at("2026-11-10T00:00:00Z"),
        ..fakes::customer_profile()
    };
    let older = CustomerProfile {
        name: fakes::name("Maria Puig (old)"),
        as_of: at("2026-11-01T00:00:00Z"),
        ..fakes::customer_profile()
    };
    accounts.upsert_customer(&newer).await.unwrap();
    accounts.upsert_customer(&older).await.unwrap();
    let stored = accounts.customer(&newer.tenant_id, &newer.customer_id).await.unwrap().unwrap();
    assert_eq!(stored, newer);
}

#[tokio::test]
async fn ses_refusing_an_unverified_sender_is_a_permanent_error_with_its_reason() {
    let stack = stack().await;
    // the deployment's sender is verified; the tenant's own is not
    let sender = SesEmailSender::new(aws_sdk_sesv2::Client::new(&stack.sdk), "avisos@example.org");
    let unverified = Email::parse("nobody@unverified.example").unwrap();
    let message =
        RenderedMessage { subject: Some("s".into()), text: "t".into(), html: None, parts: None, interactive: None };
    let to = Email::parse("maria@example.cat").unwrap();
    let tenant = TenantId::parse("t").unwrap();
    let notice = NoticeId::parse("n-1").unwrap();
    let err = sender
        .send(OutgoingEmail {
            tenant_id: &tenant,
            from: Some(&unverified),
            notice_id: &notice,
            to: &to,
            message: &message,
            attachments: &[],
        })
        .await
        .unwrap_err();
    assert!(matches!(err, PortError::Permanent { .. }), "{err:?}");
    let chain = avisa_runtime::redact::error_chain(&err);
    assert!(chain.contains("MessageRejected"), "{chain}");
    assert!(stack.moto().sent().unwrap().emails.is_empty());
}

#[tokio::test]
async fn sms_are_published_to_the_number_with_the_text() {
    let stack = stack().await;
    let sender = SnsSmsSender::new(&stack.sdk, Some("AVISA".into()));
    let to = PhoneE164::parse("+393331234567").unwrap();
    let sms = OutgoingSms { to: &to, text: "Fattura pronta", sender_id: None, origination_number: None };
    let id = sender.send(sms).await.unwrap();
    let sms = stack.moto().sent().unwrap().sms;
    assert_eq!(sms.len(), 1);
    assert_eq!(
        (sms[0].message_id.as_str(), sms[0].phone_number.as_str(), sms[0].message.as_str()),
        (id.as_str(), "+393331234567", "Fattura pronta")
    );
}

#[tokio::test]
async fn tenant_settings_round_trip_and_an_unconfigured_tenant_has_none() {
    use avisa_domain::ports::TenantDirectory;
    let stack = stack().await;
    let tenants = store(&stack);
    let tenant = TenantId::parse("aigues-reus").unwrap();
    assert_eq!(tenants.settings(&tenant).await.unwrap(), None);
    let settings = avisa_domain::tenant::TenantSettings { invoice_notice_days: 10, ..fakes::default_settings() };
    tenants.put_settings(&tenant, &settings).await.unwrap();
    assert_eq!(tenants.settings(&tenant).await.unwrap(), Some(settings));
}

#[tokio::test]
async fn a_warm_container_reads_each_tenants_settings_once_while_they_are_fresh() {
    use avisa_domain::ports::TenantDirectory;
    // GIVEN two tenants configured, and a function's store that keeps settings for a minute
    let stack = stack().await;
    let admin = store(&stack);
    let (reus, lleida) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    let ten_days = avisa_domain::tenant::TenantSettings { invoice_notice_days: 10, ..fakes::default_settings() };
    admin.put_settings(&reus, &ten_days).await.unwrap();
    admin.put_settings(&lleida, &fakes::default_settings()).await.unwrap();
    let function = store(&stack).caching_settings_for(std::time::Duration::from_mins(1));
    assert_eq!(function.settings(&reus).await.unwrap(), Some(ten_days.clone()));
    // WHEN an admin changes the first tenant's settings elsewhere
    let seven_days = avisa_domain::tenant::TenantSettings { invoice_notice_days: 7, ..ten_days.clone() };
    admin.put_settings(&reus, &seven_days).await.unwrap();
    // THEN the warm container still has what it read, never another tenant's, and a store that
    // keeps nothing (or the one that wrote them) sees the change at once
    assert_eq!(function.settings(&reus).await.unwrap(), Some(ten_days));
    assert_eq!(function.settings(&lleida).await.unwrap(), Some(fakes::default_settings()));
    assert_eq!(store(&stack).settings(&reus).await.unwrap(), Some(seven_days.clone()));
    let writer = store(&stack).caching_settings_for(std::time::Duration::from_mins(1));
    assert_eq!(writer.settings(&reus).await.unwrap(), Some(seven_days.clone()));
    let eight_days = avisa_domain::tenant::TenantSettings { invoice_notice_days: 8, ..seven_days };
    writer.put_settings(&reus, &eight_days).await.unwrap();
    assert_eq!(writer.settings(&reus).await.unwrap(), Some(eight_days));
}

#[tokio::test]
async fn unusable_tenant_settings_are_refused_when_put_and_a_deployment_fault_when_found_stored() {
    use avisa_domain::ports::TenantDirectory;
    let stack = stack().await;
    let tenants = store(&stack);
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let mut chat = avisa_domain::chat::ChatSettings::default();
    chat.languages.clear();
    let mute = avisa_domain::tenant::TenantSettings { chat: Some(chat), ..fakes::default_settings() };
    // WHEN put THEN refused with the reason
    let refused = tenants.put_settings(&tenant, &mute).await.unwrap_err();
    assert!(refused.chain().contains("chat.languages is empty"), "{}", refused.chain());
    // WHEN stored by hand all the same THEN reading them says so, as the deployment's to fix
    let item = serde_dynamo::to_item(serde_json::json!({"pk": "TENANT#aigues-reus", "sk": "CONFIG", "settings": mute}))
        .unwrap();
    aws_sdk_dynamodb::Client::new(&stack.sdk)
        .put_item()
        .table_name("avisa-Table")
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let found = tenants.settings(&tenant).await.unwrap_err();
    assert!(matches!(found, PortError::Misconfigured { .. }), "{found:?}");
    assert!(found.chain().contains("tenant aigues-reus's settings: chat.languages is empty"), "{}", found.chain());
}

#[tokio::test]
async fn a_tenants_own_verified_sender_is_used() {
    let stack = stack().await;
    let ses = aws_sdk_sesv2::Client::new(&stack.sdk);
    ses.create_email_identity().email_identity("factures@aiguesdereus.example").send().await.unwrap();
    let sender = SesEmailSender::new(ses, "avisos@example.org");
    let own = Email::parse("factures@aiguesdereus.example").unwrap();
    let message =
        RenderedMessage { subject: Some("s".into()), text: "t".into(), html: None, parts: None, interactive: None };
    let email = OutgoingEmail {
        tenant_id: &TenantId::parse("aigues-reus").unwrap(),
        from: Some(&own),
        notice_id: &NoticeId::parse("n-1").unwrap(),
        to: &Email::parse("maria@example.cat").unwrap(),
        message: &message,
        attachments: &[],
    };
    sender.send(email).await.unwrap();
    assert_eq!(stack.moto().sent().unwrap().emails[0].source, "factures@aiguesdereus.example");
}

#[tokio::test]
async fn a_dead_letter_carries_its_source_reason_tenant_and_time() {
    use avisa_domain::ports::{DeadLetter, DeadLetters};
    let stack = stack().await;
    let url = stack.queue("DispatchDlq").url.clone();
    let dlq = avisa_aws::SqsQueue::new(aws_sdk_sqs::Client::new(&stack.sdk), &url);
    let at = at("2026-11-20T09:00:00Z");
    let letter = DeadLetter {
        source: "notice-dispatcher",
        message_id: "m-1",
        body: r#"{"tenant_id":"aigues-reus","notice_id":"n-1","channel":"email"}"#,
        tenant_id: Some("aigues-reus"),
        reason: "s3.GetObject failed because the deployment is misconfigured: NoSuchBucket: no such bucket",
        receive_count: 5,
        at,
    };
    dlq.dead_letter(&letter).await.unwrap();
    let letters = avisa_local::dead_letters::receive_all(&aws_sdk_sqs::Client::new(&stack.sdk), &url, 0).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].body, letter.body);
    assert_eq!(letters[0].source.as_deref(), Some("notice-dispatcher"));
    assert_eq!(letters[0].tenant_id.as_deref(), Some("aigues-reus"));
    assert_eq!(letters[0].failed_at, Some(at));
    assert!(letters[0].reason.as_deref().unwrap().contains("NoSuchBucket"));
}

#[tokio::test]
async fn staff_find_a_customer_by_the_start_of_each_word_of_their_current_name_in_their_tenant_only() {
    use avisa_domain::names::NameQuery;
    use avisa_domain::privacy::Erasure;
    use avisa_domain::staff::citizen::CitizenRecords;
    let stack = stack().await;
    let store = store(&stack);
    let records = CitizenRecords {
        customers: &store,
        names: &store,
        accounts: &store,
        notices: &store,
        ledger: &store,
        conversations: &store,
        incidents: &store,
        complaints: &store,
    };
    // GIVEN María García Puig and Mariano Soler of one tenant, and a namesake of María elsewhere
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let other = TenantId::parse("acqua-bo").unwrap();
    let customer = |tenant: &TenantId, id: &str, name: &str, as_of: &str| CustomerProfile {
        tenant_id: tenant.clone(),
        customer_id: avisa_domain::ids::CustomerId::parse(id).unwrap(),
        name: fakes::name(name),
        as_of: at(as_of),
        ..fakes::customer_profile()
    };
    store.upsert_customer(&customer(&tenant, "CU-1", "María García Puig", "2026-11-01T00:00:00Z")).await.unwrap();
    store.upsert_customer(&customer(&tenant, "CU-2", "Mariano Soler", "2026-11-01T00:00:00Z")).await.unwrap();
    store.upsert_customer(&customer(&other, "CU-1", "Maria Garcia Puig", "2026-11-01T00:00:00Z")).await.unwrap();
    let found = async |tenant: &TenantId, typed: &str| -> Vec<String> {
        let matches = records.named(tenant, &NameQuery::parse(typed).unwrap()).await.unwrap();
        matches.customers.iter().map(|p| format!("{} {}", p.customer_id, p.name.as_str())).collect()
    };
    // WHEN staff type parts of names, without accents or capitals THEN their tenant's matches
    assert_eq!(found(&tenant, "garcia MAR").await, ["CU-1 María García Puig"]);
    assert_eq!(found(&tenant, "mar").await, ["CU-1 María García Puig", "CU-2 Mariano Soler"]);
    assert_eq!(found(&tenant, "puig").await, ["CU-1 María García Puig"]);
    assert_eq!(found(&other, "puig").await, ["CU-1 Maria Garcia Puig"]);
    assert_eq!(found(&tenant, "garcia soler").await, Vec::<String>::new());
    // WHEN Mariano's name changes, and an older event about him comes late THEN his current name
    // finds him and the old one does not
    store.upsert_customer(&customer(&tenant, "CU-2", "Joan Soler", "2026-11-10T00:00:00Z")).await.unwrap();
    store.upsert_customer(&customer(&tenant, "CU-2", "Mariano Soler", "2026-11-05T00:00:00Z")).await.unwrap();
    assert_eq!(found(&tenant, "mariano").await, Vec::<String>::new());
    assert_eq!(found(&tenant, "joan").await, ["CU-2 Joan Soler"]);
    // WHEN María is erased THEN no word of her name is left to find her by
    let erased = avisa_domain::ids::CustomerId::parse("CU-1").unwrap();
    store.erase_customer(&tenant, &erased).await.unwrap();
    assert_eq!(found(&tenant, "garcia").await, Vec::<String>::new());
    let left = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .query()
        .table_name("avisa-Table")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("T#aigues-reus#CUST#CU-1".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(left.count(), 0, "{:?}", left.items());
    assert_eq!(found(&other, "garcia").await, ["CU-1 Maria Garcia Puig"], "the namesake elsewhere stays");
}
