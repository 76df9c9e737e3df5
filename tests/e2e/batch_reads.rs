//! The reads made in batches against moto — a chunk's holders, customers and suppressions, a
//! dispatcher batch's notices: more keys than one request takes, keys that are missing, and
//! another tenant's with the same ids; an outage's subscribers, marked on their contracts.

use avisa_aws::DynamoStore;
use avisa_domain::contact::{Email, PhoneE164};
use avisa_domain::fakes;
use avisa_domain::ids::{ContractId, CustomerId, NoticeId, TenantId};
use avisa_domain::notice::Destination;
use avisa_domain::outage::AlertSubscription;
use avisa_domain::outage::ports::AlertSubscriptions;
use avisa_domain::ports::{AccountStore, NoticeStore, Suppressions};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::stack;

fn store(stack: &avisa_local::LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table")
}

pub(crate) fn contract(n: u32) -> ContractId {
    ContractId::parse(&format!("CT-{n:04}")).unwrap()
}

fn customer(n: u32) -> CustomerId {
    CustomerId::parse(&format!("CU-{n:04}")).unwrap()
}

/// Household `n` of `tenant`: a holder and its customer, named after the tenant.
pub(crate) async fn household(store: &DynamoStore, tenant: &TenantId, n: u32) {
    let mut profile = fakes::customer_profile();
    profile.tenant_id = tenant.clone();
    profile.customer_id = customer(n);
    profile.name = avisa_domain::text::Text::parse(&format!("{tenant} {n}")).unwrap();
    store.upsert_customer(&profile).await.unwrap();
    let mut holder = fakes::contract_holder();
    holder.tenant_id = tenant.clone();
    holder.contract_id = contract(n);
    holder.customer_id = customer(n);
    store.upsert_holder(&holder).await.unwrap();
}

#[tokio::test]
async fn a_chunks_holders_customers_and_suppressions_are_read_in_batches_of_the_tenants_own() {
    let stack = stack().await;
    let store = store(&stack);
    let (reus, lleida) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    // GIVEN 150 households of one tenant, and another tenant's with the same numbers for 10 of
    // them and 5 of its own beyond
    for n in 0..150 {
        household(&store, &reus, n).await;
    }
    for n in 140..155 {
        household(&store, &lleida, n).await;
    }
    // WHEN 160 contracts are asked for (more than one request takes), ten of them nobody's here
    let asked: Vec<ContractId> = (0..160).map(contract).collect();
    let holders = store.holders(&reus, &asked).await.unwrap();
    // THEN the tenant's 150 holders come back, none of the other tenant's
    assert_eq!(holders.len(), 150);
    assert!(holders.iter().all(|h| h.tenant_id == reus));
    let customers = store.customers(&reus, &holders.iter().map(|h| h.customer_id.clone()).collect::<Vec<_>>()).await;
    let customers = customers.unwrap();
    assert_eq!(customers.len(), 150);
    assert!(customers.iter().all(|c| c.tenant_id == reus && c.name.as_str().starts_with("aigues-reus")));
    // and the other tenant's reads are its own
    let theirs = store.holders(&lleida, &asked).await.unwrap();
    assert_eq!(theirs.len(), 15);
    // GIVEN one tenant suppressed an email and a number, the other tenant the same number
    let now = "2026-11-20T09:00:00Z".parse().unwrap();
    let bounced = Destination::Email(Email::parse("bounced@example.cat").unwrap());
    let opted_out = Destination::Sms(PhoneE164::parse("+34600000001").unwrap());
    store.suppress(&reus, &bounced, "bounced", now).await.unwrap();
    store.suppress(&lleida, &opted_out, "opted_out", now).await.unwrap();
    // WHEN both tenants ask about the same addresses (the number twice, as SMS and WhatsApp)
    let addresses = [
        bounced.clone(),
        opted_out.clone(),
        Destination::Whatsapp(PhoneE164::parse("+34600000001").unwrap()),
        Destination::Email(Email::parse("fine@example.cat").unwrap()),
    ];
    // THEN each hears only of its own suppressions, per channel
    assert_eq!(store.suppressed_among(&reus, &addresses).await.unwrap(), [bounced]);
    assert_eq!(store.suppressed_among(&lleida, &addresses).await.unwrap(), [opted_out]);
    assert!(store.suppressed_among(&reus, &[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_dispatcher_batchs_notices_are_read_in_batches_of_the_tenants_own() {
    let stack = stack().await;
    let store = store(&stack);
    let (reus, lleida) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    // GIVEN 120 notices of one tenant, and the other tenant's with the same ids for 5 of them
    let composed = fakes::Fakes::with_notice().await.notices.only();
    let notice = |tenant: &TenantId, n: u32| avisa_domain::notice::Notice {
        tenant_id: tenant.clone(),
        notice_id: NoticeId::parse(&format!("ntc-{n:04}")).unwrap(),
        channel_reason: format!("{tenant} {n}"),
        ..composed.clone()
    };
    for n in 0..120 {
        assert!(store.create(&notice(&reus, n)).await.unwrap());
    }
    for n in 115..120 {
        assert!(store.create(&notice(&lleida, n)).await.unwrap());
    }
    // WHEN 130 are asked for (more than one request takes), ten nobody's, one twice
    let mut asked: Vec<NoticeId> = (0..130).map(|n| NoticeId::parse(&format!("ntc-{n:04}")).unwrap()).collect();
    asked.push(asked[0].clone());
    let found = store.notices_among(&reus, &asked).await.unwrap();
    // THEN the tenant's 120 come back whole, once each, none of the other tenant's
    assert_eq!(found.len(), 120);
    assert!(found.iter().all(|n| n.tenant_id == reus && n.channel_reason.starts_with("aigues-reus")));
    assert!(found.iter().all(|n| n.messages == composed.messages));
    let theirs = store.notices_among(&lleida, &asked).await.unwrap();
    assert_eq!(theirs.len(), 5);
    assert!(store.notices_among(&reus, &[]).await.unwrap().is_empty());
}

/// A subscription of `tenant` to contract `n`'s outage alerts, for the mobile `+3469900{mobile}`.
pub(crate) fn subscription(tenant: &TenantId, n: u32, mobile: u32) -> AlertSubscription {
    let contract_id = contract(n);
    let mobile = PhoneE164::parse(&format!("+3469900{mobile:04}")).unwrap();
    AlertSubscription {
        subscriber_id: AlertSubscription::derive_id(tenant, &contract_id, Some(&mobile), None),
        tenant_id: tenant.clone(),
        contract_id,
        name: None,
        mobile: Some(mobile),
        email: None,
        language: avisa_domain::contact::Locale::It,
        subscribed_at: "2026-11-20T09:00:00Z".parse().unwrap(),
    }
}

#[tokio::test]
async fn the_subscribers_at_an_outages_supply_points_are_read_in_batches_of_the_tenants_own() {
    let stack = stack().await;
    let store = store(&stack);
    let client = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let (reus, lleida) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    let holder_key = |tenant: &TenantId, n: u32| {
        let pk = AttributeValue::S(format!("T#{tenant}#CONTRACT#{}", contract(n)));
        [("pk".to_owned(), pk), ("sk".to_owned(), AttributeValue::S("ACCOUNT".to_owned()))]
    };
    // GIVEN 150 households of one tenant and 15 of another, CT-0140 to CT-0154
    for n in 0..150 {
        household(&store, &reus, n).await;
    }
    for n in 140..155 {
        household(&store, &lleida, n).await;
    }
    // and subscribers: two at CT-0003, one at CT-0140 of each tenant, one at CT-0120 who
    // unsubscribed, one at CT-0121 whose subscription vanished after its mark (a failed unsubscribe)
    for (tenant, n, mobile) in [(&reus, 3, 1), (&reus, 3, 2), (&reus, 140, 3), (&lleida, 140, 4), (&reus, 120, 5)] {
        store.subscribe(&subscription(tenant, n, mobile)).await.unwrap();
    }
    let gone = subscription(&reus, 120, 5);
    assert!(store.unsubscribe(&reus, &gone.contract_id, &gone.subscriber_id).await.unwrap());
    let vanished = subscription(&reus, 121, 6);
    store.subscribe(&vanished).await.unwrap();
    client
        .delete_item()
        .table_name("avisa-Table")
        .key("pk", AttributeValue::S(format!("T#{reus}#CONTRACT#{}", contract(121))))
        .key("sk", AttributeValue::S(format!("ALERTSUB#{}", vanished.subscriber_id)))
        .send()
        .await
        .unwrap();
    // and one stored before subscriptions were marked on their contract (at CT-0007)
    let old = subscription(&reus, 7, 7);
    store.subscribe(&old).await.unwrap();
    client
        .update_item()
        .table_name("avisa-Table")
        .set_key(Some(holder_key(&reus, 7).into()))
        .update_expression("REMOVE alert_subscribers")
        .send()
        .await
        .unwrap();
    // and a subscription to a contract nobody holds is refused, storing nothing
    let nobodys = subscription(&reus, 999, 8);
    let refused = store.subscribe(&nobodys).await.unwrap_err();
    let why = std::error::Error::source(&refused).map(ToString::to_string).unwrap_or_default();
    assert!(why.contains("CT-0999 has no holder"), "{refused}: {why}");
    assert!(store.subscribers(&reus, &contract(999)).await.unwrap().is_empty());
    // WHEN 160 contracts are asked for (more than one request takes)
    let asked: Vec<ContractId> = (0..160).map(contract).collect();
    let found = store.subscribers_of(&reus, &asked).await.unwrap();
    // THEN the tenant's live, marked subscribers come back, by contract, the other tenant's not
    let ids = |found: &std::collections::BTreeMap<ContractId, Vec<AlertSubscription>>| -> Vec<(String, String)> {
        let all = found.iter().flat_map(|(c, subs)| {
            subs.iter().map(move |s| (c.to_string(), s.mobile.as_ref().unwrap().as_str().to_owned()))
        });
        all.collect()
    };
    let mut at_3 = vec![subscription(&reus, 3, 1), subscription(&reus, 3, 2)];
    at_3.sort_by(|a, b| a.subscriber_id.cmp(&b.subscriber_id));
    assert_eq!(found.get(&contract(3)), Some(&at_3));
    assert_eq!(
        ids(&found),
        [
            ("CT-0003".to_owned(), at_3[0].mobile.as_ref().unwrap().as_str().to_owned()),
            ("CT-0003".to_owned(), at_3[1].mobile.as_ref().unwrap().as_str().to_owned()),
            ("CT-0140".to_owned(), "+34699000003".to_owned()),
        ]
    );
    let theirs = store.subscribers_of(&lleida, &asked).await.unwrap();
    assert_eq!(ids(&theirs), [("CT-0140".to_owned(), "+34699000004".to_owned())]);
    // and the unsubscribed one left no mark behind
    let unmarked = client.get_item().table_name("avisa-Table").set_key(Some(holder_key(&reus, 120).into()));
    let unmarked = unmarked.send().await.unwrap().item.unwrap();
    assert!(!unmarked.contains_key("alert_subscribers"), "{unmarked:?}");
    // WHEN the subscriptions stored before marks are marked (as `avisa mark-subscriptions` does)
    let marked = store.mark_existing_subscriptions().await.unwrap();
    // THEN every stored subscription is marked, and the old one is found with the rest
    assert_eq!(marked, 5, "CT-0003 twice, CT-0140 of each tenant, CT-0007");
    let found = store.subscribers_of(&reus, &asked).await.unwrap();
    assert_eq!(found.get(&contract(7)), Some(&vec![old]));
    assert_eq!(found.values().map(Vec::len).sum::<usize>(), 4);
    // and marking again changes nothing
    assert_eq!(store.mark_existing_subscriptions().await.unwrap(), 5);
    assert_eq!(store.subscribers_of(&reus, &asked).await.unwrap(), found);
}
