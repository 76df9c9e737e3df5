//! Complaints, incidents and appointments worked in the browser.

use super::{Console, PASSWORD, audited};
use crate::chat::texts;

#[tokio::test]
async fn a_complaint_is_moved_two_steps_on_the_board_with_each_notice_to_the_citizen_shown() {
    // GIVEN Maria's invoice, disputed on her behalf, its acknowledgement sent
    let console = Console::start().await;
    console.line.with_customer().await;
    let body = serde_json::json!({"contract_id": "CT-0001", "invoice_number": "F-2026-110001", "reason": "48 € for an empty flat"});
    let (status, filed) = console.line.desk("POST", "/complaints", Some(body)).await;
    assert_eq!(status, 200, "{filed}");
    let reference = filed["reference"].as_str().unwrap().to_owned();
    console.line.deliver().await;
    let browser = &console.browser;
    // WHEN an agent looks for the board THEN it is not for their role
    console.sign_in("jordi", PASSWORD).await;
    assert!(!browser.text("nav").await.unwrap().contains("Complaints"));
    browser.goto(&console.at("/complaints")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    console.sign_out().await;

    // WHEN an administrator opens the board THEN the complaint is there, staff's move, with its due date
    console.sign_in("montse", PASSWORD).await;
    browser.follow("a[href='/complaints']").await.unwrap();
    let open = browser.text("#open-complaints").await.unwrap();
    assert!(open.contains(&reference) && open.contains("filed staff"), "{open}");
    browser.screenshot("complaints-board").await.unwrap();
    browser.follow(&format!("a[href='/complaints/{reference}']")).await.unwrap();
    let steps = browser.text("#steps").await.unwrap();
    assert!(steps.contains("Jordi file filed email: sent"), "the acknowledgement: {steps}");
    // WHEN she schedules the inspection, first forgetting when
    browser.follow("#form-schedule_inspection button").await.unwrap();
    assert!(browser.text("#refusal p").await.unwrap().contains("Say when the inspection is"));
    browser.type_into("#schedule_inspection-at", "dijous 3, de 9 a 11").await.unwrap();
    browser.follow("#form-schedule_inspection button").await.unwrap();
    // THEN the complaint moves on, and only the steps that now apply are offered
    assert_eq!(browser.text("#state").await.unwrap(), "inspection scheduled");
    assert!(browser.execute("return !!document.querySelector('#form-record_inspection')").await.unwrap() == true);
    assert!(browser.execute("return !document.querySelector('#form-resolve')").await.unwrap() == true);
    // WHEN she records what the inspection found THEN both steps' notices reach Maria and show
    browser.click("#record_inspection-no_leak").await.unwrap();
    browser.type_into("#record_inspection-notes", "Meter read: correct").await.unwrap();
    browser.follow("#form-record_inspection button").await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "inspected");
    console.line.deliver().await;
    browser.goto(&console.at(&format!("/complaints/{reference}"))).await.unwrap();
    let steps = browser.text("#steps").await.unwrap();
    assert!(steps.contains("Montse schedule inspection inspection scheduled email: sent"), "{steps}");
    assert!(steps.contains("Montse record inspection\nMeter read: correct inspected email: sent"), "{steps}");
    browser.screenshot("complaint").await.unwrap();
    let emails = console.line.stack.moto().sent().unwrap().emails;
    let to_maria: Vec<_> = emails.iter().filter(|e| e.destinations.to == ["maria.puig@example.cat"]).collect();
    assert!(
        to_maria.iter().any(|e| e.body.contains("dijous 3, de 9 a 11")),
        "{:?}",
        to_maria.iter().map(|e| &e.body).collect::<Vec<_>>()
    );
    assert!(to_maria.iter().any(|e| e.body.contains("no ha trobat cap fuita")), "the finding reached her");
    // WHEN the same form is sent again from the page as it was (a second click) THEN nothing moves
    let csrf = browser.execute("return document.querySelector('input[name=csrf]').value").await.unwrap();
    let fields = format!("csrf={}&version=1&action=record_inspection&finding=leak_found", csrf.as_str().unwrap());
    assert_eq!(console.post_from_page(&format!("/complaints/{reference}"), &fields).await, 422);
    browser.goto(&console.at(&format!("/complaints/{reference}"))).await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "inspected");
    assert_eq!(audited(&console, "moved_complaint").await, 2);
    console.sign_out().await;
    // WHEN another tenant's complaints handler opens it by its address THEN it is not theirs
    console.add_member("luca", "Luca", "acqua-bo", &["complaints"]).await;
    console.sign_in("luca", PASSWORD).await;
    assert!(browser.url().await.unwrap().ends_with("/complaints"), "a complaints handler lands on the board");
    assert!(!browser.text("#open-complaints").await.unwrap().contains(&reference));
    browser.goto(&console.at(&format!("/complaints/{reference}"))).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_agent_moves_a_reported_incident_on_and_confirms_an_appointment_and_the_citizen_is_told() {
    // GIVEN a citizen who reported a broken street light with a photo, and asked for an appointment
    let console = Console::start().await;
    console.line.flow("incident", 6).await;
    console.line.flow("appointment", 4).await;
    console.line.deliver().await;
    let browser = &console.browser;
    console.sign_in("jordi", PASSWORD).await;
    // WHEN the agent opens the incidents THEN the report is there, with where and what
    browser.follow("a[href='/incidents']").await.unwrap();
    let incidents = browser.text("#incidents").await.unwrap();
    assert!(incidents.contains("lighting") && incidents.contains("open"), "{incidents}");
    browser.screenshot("incidents").await.unwrap();
    browser.follow("#incidents a").await.unwrap();
    let reference = browser.text("h1").await.unwrap().trim_start_matches("Incident ").to_owned();
    assert!(reference.starts_with("INC-"), "{reference}");
    assert!(browser.text("#on-the-map").await.unwrap().starts_with("41.72510,"));
    // AND the place is on the map, one marker where the citizen was
    let marker = "return document.querySelectorAll('#map path.leaflet-interactive').length";
    assert_eq!(browser.execute(marker).await.unwrap(), 1);
    let center = browser.execute("const c = window.avisaMap.getCenter(); return [c.lat, c.lng]").await.unwrap();
    assert!((center[0].as_f64().unwrap() - 41.7251).abs() < 1e-3, "{center}");
    // WHEN the agent moves it on without choosing a status THEN nothing changes, and says why
    browser.follow("#status-form button").await.unwrap();
    assert_eq!(browser.text("#refusal p").await.unwrap(), "Choose the incident's new status.");
    // WHEN the agent marks it in progress with a note THEN the citizen is told, and it shows
    browser.click("#status-in_progress").await.unwrap();
    browser.type_into("#note", "Brigada avisada").await.unwrap();
    browser.follow("#status-form button").await.unwrap();
    assert_eq!(browser.text("#status").await.unwrap(), "in progress");
    assert!(browser.text("#updates").await.unwrap().contains("Jordi in progress Brigada avisada"));
    browser.screenshot("incident").await.unwrap();
    console.line.deliver().await;
    let told = texts(&console.line.sent);
    assert!(told.last().unwrap().contains(&reference) && told.last().unwrap().contains("Brigada avisada"), "{told:?}");
    // WHEN the agent confirms the appointment's slot THEN the citizen is told the slot
    browser.goto(&console.at("/incidents")).await.unwrap();
    browser.type_into("#appointments input[name=slot]", "dimarts 1, 10:30, Plaça Major 1").await.unwrap();
    browser.follow("#appointments button").await.unwrap();
    assert!(browser.text("#notice").await.unwrap().contains("is confirmed"));
    assert!(browser.text("#appointments").await.unwrap().contains("dimarts 1, 10:30, Plaça Major 1 (by Jordi)"));
    console.line.deliver().await;
    assert!(texts(&console.line.sent).last().unwrap().contains("dimarts 1, 10:30"));
    assert_eq!(audited(&console, "moved_incident").await, 1);
    console.sign_out().await;
    // WHEN another tenant's agent opens the incident by its address THEN it is not theirs
    console.sign_in("paola", PASSWORD).await;
    browser.goto(&console.at(&format!("/incidents/{reference}"))).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    browser.goto(&console.at("/incidents")).await.unwrap();
    assert!(!browser.text("#incidents").await.unwrap().contains(&reference));
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

/// A 1 × 1 PNG: what a citizen's photo is to the console.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn an_agent_opens_an_incidents_kept_photo_and_no_one_else_does() {
    use avisa_domain::chat::ports::IncidentStore;
    use avisa_domain::chat::{Incident, IncidentLocation, IncidentStatus, Photo, PhotoCopy};
    // GIVEN an incident whose photo was kept in the media bucket, and one whose record names
    // another tenant's photo
    let console = Console::start().await;
    let stack = &console.line.stack;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    let bucket = &stack.provisioned.buckets["ChatMediaBucket"];
    let s3 = aws_sdk_s3::Client::new(&stack.sdk);
    let key = "aigues-reus/incidents/INC-2612-PHOTO1/wamid-1.png";
    s3.put_object().bucket(bucket).key(key).body(PNG.to_vec().into()).send().await.unwrap();
    let incident = |reference: &str, key: &str| Incident {
        tenant_id: avisa_domain::ids::TenantId::parse("aigues-reus").unwrap(),
        reference: reference.into(),
        service_code: "lighting".into(),
        description: avisa_domain::text::Text::parse("La farola no s'encén").unwrap(),
        location: IncidentLocation::Address { address: avisa_domain::text::Text::parse("Carrer Major 3").unwrap() },
        media_ids: vec!["wamid-1".into()],
        photos: vec![Photo {
            media_id: "wamid-1".into(),
            copy: PhotoCopy::Stored { key: key.into(), content_type: "image/png".into(), bytes: PNG.len() as u64 },
        }],
        status: IncidentStatus::Open,
        reporter: avisa_domain::contact::PhoneE164::parse("+34600222333").unwrap(),
        locale: avisa_domain::contact::Locale::Ca,
        requested_at: jiff::Timestamp::now(),
        updates: vec![],
        version: 0,
    };
    assert!(store.file(&incident("INC-2612-PHOTO1", key)).await.unwrap());
    assert!(store.file(&incident("INC-2612-FOREIGN", "acqua-bo/incidents/INC-X/wamid-9.png")).await.unwrap());
    let browser = &console.browser;
    console.sign_in("jordi", PASSWORD).await;
    // WHEN the agent opens the incident THEN its photo shows, served by the console
    browser.goto(&console.at("/incidents/INC-2612-PHOTO1")).await.unwrap();
    let width = "const i = document.querySelector('img.photo'); return i.decode().then(() => i.naturalWidth)";
    let width = browser.execute(width).await.unwrap();
    assert_eq!(width, 1, "the image loaded");
    let opened = audited(&console, "opened_photo").await;
    assert!(opened >= 1, "opening it is audited");
    let fetched = "return fetch('/incidents/INC-2612-PHOTO1/photos/0').then(r => r.status + ' ' + r.headers.get('content-type') + ' ' + r.headers.get('cache-control'))";
    assert_eq!(browser.execute(fetched).await.unwrap(), "200 image/png no-store");
    assert_eq!(audited(&console, "opened_photo").await, opened + 1, "each opening");
    // AND a record naming another tenant's photo serves nothing; an erased photo says so
    browser.goto(&console.at("/incidents/INC-2612-FOREIGN/photos/0")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    s3.delete_object().bucket(bucket).key(key).send().await.unwrap();
    browser.goto(&console.at("/incidents/INC-2612-PHOTO1/photos/0")).await.unwrap();
    assert!(browser.text("main").await.unwrap().contains("no longer kept"));
    console.sign_out().await;
    // AND another tenant's agent does not reach it by its address
    console.sign_in("paola", PASSWORD).await;
    browser.goto(&console.at("/incidents/INC-2612-PHOTO1/photos/0")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    assert_eq!(stack.violations(), Vec::<String>::new());
}
