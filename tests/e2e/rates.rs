//! The send-rate budgets against moto: per tenant, channel and second, the deployment's shared
//! one, taken in blocks by many dispatchers at once, and urgent sends kept ahead of routine ones.

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use jiff::Timestamp;

use crate::support::stack;

fn store(stack: &avisa_local::LocalStack) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table")
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_send_rate_budget_is_shared_per_tenant_channel_and_second() {
    use avisa_domain::channel::Channel;
    use avisa_domain::ports::Priority::Routine;
    use avisa_domain::ports::{RateLimiter, RateScope};
    let stack = stack().await;
    let limiter = store(&stack);
    let tenant = TenantId::parse("t").unwrap();
    let now = at("2026-11-20T09:00:00Z");
    assert!(limiter.take(RateScope::Tenant(&tenant), Channel::Sms, 2, 3, Routine, now).await.unwrap());
    assert!(
        !limiter.take(RateScope::Tenant(&tenant), Channel::Sms, 2, 3, Routine, now).await.unwrap(),
        "2 + 2 parts > 3 per second"
    );
    assert!(limiter.take(RateScope::Tenant(&tenant), Channel::Sms, 1, 3, Routine, now).await.unwrap());
    assert!(
        limiter.take(RateScope::Tenant(&tenant), Channel::Email, 1, 3, Routine, now).await.unwrap(),
        "another channel, another budget"
    );
    assert!(
        limiter
            .take(RateScope::Tenant(&tenant), Channel::Sms, 3, 3, Routine, at("2026-11-20T09:00:01Z"))
            .await
            .unwrap(),
        "the next second"
    );
    // the deployment's shared budget is neither tenant's: whole while the tenant's is spent, then spent
    let deployment = RateScope::Deployment;
    assert!(limiter.take(deployment, Channel::Sms, 3, 3, Routine, now).await.unwrap(), "the deployment's own budget");
    assert!(!limiter.take(deployment, Channel::Sms, 1, 3, Routine, now).await.unwrap(), "3 + 1 parts > 3 per second");
}

#[tokio::test]
async fn dispatchers_take_the_send_budget_in_blocks_and_never_more_than_it_in_all() {
    use avisa_domain::channel::Channel;
    use avisa_domain::ports::Priority::Routine;
    use avisa_domain::ports::{RateLimiter, RateScope};
    // GIVEN two warm dispatchers sharing a tenant's budget of 8 emails a second
    let stack = stack().await;
    let sdk = stack.sdk_for("notice-dispatcher");
    let dispatcher = || DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "avisa-Table");
    let dispatchers = [dispatcher(), dispatcher()];
    let (tenant, other) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    let now = at("2026-11-20T09:00:00Z");
    let updates = || stack.proxy().calls().iter().filter(|c| c.authorised[0].action == "dynamodb:UpdateItem").count();
    // WHEN they send, one email at a time, taking turns
    let mut taken = 0;
    for turn in 0..8 {
        taken += usize::from(
            dispatchers[turn % 2].take(RateScope::Tenant(&tenant), Channel::Email, 1, 8, Routine, now).await.unwrap(),
        );
    }
    // THEN the eight sends cost four requests (blocks of a quarter of the budget)...
    assert_eq!(taken, 8);
    assert_eq!(updates(), 4, "one request per block of two");
    // ...and neither can take a ninth in that second, whatever it reserved
    for dispatcher in &dispatchers {
        assert!(
            !dispatcher.take(RateScope::Tenant(&tenant), Channel::Email, 1, 8, Routine, now).await.unwrap(),
            "over the second's budget"
        );
    }
    // ...nor asks again in that second once refused: the rest of a batch waits without a request
    let asked = updates();
    for dispatcher in &dispatchers {
        assert!(!dispatcher.take(RateScope::Tenant(&tenant), Channel::Email, 1, 8, Routine, now).await.unwrap());
    }
    assert_eq!(updates(), asked, "refused again without asking");
    // while another tenant's budget, and the next second's, are whole
    assert!(dispatchers[0].take(RateScope::Tenant(&other), Channel::Email, 1, 8, Routine, now).await.unwrap());
    assert!(
        dispatchers[1]
            .take(RateScope::Tenant(&tenant), Channel::Email, 1, 8, Routine, at("2026-11-20T09:00:01Z"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_urgent_send_refused_keeps_the_next_seconds_from_routine_sends_of_its_tenant_only() {
    use avisa_domain::channel::Channel;
    use avisa_domain::ports::Priority::{Routine, Urgent};
    use avisa_domain::ports::{RateLimiter, RateScope};
    // GIVEN a dispatcher, and a second one for the routine sends, 2 SMS parts a second
    let stack = stack().await;
    let sdk = stack.sdk_for("notice-dispatcher");
    let dispatcher = || DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "avisa-Table");
    let (urgent, routine) = (dispatcher(), dispatcher());
    let (tenant, other) = (TenantId::parse("aigues-reus").unwrap(), TenantId::parse("aigues-lleida").unwrap());
    let second = |s: u32| at(&format!("2026-11-20T09:00:{s:02}Z"));
    // WHEN outage alerts spend the second's budget and one more is refused
    assert!(urgent.take(RateScope::Tenant(&tenant), Channel::Sms, 2, 2, Urgent, second(0)).await.unwrap());
    assert!(!urgent.take(RateScope::Tenant(&tenant), Channel::Sms, 1, 2, Urgent, second(0)).await.unwrap());
    // THEN for the next seconds routine sends wait, while urgent ones take the budget
    for s in 1..=4 {
        assert!(
            !routine.take(RateScope::Tenant(&tenant), Channel::Sms, 1, 2, Routine, second(s)).await.unwrap(),
            "second {s}"
        );
    }
    assert!(urgent.take(RateScope::Tenant(&tenant), Channel::Sms, 2, 2, Urgent, second(2)).await.unwrap());
    // and another tenant's, another channel's, and a later second's routine sends go
    assert!(routine.take(RateScope::Tenant(&other), Channel::Sms, 1, 2, Routine, second(1)).await.unwrap());
    assert!(routine.take(RateScope::Tenant(&tenant), Channel::Email, 1, 2, Routine, second(1)).await.unwrap());
    assert!(routine.take(RateScope::Tenant(&tenant), Channel::Sms, 1, 2, Routine, second(5)).await.unwrap());
}
