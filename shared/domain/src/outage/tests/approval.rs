//! A second planner approves an outage that reaches more people than the tenant lets one alert.

use super::*;

/// Three households in N1, a second tenant's in N1 too, and a threshold of `threshold`.
async fn town(threshold: Option<u32>) -> Fakes {
    let f = Fakes::default();
    for n in 1..=3 {
        add(&f, &Citizen::new(n, "N1")).await;
    }
    let mut other = fakes::contract_holder();
    other.tenant_id = TenantId::parse("aigues-lleida").unwrap();
    other.contract_id = ContractId::parse("CT-9999").unwrap();
    other.supply_point.network_sector = sector("N1");
    f.accounts.upsert_holder(&other).await.unwrap();
    with_settings(&f, |s| s.outages.approval_threshold = threshold).await;
    f
}

#[tokio::test]
async fn an_outage_over_the_threshold_waits_for_a_second_planner() {
    // GIVEN a tenant whose planners may alert at most 2 people alone, and an outage reaching 3
    let f = town(Some(2)).await;
    let desk = f.outage_desk();
    let (outage, dry_run) = desk.plan("Maria", plan(120, sectors(&["N1"]))).await.unwrap();
    assert_eq!(dry_run.recipients, 3, "the other tenant's household is not counted");
    assert!(dry_run.needs_approval, "the dry run says so before anyone confirms");
    let (t, id) = (&outage.tenant_id, &outage.outage_id);
    // WHEN its planner confirms it
    let asked = desk.confirm("Maria", t, id).await.unwrap().outage;
    // THEN nothing is scheduled: it awaits approval, naming who asked and why
    assert_eq!(asked.status, OutageStatus::AwaitingApproval);
    assert!(f.scheduler.scheduled().is_empty(), "{:?}", f.scheduler.scheduled());
    let approval = asked.approval.clone().unwrap();
    assert_eq!((approval.requested_by.as_str(), approval.recipients, approval.threshold), ("Maria", 3, 2));
    // WHEN she approves it herself THEN she is refused, and still nothing is scheduled
    let error = desk.approve("Maria", t, id).await.unwrap_err();
    assert_eq!(rejection_code(&error), RejectionCode::SecondPersonRequired);
    assert!(error.to_string().contains("another planner"), "{error}");
    assert!(f.scheduler.scheduled().is_empty());
    // WHEN a second planner approves it THEN its alerts are scheduled and both names are kept
    let approved = desk.approve("Joan", t, id).await.unwrap();
    assert!(approved.changed);
    assert_eq!(approved.outage.status, OutageStatus::Confirmed);
    assert_eq!(f.scheduler.scheduled().len(), 2);
    let approval = approved.outage.approval.clone().unwrap();
    assert_eq!((approval.requested_by.as_str(), approval.approved_by.as_deref()), ("Maria", Some("Joan")));
    let actions: Vec<(&str, &str)> =
        approved.outage.changes.iter().map(|c| (c.by.as_str(), c.action.as_str())).collect();
    assert_eq!(actions, vec![("Maria", "planned"), ("Maria", "approval_requested"), ("Joan", "approved")]);
    // WHEN approved again (a second click) THEN nothing changes
    assert!(!desk.approve("Pere", t, id).await.unwrap().changed);
    assert_eq!(f.scheduler.scheduled().len(), 2);
}

#[tokio::test]
async fn at_or_under_the_threshold_or_without_one_confirming_is_enough() {
    for threshold in [Some(3), None] {
        // GIVEN an outage reaching 3 and a threshold of 3 (or none)
        let f = town(threshold).await;
        let desk = f.outage_desk();
        let (outage, dry_run) = desk.plan("Maria", plan(120, sectors(&["N1"]))).await.unwrap();
        assert!(!dry_run.needs_approval);
        // WHEN confirmed THEN the alerts are scheduled at once
        let confirmed = desk.confirm("Maria", &outage.tenant_id, &outage.outage_id).await.unwrap().outage;
        assert_eq!(confirmed.status, OutageStatus::Confirmed, "threshold {threshold:?}");
        assert_eq!(confirmed.approval, None);
        assert_eq!(f.scheduler.scheduled().len(), 2);
    }
}

#[tokio::test]
async fn an_outage_awaiting_approval_can_be_cancelled_and_then_not_approved() {
    let f = town(Some(1)).await;
    let desk = f.outage_desk();
    let (outage, _) = desk.plan("Maria", plan(120, sectors(&["N1"]))).await.unwrap();
    let (t, id) = (&outage.tenant_id, &outage.outage_id);
    desk.confirm("Maria", t, id).await.unwrap();
    let cancelled = desk.cancel("Joan", t, id).await.unwrap().outage;
    assert_eq!(cancelled.status, OutageStatus::Cancelled);
    assert!(cancelled.alerts.is_empty());
    let error = desk.approve("Joan", t, id).await.unwrap_err();
    assert_eq!(rejection_code(&error), RejectionCode::InvalidTransition);
    assert!(f.scheduler.scheduled().is_empty());
}

#[test]
fn a_threshold_of_zero_is_refused_with_what_to_write() {
    let mut settings = fakes::default_settings();
    settings.outages.approval_threshold = Some(0);
    let why = settings.check().unwrap_err();
    assert!(why.contains("outages.approval_threshold"), "{why}");
}
