use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::billing::Coordinates;
use crate::error::{Error, RejectionCode};
use crate::fakes::{self, Fakes};
use crate::notice::Destination;
use crate::outage::ports::OutageStore;
use crate::ports::{AccountStore, NoticeScheduler, Scheduled, Suppressions, TenantDirectory};
use crate::tenant::TenantSettings;

const NOW: &str = "2026-11-20T09:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn sector(name: &str) -> SectorId {
    SectorId::parse(name).unwrap()
}

/// A citizen of the test town: contract `CT-{n}` in `sector` at (lon, lat).
struct Citizen {
    n: u32,
    sector: &'static str,
    at: Option<(f64, f64)>,
    mobile: bool,
    email: bool,
    consent: bool,
    language: Locale,
}

impl Citizen {
    fn new(n: u32, sector: &'static str) -> Self {
        Self { n, sector, at: None, mobile: true, email: true, consent: true, language: Locale::Ca }
    }
}

async fn add(f: &Fakes, citizen: &Citizen) -> ContractId {
    let contract_id = ContractId::parse(&format!("CT-{:04}", citizen.n)).unwrap();
    let customer_id = CustomerId::parse(&format!("CU-{:04}", citizen.n)).unwrap();
    let mut profile = fakes::customer_profile();
    profile.customer_id = customer_id.clone();
    profile.language = Some(citizen.language);
    profile.mobile = citizen.mobile.then(|| PhoneE164::parse(&format!("+3460011{:04}", citizen.n)).unwrap());
    profile.email = citizen.email.then(|| Email::parse(&format!("c{}@example.cat", citizen.n)).unwrap());
    profile.consents.service = citizen.consent;
    f.accounts.upsert_customer(&profile).await.unwrap();
    let mut holder = fakes::contract_holder();
    holder.contract_id = contract_id.clone();
    holder.customer_id = customer_id;
    holder.supply_point.network_sector = sector(citizen.sector);
    holder.supply_point.coordinates = citizen.at.map(|(lon, lat)| Coordinates { lat, lon });
    f.accounts.upsert_holder(&holder).await.unwrap();
    contract_id
}

async fn with_settings(f: &Fakes, change: impl FnOnce(&mut TenantSettings)) {
    let mut settings = fakes::default_settings();
    change(&mut settings);
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
}

fn plan(start_in_hours: i64, area: OutageArea) -> OutagePlan {
    let start = now() + SignedDuration::from_hours(start_in_hours);
    OutagePlan {
        tenant_id: fakes::tenant(),
        kind: OutageType::Interruption,
        start,
        expected_end: start + SignedDuration::from_hours(5),
        area,
        note: Some(Text::parse("Valve replacement in Carrer de Sant Joan").unwrap()),
    }
}

fn sectors(names: &[&str]) -> OutageArea {
    OutageArea::NetworkSectors(names.iter().map(|n| sector(n)).collect())
}

fn rejection_code(error: &Error) -> RejectionCode {
    match error {
        Error::Rejected(rejection) => rejection.code,
        other => panic!("not a rejection: {other:?}"),
    }
}

/// Plans and confirms an outage in sector N1 starting in five days.
async fn confirmed(f: &Fakes) -> Outage {
    let desk = f.outage_desk();
    let (outage, _) = desk.plan("maria.operator", plan(120, sectors(&["N1"]))).await.unwrap();
    desk.confirm("maria.operator", &outage.tenant_id, &outage.outage_id).await.unwrap().outage
}

/// What an alert did once fired and every chunk of it composed, as its send counts it.
struct Fired {
    recipients: u64,
    by_channel: std::collections::BTreeMap<Channel, u64>,
    unreachable: u64,
    briefing: String,
}

/// Fires `due` and composes its chunks, as the compose queue's consumer does.
async fn fire(f: &Fakes, due: &OutageAlertDue) -> Result<crate::applies::Applies<Fired>, Error> {
    use crate::applies::Applies;
    let alerts = f.outage_alerts();
    let fanned = match alerts.fire(due).await? {
        Applies::Yes(fanned) => fanned,
        Applies::No(reason) => return Ok(Applies::No(reason)),
    };
    let mut briefing = fanned.briefing;
    for chunk in f.alert_chunks() {
        assert!(chunk.contracts.len() <= crate::sends::CHUNK_CONTRACTS);
        if let Applies::Yes(done) = alerts.compose_chunk(&chunk).await? {
            briefing = done.briefing.or(briefing);
        }
    }
    let status = crate::sends::SendStatus::of(
        &f.sends.record(&due.tenant_id, &due.key()),
        &crate::tenant::RateLimits::default(),
        crate::clock::Clock::now(&f.clock),
    );
    Ok(Applies::Yes(Fired {
        recipients: status.recipients,
        by_channel: status.composed,
        unreachable: status.unreachable,
        briefing: briefing.unwrap_or_default(),
    }))
}

fn due_of(outage: &Outage, label: &str) -> OutageAlertDue {
    outage.due(outage.alerts.iter().find(|a| a.label == label).unwrap())
}

// ---------------------------------------------------------------- alert times

#[test]
fn alerts_go_at_each_alert_time_and_at_once_for_those_already_past() {
    let labels = |hours: i64, priority: &[u32]| {
        let outage = Outage {
            tenant_id: fakes::tenant(),
            outage_id: OutageId::parse("o-1").unwrap(),
            kind: OutageType::Interruption,
            window: Window {
                start: now() + SignedDuration::from_hours(hours),
                expected_end: now() + SignedDuration::from_hours(hours + 4),
            },
            area: sectors(&["N1"]),
            note: None,
            status: OutageStatus::Planned,
            revision: 1,
            alerts: vec![],
            announced: false,
            previous_window: None,
            time_zone: fakes::default_settings().time_zone,
            changes: vec![],
            approval: None,
            version: 0,
        };
        let settings = OutageSettings {
            alert_hours_before: vec![2, 48],
            priority_alert_hours_before: priority.to_vec(),
            ..OutageSettings::default()
        };
        outage.advance_alerts(&settings, now()).into_iter().map(|a| (a.label, a.at)).collect::<Vec<_>>()
    };
    let start = |hours: i64| now() + SignedDuration::from_hours(hours);
    let at_once = now() + SignedDuration::from_mins(1);
    assert_eq!(
        labels(120, &[]),
        vec![("48h".into(), start(120 - 48)), ("2h".into(), start(120 - 2))],
        "both alert times ahead"
    );
    assert_eq!(
        labels(30, &[]),
        vec![("now".into(), at_once), ("2h".into(), start(28))],
        "48 h before is past: told at once, and again 2 h before"
    );
    assert_eq!(labels(1, &[]), vec![("now".into(), at_once)], "only at once");
    assert_eq!(
        labels(120, &[96, 72]),
        vec![
            ("priority-96h".into(), start(120 - 96)),
            ("priority-72h".into(), start(120 - 72)),
            ("48h".into(), start(120 - 48)),
            ("2h".into(), start(120 - 2))
        ],
        "priority supply points first, soonest first"
    );
    assert_eq!(
        labels(80, &[96, 72]),
        vec![
            ("priority-now".into(), at_once),
            ("priority-72h".into(), start(80 - 72)),
            ("48h".into(), start(80 - 48)),
            ("2h".into(), start(80 - 2))
        ],
        "96 h before is past: priority told at once"
    );
    assert_eq!(
        labels(30, &[96]),
        vec![("now".into(), at_once), ("2h".into(), start(28))],
        "everyone is told at once: no second message at once for priority"
    );
}

#[tokio::test]
async fn a_plan_in_the_past_backwards_or_nowhere_is_refused_with_the_reason() {
    let f = Fakes::default();
    let desk = f.outage_desk();
    let cases = [
        (plan(-1, sectors(&["N1"])), "not in the future"),
        (OutagePlan { expected_end: now(), ..plan(5, sectors(&["N1"])) }, "after start"),
        (
            OutagePlan { expected_end: now() + SignedDuration::from_hours(24 * 20), ..plan(5, sectors(&["N1"])) },
            "14 days",
        ),
        (plan(5, sectors(&[])), "1 to 200 sectors"),
    ];
    for (plan, reason) in cases {
        let error = desk.plan("op", plan).await.unwrap_err();
        assert_eq!(rejection_code(&error), RejectionCode::InvalidField);
        assert!(error.to_string().contains(reason), "{error} should say {reason}");
    }
}

#[test]
fn a_plan_body_with_a_wrong_field_names_it() {
    let body = br#"{"tenant_id": "aigues-reus", "type": "flood", "start": "2026-12-03T08:00:00+01:00",
        "expected_end": "2026-12-03T13:00:00+01:00", "area": {"network_sectors": ["N1"]}}"#;
    let error = OutagePlan::parse(body).unwrap_err();
    assert_eq!(rejection_code(&error), RejectionCode::InvalidJson);
    assert!(error.to_string().contains("type"), "{error}");
}

// ---------------------------------------------------------------- targeting and dry run

#[tokio::test]
async fn the_dry_run_counts_who_is_reached_how_and_who_is_not() {
    // GIVEN sector N1 with five households of every kind, one more in N2, and a subscriber
    let f = Fakes::default();
    with_settings(&f, |s| {
        s.outages.sms_part_price = Some(Money {
            amount: crate::money::Amount::from_minor(7),
            currency: crate::money::Currency::parse("EUR").unwrap(),
        });
    })
    .await;
    add(&f, &Citizen::new(1, "N1")).await;
    add(&f, &Citizen { language: Locale::Es, ..Citizen::new(2, "N1") }).await;
    add(&f, &Citizen { mobile: false, ..Citizen::new(3, "N1") }).await;
    add(&f, &Citizen { consent: false, ..Citizen::new(4, "N1") }).await;
    add(&f, &Citizen { mobile: false, email: false, ..Citizen::new(5, "N1") }).await;
    add(&f, &Citizen::new(6, "N2")).await;
    let desk = f.outage_desk();
    let building = ContractId::parse("CT-0001").unwrap();
    desk.subscribe(Subscribe {
        tenant_id: fakes::tenant(),
        contract_id: building,
        name: None,
        mobile: Some(PhoneE164::parse("+34600999111").unwrap()),
        email: None,
        language: Locale::It,
    })
    .await
    .unwrap();
    // WHEN the operator plans an outage of N1
    let single_reads = (f.accounts.single_reads(), f.suppressions.single_reads());
    let subscriber_reads = f.outages.subscriber_reads();
    let (outage, dry_run) = desk.plan("op", plan(120, sectors(&["N1"]))).await.unwrap();
    // THEN it read the households' customers, their addresses and the supply points' subscribers
    // together, not one by one (an outage may reach tens of thousands): only the subscriber's own
    // mobile was asked alone
    assert_eq!((f.accounts.single_reads(), f.suppressions.single_reads()), (single_reads.0, single_reads.1 + 1));
    assert_eq!(f.outages.subscriber_reads(), subscriber_reads, "no supply point's subscribers asked alone");
    // and the dry run says who is reached on which channel, and who is not and why
    assert_eq!(outage.status, OutageStatus::Planned);
    assert_eq!((dry_run.recipients, dry_run.contracts, dry_run.subscribers), (6, 5, 1));
    assert_eq!(dry_run.by_channel.get(&Channel::Sms), Some(&3), "1, 2 and the subscriber");
    assert_eq!(dry_run.by_channel.get(&Channel::Email), Some(&1), "3 has no mobile");
    assert_eq!((dry_run.unreachable, dry_run.without_mobile, dry_run.without_consent), (2, 2, 1));
    // and the SMS in each language it goes out in, with its parts and what it costs
    let locales: Vec<Locale> = dry_run.sms.iter().map(|p| p.locale).collect();
    assert_eq!(locales, vec![Locale::Ca, Locale::Es, Locale::It]);
    assert!(dry_run.sms.iter().all(|p| p.parts == 1 && p.text.starts_with("outage_alert/sms/")));
    assert_eq!((dry_run.sms_parts_per_alert, dry_run.alerts_planned), (3, 2));
    assert_eq!(dry_run.estimated_cost.unwrap().amount.minor(), 3 * 2 * 7);
    // and nothing was scheduled or sent
    assert!(f.scheduler.scheduled().is_empty());
    assert!(f.notices.all().is_empty());
}

#[tokio::test]
async fn a_suppressed_mobile_is_reached_by_email_instead() {
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    let mobile = Destination::Sms(PhoneE164::parse("+34600110001").unwrap());
    f.suppressions.suppress(&fakes::tenant(), &mobile, "opted out", now()).await.unwrap();
    let (_, dry_run) = f.outage_desk().plan("op", plan(120, sectors(&["N1"]))).await.unwrap();
    assert_eq!(dry_run.by_channel.get(&Channel::Email), Some(&1));
    assert_eq!(dry_run.by_channel.get(&Channel::Sms), None);
}

#[tokio::test]
async fn a_polygon_reaches_the_supply_points_inside_it_only() {
    // GIVEN a 10 x 10 grid of supply points 0.002° apart (about 200 m)
    let f = Fakes::default();
    for i in 0..100u32 {
        let (x, y) = (f64::from(i % 10), f64::from(i / 10));
        add(&f, &Citizen { at: Some((1.10 + x * 0.002, 41.15 + y * 0.002)), ..Citizen::new(i + 1, "N1") }).await;
    }
    // WHEN the outage is the south-west quarter (x and y below 4.5)
    let polygon =
        Polygon::new(vec![vec![[1.099, 41.149], [1.109, 41.149], [1.109, 41.159], [1.099, 41.159], [1.099, 41.149]]])
            .unwrap();
    let (_, dry_run) = f.outage_desk().plan("op", plan(120, OutageArea::Polygon(polygon))).await.unwrap();
    // THEN exactly the 25 inside it are reached
    assert_eq!(dry_run.recipients, 25);
}

mod approval;
mod firing;
mod priority;
