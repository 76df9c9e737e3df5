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
