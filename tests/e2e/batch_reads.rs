//! The reads made in batches against moto — a chunk's holders, customers and suppressions, a
//! dispatcher batch's notices: more keys than one request takes, keys that are missing, and
//! another tenant's with the same ids.

use avisa_aws::DynamoStore;
use avisa_domain::contact::{Email, PhoneE164};
use avisa_domain::fakes;
use avisa_domain::ids::{ContractId, CustomerId, NoticeId, TenantId};
use avisa_domain::notice::Destination;
use avisa_domain::ports::{AccountStore, NoticeStore, Suppressions};

use crate::support::stack;

fn store(stack: &avisa_local::LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table")
}

fn contract(n: u32) -> ContractId {
    ContractId::parse(&format!("CT-{n:04}")).unwrap()
}

fn customer(n: u32) -> CustomerId {
    CustomerId::parse(&format!("CU-{n:04}")).unwrap()
}

/// Household `n` of `tenant`: a holder and its customer, named after the tenant.
async fn household(store: &DynamoStore, tenant: &TenantId, n: u32) {
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
