//! Hospitals, care homes and medically dependent households: listed first, alerted earlier.

use super::*;
use crate::account::StaffPriority;
use crate::billing::PriorityKind;
use crate::ports::PriorityMarks;

/// CT-0001 a hospital (upstream's mark), CT-0002 a care home (staff's mark), CT-0003 an ordinary
/// household, a subscriber behind the hospital's meter; priority alerts 96 h ahead.
async fn town() -> Fakes {
    let f = Fakes::default();
    with_settings(&f, |s| {
        s.outages.priority_alert_hours_before = vec![96];
        s.outages.call_centre_email = Some(Email::parse("centraleta@aigues-reus.cat").unwrap());
    })
    .await;
    for n in 1..=3 {
        add(&f, &Citizen::new(n, "N1")).await;
    }
    let mut hospital =
        f.accounts.holder(&fakes::tenant(), &ContractId::parse("CT-0001").unwrap()).await.unwrap().unwrap();
    hospital.supply_point.priority = Some(PriorityKind::Hospital);
    f.accounts.upsert_holder(&hospital).await.unwrap();
    let mark = StaffPriority { kind: PriorityKind::CareHome, by: "Laia".into(), at: now() };
    let care_home = ContractId::parse("CT-0002").unwrap();
    assert!(f.accounts.mark_priority(&fakes::tenant(), &care_home, Some(&mark)).await.unwrap());
    f.outage_desk()
        .subscribe(Subscribe {
            tenant_id: fakes::tenant(),
            contract_id: ContractId::parse("CT-0001").unwrap(),
            name: None,
            mobile: Some(PhoneE164::parse("+34600999111").unwrap()),
            email: None,
            language: Locale::Es,
        })
        .await
        .unwrap();
    f
}

#[tokio::test]
async fn the_dry_run_lists_priority_supply_points_first() {
    let f = town().await;
    let (_, dry_run) = f.outage_desk().plan("op", plan(120, sectors(&["N1"]))).await.unwrap();
    let listed: Vec<(&str, PriorityKind)> = dry_run.priority.iter().map(|p| (p.contract_id.as_str(), p.kind)).collect();
    assert_eq!(listed, vec![("CT-0001", PriorityKind::Hospital), ("CT-0002", PriorityKind::CareHome)]);
    assert_eq!(dry_run.recipients, 4, "three households and the subscriber");
    assert_eq!(dry_run.alerts_planned, 2, "the cost counts everyone's alerts, not the priority one");
}

#[tokio::test]
async fn priority_supply_points_are_alerted_earlier_and_only_they() {
    // GIVEN the outage confirmed five days ahead
    let f = town().await;
    let outage = confirmed(&f).await;
    let labels: Vec<&str> = outage.alerts.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, vec!["priority-96h", "48h", "2h"]);
    // WHEN the priority alert fires
    let fired = fire(&f, &due_of(&outage, "priority-96h")).await.unwrap().unwrap();
    // THEN only the hospital and the care home are told (not the subscriber behind the meter)
    assert_eq!(fired.recipients, 2);
    let mut told: Vec<String> =
        f.notices.all().iter().filter_map(|n| n.contract_id.as_ref().map(ToString::to_string)).collect();
    told.sort();
    assert_eq!(told, vec!["CT-0001", "CT-0002"]);
    assert_eq!(fired.briefing, "sent");
    // WHEN everyone's 48 h alert fires THEN everyone is told, the priority ones a second time
    let fired = fire(&f, &due_of(&outage, "48h")).await.unwrap().unwrap();
    assert_eq!(fired.recipients, 4);
    assert_eq!(f.dispatch.jobs().len(), 2 + 4);
}

#[tokio::test]
async fn a_staff_mark_outlives_upstreams_next_update() {
    // GIVEN the care home marked by staff
    let f = town().await;
    let id = ContractId::parse("CT-0002").unwrap();
    let mut again = f.accounts.holder(&fakes::tenant(), &id).await.unwrap().unwrap();
    // WHEN upstream sends the contract again, without a mark of its own
    again.staff_priority = None;
    again.supply_point.priority = None;
    again.as_of = now() + SignedDuration::from_hours(1);
    f.accounts.upsert_holder(&again).await.unwrap();
    // THEN the staff's mark stays
    let stored = f.accounts.holder(&fakes::tenant(), &id).await.unwrap().unwrap();
    assert_eq!(stored.priority(), Some(PriorityKind::CareHome));
    // WHEN staff removes it THEN the contract is ordinary again; an unknown contract is said so
    assert!(f.accounts.mark_priority(&fakes::tenant(), &id, None).await.unwrap());
    assert_eq!(f.accounts.holder(&fakes::tenant(), &id).await.unwrap().unwrap().priority(), None);
    let unknown = ContractId::parse("CT-7777").unwrap();
    assert!(!f.accounts.mark_priority(&fakes::tenant(), &unknown, None).await.unwrap());
}
