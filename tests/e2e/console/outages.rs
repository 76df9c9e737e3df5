//! Outages listed and planned on the map in the browser.

use super::{Console, PASSWORD, audited};

#[tokio::test]
async fn a_planner_sees_the_tenants_outages_upcoming_first_with_their_alerts_and_who_did_what() {
    use crate::outages::{Desk, plan, start};
    // GIVEN an outage planned and confirmed, and another planned and cancelled, through the API
    let console = Console::start().await;
    let desk = Desk::new(&console.line.stack).await;
    let mut ids = Vec::new();
    for (hours, then) in [(0, "confirm"), (24, "cancel")] {
        let at = start() + jiff::SignedDuration::from_hours(hours);
        let (status, planned) =
            desk.post("/outages", plan(at, &serde_json::json!({"network_sectors": ["REUS-N1"]}))).await;
        assert_eq!(status, 201, "{planned}");
        let id = planned["outage"]["outage_id"].as_str().unwrap().to_owned();
        let (status, done) = desk.post(&format!("/outages/{id}/{then}"), serde_json::json!({})).await;
        assert_eq!(status, 200, "{then}: {done}");
        ids.push(id);
    }
    console.add_member("pere", "Pere", "aigues-reus", &["planner"]).await;
    // WHEN a planner signs in THEN the outages are their page: the confirmed one ahead, the cancelled one over
    let browser = &console.browser;
    console.sign_in("pere", PASSWORD).await;
    assert!(browser.url().await.unwrap().ends_with("/outages"), "a planner lands on the outages");
    let ahead = browser.text("#ahead").await.unwrap();
    assert!(ahead.contains(&ids[0]) && ahead.contains("sectors REUS-N1 confirmed 2"), "{ahead}");
    assert!(browser.text("#over").await.unwrap().contains(&format!("{} ", ids[1])));
    browser.screenshot("outages").await.unwrap();
    // WHEN the planner opens the confirmed one THEN its alerts and who did what are shown
    browser.follow(&format!("a[href='/outages/{}']", ids[0])).await.unwrap();
    let alerts = browser.text("#alerts").await.unwrap();
    assert!(alerts.contains("48h advance scheduled") && alerts.contains("2h advance scheduled"), "{alerts}");
    let timeline = browser.text("#timeline").await.unwrap();
    assert!(timeline.contains("jordi.operador planned") && timeline.contains("jordi.operador confirmed"), "{timeline}");
    browser.screenshot("outage").await.unwrap();
    // AND the planner opens neither the inbox nor another tenant's outage
    browser.goto(&console.at("/inbox")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    browser.goto(&console.at("/outages/o-of-someone-else")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_planner_draws_an_outage_on_the_map_sees_the_dry_run_match_the_supply_points_inside_and_confirms() {
    use avisa_domain::billing::Coordinates;
    use avisa_domain::outage::MapCenter;
    // GIVEN 300 supply points on a grid 0.001° apart, the tenant's map centred on its corner
    let console = Console::start_with(|settings| {
        settings.outages.map_center = Some(MapCenter(Coordinates { lat: 41.1525, lon: 1.1025 }));
    })
    .await;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&console.line.stack.sdk), "avisa-Table");
    crate::outages::town(&store).await;
    console.add_member("pere", "Pere", "aigues-reus", &["planner"]).await;
    let browser = &console.browser;
    console.sign_in("pere", PASSWORD).await;
    browser.follow("#plan-outage").await.unwrap();
    // WHEN the planner gives the window and clicks four corners around 5 x 5 supply points
    let madrid = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
    let start = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(240)).to_zoned(madrid).datetime();
    let local = |at: jiff::civil::DateTime| at.strftime("%Y-%m-%dT%H:00").to_string();
    let window = format!(
        "document.querySelector('#start').value = '{}'; document.querySelector('#end').value = '{}'",
        local(start),
        local(start + jiff::SignedDuration::from_hours(4))
    );
    browser.execute(&window).await.unwrap();
    for (lat, lon) in [(41.1500, 1.1000), (41.1500, 1.1050), (41.1550, 1.1050), (41.1550, 1.1000)] {
        let script = format!(
            "const p = window.avisaMap.latLngToContainerPoint([{lat}, {lon}]); const s = window.avisaMap.getSize(); \
             return [Math.round(p.x - s.x / 2), Math.round(p.y - s.y / 2)]"
        );
        let offset = browser.execute(&script).await.unwrap();
        browser.click_at("#map", offset[0].as_i64().unwrap(), offset[1].as_i64().unwrap()).await.unwrap();
    }
    assert_eq!(browser.text("#corners").await.unwrap(), "4 corners: the area is drawn");
    browser.screenshot("outage-drawn").await.unwrap();
    browser.follow("#plan-form button[type=submit]").await.unwrap();
    // THEN the dry run reaches exactly the 25 supply points inside, shown on the map, and nothing is sent yet
    assert_eq!(browser.text("#status").await.unwrap(), "planned");
    assert_eq!(browser.text("#recipients").await.unwrap(), "25 (25 contracts, 0 subscribers)");
    let markers =
        browser.execute("return document.querySelectorAll('#map path.leaflet-interactive').length").await.unwrap();
    assert_eq!(markers, 26, "25 supply points and the area");
    let sms = browser.text("#sms").await.unwrap();
    assert!(sms.contains("ca") && sms.contains("es"), "each language's SMS: {sms}");
    browser.execute("document.querySelector('#map').scrollIntoView({block: 'end'})").await.unwrap();
    browser.screenshot("outage-dry-run").await.unwrap();
    assert_eq!(console.line.stack.moto().sent().unwrap().sms.len(), 0);
    // AND the call centre's CSV lists those contracts
    let csv = browser
        .execute("return fetch(document.querySelector('#contracts-csv').href).then(r => r.text())")
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert_eq!(csv.lines().count(), 26, "{csv}");
    assert!(csv.contains("\"CT-0000\"") && csv.contains("\"CT-0084\"") && !csv.contains("\"CT-0005\""), "{csv}");
    // WHEN the planner confirms THEN the alerts are scheduled
    browser.follow("#form-confirm button").await.unwrap();
    assert_eq!(browser.text("#status").await.unwrap(), "confirmed");
    let alerts = browser.text("#alerts").await.unwrap();
    assert!(alerts.contains("48h advance scheduled") && alerts.contains("2h advance scheduled"), "{alerts}");
    assert!(browser.text("#timeline").await.unwrap().contains("Pere confirmed"));
    assert_eq!(audited(&console, "planned_outage").await, 1);
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

/// The window typed into the plan form: ten days ahead, four hours, in the tenant's local time.
async fn type_window(console: &Console) -> jiff::Timestamp {
    let madrid = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
    let start = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(240)).to_zoned(madrid.clone()).datetime();
    let start = start.round(jiff::Unit::Hour).unwrap();
    let local = |at: jiff::civil::DateTime| at.strftime("%Y-%m-%dT%H:%M").to_string();
    let window = format!(
        "document.querySelector('#start').value = '{}'; document.querySelector('#end').value = '{}'",
        local(start),
        local(start + jiff::SignedDuration::from_hours(4))
    );
    console.browser.execute(&window).await.unwrap();
    start.to_zoned(madrid).unwrap().timestamp()
}

/// The outage's page shows the priority alert's send: both contracts composed, both texted, finished.
async fn the_page_shows_the_priority_alerts_send(console: &Console, page: &str) {
    let browser = &console.browser;
    browser.goto(page).await.unwrap();
    let row = browser.text("#send-priority-96h").await.unwrap();
    assert!(row.contains("2 of 2 contracts") && row.contains("2 of 2: sent sms 2"), "{row}");
    assert!(row.contains("finished"), "{row}");
    browser.execute("document.querySelector('#sends').scrollIntoView({block: 'center'})").await.unwrap();
    browser.screenshot("outage-sends").await.unwrap();
}

#[tokio::test]
async fn a_second_planner_approves_a_large_outage_and_priority_supply_points_hear_first() {
    use crate::outages::fire_and_deliver;
    use avisa_domain::billing::PriorityKind;
    use avisa_domain::ports::AccountStore;
    // GIVEN 300 households, a tenant whose planners alert at most 10 alone and who warns priority
    // supply points 96 h ahead; upstream marked CT-0021 a hospital; another tenant has a hospital too
    let console = Console::start_with(|settings| {
        settings.outages.approval_threshold = Some(10);
        settings.outages.priority_alert_hours_before = vec![96];
        settings.rate_limits.sms_parts_per_second = 1_000;
    })
    .await;
    let stack = &console.line.stack;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    crate::outages::town(&store).await;
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    let mut hospital =
        store.holder(&tenant, &avisa_domain::ids::ContractId::parse("CT-0021").unwrap()).await.unwrap().unwrap();
    hospital.supply_point.priority = Some(PriorityKind::Hospital);
    hospital.as_of += jiff::SignedDuration::from_secs(1);
    store.upsert_holder(&hospital).await.unwrap();
    let mut elsewhere = hospital.clone();
    elsewhere.tenant_id = avisa_domain::ids::TenantId::parse("aigues-lleida").unwrap();
    elsewhere.contract_id = avisa_domain::ids::ContractId::parse("CT-LL-0001").unwrap();
    store.upsert_holder(&elsewhere).await.unwrap();
    console.add_member("pere", "Pere", "aigues-reus", &["planner"]).await;
    console.add_member("laia", "Laia", "aigues-reus", &["planner"]).await;
    let browser = &console.browser;
    // WHEN Pere finds the care home CT-0042 and marks it priority
    console.sign_in("pere", PASSWORD).await;
    browser.goto(&console.at("/citizens?q=CT-0042")).await.unwrap();
    browser.execute("document.querySelector('#priority-kind-CT-0042').value = 'care_home'").await.unwrap();
    browser.follow("#mark-CT-0042 button").await.unwrap();
    // THEN the citizen view says so, and who marked it
    assert_eq!(browser.text("#priority-CT-0042").await.unwrap(), "care home (marked by Pere): alerted first");
    browser.execute("document.querySelector('#mark-CT-0042').scrollIntoView({block: 'center'})").await.unwrap();
    browser.screenshot("citizen-priority").await.unwrap();
    // WHEN he plans a cut of 5 x 5 households, the area given as GeoJSON
    browser.goto(&console.at("/outages/new")).await.unwrap();
    let start = type_window(&console).await;
    let area = r#"{"type": "Polygon", "coordinates": [[[1.1, 41.15], [1.105, 41.15], [1.105, 41.155], [1.1, 41.155], [1.1, 41.15]]]}"#;
    browser.type_into("#polygon", area).await.unwrap();
    browser.follow("#plan-form button[type=submit]").await.unwrap();
    // THEN the dry run lists the hospital and the care home first, and says a second planner approves
    assert_eq!(browser.text("#recipients").await.unwrap(), "25 (25 contracts, 0 subscribers)");
    let priority = browser.text("#priority tbody").await.unwrap();
    assert_eq!(priority.lines().collect::<Vec<_>>().len(), 2, "{priority}");
    assert!(priority.starts_with("CT-0021 hospital") && priority.contains("CT-0042 care home"), "{priority}");
    assert!(browser.text("#priority caption").await.unwrap().contains("96 h before the start"));
    assert!(browser.text("#needs-approval").await.unwrap().contains("more than 10 recipients"));
    assert!(browser.text("#send-time").await.unwrap().starts_with("about 1 s per alert"), "1,000 SMS parts a second");
    assert_eq!(browser.text("#form-confirm button").await.unwrap(), "Confirm: ask a second planner to approve");
    // WHEN Pere confirms THEN it awaits approval: nothing is scheduled, and he is offered no approval
    browser.follow("#form-confirm button").await.unwrap();
    assert_eq!(browser.text("#status").await.unwrap(), "awaiting approval");
    assert!(browser.text("#requested-by").await.unwrap().starts_with("Pere, "));
    assert_eq!(browser.text("#approved-by").await.unwrap(), "nobody yet: another planner must approve it, not you");
    assert!(browser.execute("return document.querySelector('#form-approve')").await.unwrap().is_null());
    assert!(avisa_local::schedules::list(stack).await.unwrap().is_empty());
    browser.execute("document.querySelector('#priority').scrollIntoView({block: 'center'})").await.unwrap();
    browser.screenshot("outage-awaiting-approval").await.unwrap();
    // AND his own approval, sent anyway, is refused with the reason
    let page = browser.url().await.unwrap();
    let approve = format!("{}/approve", page.trim_start_matches(&console.at("")));
    let csrf = browser.execute("return document.querySelector('input[name=csrf]').value").await.unwrap();
    let status = console.post_from_page(&approve, &format!("csrf={}", csrf.as_str().unwrap())).await;
    assert_eq!(status, 409, "refused, the page saying why");
    assert!(avisa_local::schedules::list(stack).await.unwrap().is_empty(), "his own approval scheduled nothing");
    console.sign_out().await;
    // WHEN Laia, another planner, opens it, moves it an hour later and approves it
    console.sign_in("laia", PASSWORD).await;
    browser.goto(&page).await.unwrap();
    assert_eq!(browser.text("#approved-by").await.unwrap(), "nobody yet: you can approve it below");
    let later = start + jiff::SignedDuration::from_hours(1);
    let madrid = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
    let local = |at: jiff::Timestamp| at.to_zoned(madrid.clone()).strftime("%Y-%m-%dT%H:%M").to_string();
    let moved = format!(
        "document.querySelector('#new-start').value = '{}'; document.querySelector('#new-end').value = '{}'",
        local(later),
        local(later + jiff::SignedDuration::from_hours(4))
    );
    browser.execute(&moved).await.unwrap();
    browser.follow("#form-reschedule button").await.unwrap();
    assert_eq!(browser.text("#status").await.unwrap(), "awaiting approval", "moving it does not approve it");
    browser.follow("#form-approve button").await.unwrap();
    // THEN its alerts are scheduled — the priority one first — and both names are shown
    assert_eq!(browser.text("#status").await.unwrap(), "confirmed");
    assert!(browser.text("#approved-by").await.unwrap().starts_with("Laia, "));
    let alerts = browser.text("#alerts").await.unwrap();
    assert!(alerts.contains("priority-96h advance scheduled") && alerts.contains("48h advance scheduled"), "{alerts}");
    let timeline = browser.text("#timeline").await.unwrap();
    for step in ["Pere planned", "Pere approval requested", "Laia rescheduled", "Laia approved"] {
        assert!(timeline.contains(step), "{step}: {timeline}");
    }
    browser.execute("document.querySelector('#alerts').scrollIntoView({block: 'center'})").await.unwrap();
    browser.screenshot("outage-approved").await.unwrap();
    let mut dues: Vec<jiff::Timestamp> =
        avisa_local::schedules::list(stack).await.unwrap().iter().map(|s| s.due).collect();
    dues.sort();
    let hours = |h: i64| later - jiff::SignedDuration::from_hours(h);
    assert_eq!(dues, [hours(96), hours(48), hours(2)]);
    // WHEN the priority alert's time comes THEN only the hospital and the care home are texted
    assert_eq!(fire_and_deliver(stack, hours(96)).await, 1);
    let sent = stack.moto().sent().unwrap();
    assert_eq!(sent.sms.len(), 2, "{:#?}", sent.sms);
    let mut texted: Vec<&str> = sent.sms.iter().map(|s| s.phone_number.as_str()).collect();
    texted.sort_unstable();
    assert_eq!(texted, ["+34600200021", "+34600200042"]);
    the_page_shows_the_priority_alerts_send(&console, &page).await;
    assert_eq!(audited(&console, "marked_priority").await, 1);
    assert_eq!(audited(&console, "approve_outage").await, 1);
    assert_eq!(stack.violations(), Vec::<String>::new());
}
