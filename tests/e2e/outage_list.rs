//! The tenant's outages listed (`GET /outages`): the latest start first, only the token's tenant's.

use avisa_domain::text::Text;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::outages::{Desk, TENANT, TOKEN, plan, start};
use crate::support::stack;

#[tokio::test]
async fn outages_are_listed_latest_first_and_only_the_tokens_tenants() {
    // GIVEN two outages of the tenant, and one of another tenant with its own token
    let stack = stack().await;
    let desk = Desk::new(&stack).await;
    let (early, late) = (start(), start() + SignedDuration::from_hours(48));
    for at in [early, late] {
        let (status, planned) = desk.post("/outages", plan(at, &json!({"network_sectors": ["REUS-N1"]}))).await;
        assert_eq!(status, 201, "{planned}");
    }
    let other = avisa_domain::operators::Operator::issued(
        avisa_domain::ids::TenantId::parse("ajuntament-manresa").unwrap(),
        Text::parse("manresa").unwrap(),
        Timestamp::now(),
        1,
    );
    desk.app.register_operator("manresa-token", &other).await.unwrap();
    let mut theirs = plan(early, &json!({"network_sectors": ["MAN-1"]}));
    theirs["tenant_id"] = json!("ajuntament-manresa");
    assert_eq!(desk.call("POST", "/outages", Some(theirs), Some("manresa-token")).await.0, 201);
    // WHEN the tenant lists its outages
    let (status, listed) = desk.call("GET", "/outages", None, Some(TOKEN)).await;
    // THEN it sees its two, the latest start first, and not the other tenant's
    assert_eq!(status, 200, "{listed}");
    let starts: Vec<Timestamp> = listed["outages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["window"]["start"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(starts, vec![late, early], "{listed}");
    assert!(listed["outages"].as_array().unwrap().iter().all(|o| o["tenant_id"] == TENANT));
    let (_, theirs) = desk.call("GET", "/outages", None, Some("manresa-token")).await;
    assert_eq!(theirs["outages"].as_array().map(Vec::len), Some(1), "{theirs}");
}
