//! Outages that need more than one planner's word: a second operator approves a large one, and
//! priority supply points (upstream's mark and staff's) are listed, alerted and briefed first —
//! against moto, each call checked against the template's roles.

use avisa_aws::DynamoStore;
use avisa_domain::ports::{AccountStore, TenantDirectory};
use avisa_domain::text::Text;
use avisa_local::schedules;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::outages::{Desk, TENANT, fire_and_deliver, plan, start, town};
use crate::support::stack;

#[tokio::test]
async fn a_large_outage_waits_for_a_second_operator_and_priority_supply_points_are_listed_and_briefed_first() {
    use avisa_domain::billing::PriorityKind;
    use avisa_domain::ports::PriorityMarks;
    // GIVEN 300 households; at most 20 alerted by one operator; CT-0021 a hospital (upstream's
    // mark), CT-0042 a care home (staff's, stored through the console's role); another tenant's
    // contract of the same number marked too
    let stack = stack().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    town(&store).await;
    let tenant = avisa_domain::ids::TenantId::parse(TENANT).unwrap();
    let mut settings = avisa_domain::fakes::default_settings();
    settings.outages.call_centre_email =
        Some(avisa_domain::contact::Email::parse("centraleta@aigues-reus.cat").unwrap());
    settings.outages.approval_threshold = Some(20);
    settings.outages.priority_alert_hours_before = vec![96];
    settings.rate_limits.sms_parts_per_second = 1_000;
    store.put_settings(&tenant, &settings).await.unwrap();
    let contract = |id: &str| avisa_domain::ids::ContractId::parse(id).unwrap();
    let mut hospital = store.holder(&tenant, &contract("CT-0021")).await.unwrap().unwrap();
    hospital.supply_point.priority = Some(PriorityKind::Hospital);
    hospital.as_of += SignedDuration::from_secs(1);
    store.upsert_holder(&hospital).await.unwrap();
    let console = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk_for("staff-console")), "avisa-Table");
    let mark =
        avisa_domain::account::StaffPriority { kind: PriorityKind::CareHome, by: "Laia".into(), at: Timestamp::now() };
    assert!(console.mark_priority(&tenant, &contract("CT-0042"), Some(&mark)).await.unwrap());
    assert!(!console.mark_priority(&tenant, &contract("CT-9999"), Some(&mark)).await.unwrap(), "no such contract");
    let lleida = avisa_domain::ids::TenantId::parse("aigues-lleida").unwrap();
    let mut theirs = hospital.clone();
    theirs.tenant_id = lleida.clone();
    store.upsert_holder(&theirs).await.unwrap();
    // AND upstream's next update of the care home leaves staff's mark
    let mut care_home = store.holder(&tenant, &contract("CT-0042")).await.unwrap().unwrap();
    care_home.staff_priority = None;
    care_home.as_of += SignedDuration::from_secs(1);
    store.upsert_holder(&care_home).await.unwrap();
    assert_eq!(
        store.holder(&tenant, &contract("CT-0042")).await.unwrap().unwrap().priority(),
        Some(PriorityKind::CareHome)
    );
    let desk = Desk::new(&stack).await;
    let second = avisa_domain::operators::Operator::issued(
        tenant.clone(),
        Text::parse("laia.operadora").unwrap(),
        Timestamp::now(),
        1,
    );
    desk.app.register_operator("avisa_op_second", &second).await.unwrap();
    // WHEN jordi plans a polygon of 25 households and confirms it
    let polygon = json!({"polygon": {"type": "Polygon", "coordinates": [[
        [1.1000, 41.1500], [1.1050, 41.1500], [1.1050, 41.1550], [1.1000, 41.1550], [1.1000, 41.1500]
    ]]}});
    let start = start();
    let (_, planned) = desk.post("/outages", plan(start, &polygon)).await;
    // THEN the dry run lists the two priority supply points first and says it needs approval
    assert_eq!(
        planned["dry_run"]["priority"],
        json!([
            {"contract_id": "CT-0021", "kind": "hospital", "address": hospital.supply_point.address.as_str()},
            {"contract_id": "CT-0042", "kind": "care_home", "address": care_home.supply_point.address.as_str()},
        ])
    );
    assert_eq!(planned["dry_run"]["needs_approval"], true);
    let id = planned["outage"]["outage_id"].as_str().unwrap().to_owned();
    let (status, asked) = desk.post(&format!("/outages/{id}/confirm"), json!({})).await;
    assert_eq!((status, &asked["outage"]["status"]), (200, &json!("awaiting_approval")), "{asked}");
    assert!(schedules::list(&stack).await.unwrap().is_empty(), "nothing is scheduled before approval");
    // WHEN jordi approves it himself THEN he is refused with the reason
    let (status, refused) = desk.post(&format!("/outages/{id}/approve"), json!({})).await;
    assert_eq!((status, &refused["error"]), (403, &json!("second_person_required")), "{refused}");
    assert!(schedules::list(&stack).await.unwrap().is_empty());
    // WHEN laia approves it THEN the priority alert is scheduled first, then everyone's
    let approve = desk.call("POST", &format!("/outages/{id}/approve"), None, Some("avisa_op_second")).await;
    assert_eq!(approve.0, 200, "{}", approve.1);
    assert_eq!(approve.1["outage"]["approval"]["requested_by"], "jordi.operador");
    assert_eq!(approve.1["outage"]["approval"]["approved_by"], "laia.operadora");
    let mut dues: Vec<Timestamp> = schedules::list(&stack).await.unwrap().iter().map(|s| s.due).collect();
    dues.sort();
    let before = |h: i64| start - SignedDuration::from_hours(h);
    assert_eq!(dues, [before(96), before(48), before(2)]);
    // WHEN the priority alert fires THEN only the two are texted, and the call centre's briefing names them
    assert_eq!(fire_and_deliver(&stack, before(96)).await, 1);
    let sent = stack.moto().sent().unwrap();
    let mut texted: Vec<&str> = sent.sms.iter().map(|s| s.phone_number.as_str()).collect();
    texted.sort_unstable();
    assert_eq!(texted, ["+34600200021", "+34600200042"]);
    let briefing = sent.emails.iter().find(|e| e.destinations.to == ["centraleta@aigues-reus.cat"]).unwrap();
    assert!(briefing.body.contains("només als clients prioritaris"), "{}", briefing.body);
    assert!(
        briefing.body.contains("hospital · CT-0021") && briefing.body.contains("residència · CT-0042"),
        "{}",
        briefing.body
    );
    // AND everyone's 48 h alert reaches all 25 who have a mobile or email, the two a second time
    assert_eq!(fire_and_deliver(&stack, before(48)).await, 1);
    assert_eq!(stack.moto().sent().unwrap().sms.len(), 2 + 20);
    assert_eq!(stack.violations(), Vec::<String>::new());
}
