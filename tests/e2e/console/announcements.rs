//! An announcement written, checked and sent from the console in the browser, its contracts read
//! from a file, and followed on its page until everyone is told.

use super::{Console, PASSWORD, audited};

#[tokio::test]
async fn a_planner_sends_an_announcement_to_a_file_of_contracts_and_follows_it_until_everyone_is_told() {
    // GIVEN 300 households of the tenant, a planner, and a file of 40 of their contracts (a CSV as
    // a spreadsheet exports it)
    let console = Console::start_with(|settings| {
        settings.rate_limits.email_per_second = 1_000;
        settings.rate_limits.sms_parts_per_second = 1_000;
    })
    .await;
    let stack = &console.line.stack;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    crate::outages::town(&store).await;
    console.add_member("pere", "Pere", "aigues-reus", &["planner"]).await;
    let file = std::env::temp_dir().join(format!("avisa-console-contracts-{}.csv", std::process::id()));
    let rows: Vec<String> = (100..140).map(|i| format!("Household {i},CT-{i:04}")).collect();
    std::fs::write(&file, format!("name,contract_id\n{}\n", rows.join("\n"))).unwrap();
    let browser = &console.browser;
    console.sign_in("pere", PASSWORD).await;
    browser.follow("#send-announcement").await.unwrap();
    // WHEN he writes a Catalan text longer than the tenant's SMS parts, chooses the file and sends
    browser.type_into("#id", "obres-carrer-llarg").await.unwrap();
    browser.type_into("#subject_ca", "Obres al carrer Llarg").await.unwrap();
    browser
        .type_into("#body_ca", &"Del 12 al 16 de desembre renovem la canonada del carrer Llarg. ".repeat(8))
        .await
        .unwrap();
    browser.type_into("#contracts-file", file.to_str().unwrap()).await.unwrap();
    let mut box_value = String::new();
    for _ in 0..50 {
        let value = browser.execute("return document.querySelector('#contracts').value").await.unwrap();
        box_value = value.as_str().unwrap_or_default().to_owned();
        if box_value.contains("CT-0139") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        box_value.starts_with("name,contract_id\nHousehold 100,CT-0100"),
        "the file is read into the box: {box_value:?}"
    );
    browser.follow("#check").await.unwrap();
    // THEN checking it refuses it, saying which text to shorten, with what he typed kept, and nothing queued
    let refusal = browser.text("#refusal").await.unwrap();
    assert!(refusal.contains("The Catalan text") && refusal.contains("3 SMS part"), "{refusal}");
    let kept = browser.execute("return document.querySelector('#contracts').value").await.unwrap();
    assert!(kept.as_str().unwrap().contains("CT-0139"), "{kept}");
    browser.screenshot("announcement-refused").await.unwrap();
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 0);
    // WHEN he shortens it, adds a Spanish text, and sends it
    browser.clear("#body_ca").await.unwrap();
    browser.type_into("#body_ca", "Del 12 al 16 de desembre renovem la canonada del carrer Llarg.").await.unwrap();
    browser.type_into("#subject_es", "Obras en la calle Llarg").await.unwrap();
    browser.type_into("#body_es", "Del 12 al 16 de diciembre renovamos la tubería de la calle Llarg.").await.unwrap();
    // and checks it first
    browser.follow("#check").await.unwrap();
    // THEN he sees what sending it would be before anything is sent: 40 contracts in two chunks,
    // one SMS part in each language, how long it can take at the tenant's rates
    let contracts = browser.text("#preview-contracts").await.unwrap();
    assert_eq!(contracts, "40, in 2 chunks");
    assert_eq!(browser.text("#preview-sms").await.unwrap(), "Catalan: 1 part; Spanish: 1 part");
    let time = browser.text("#preview-time").await.unwrap();
    assert!(time.starts_with("at most 1 s at your send rates"), "{time}");
    assert!(browser.execute("return document.querySelector('#preview-before')").await.unwrap().is_null());
    browser.screenshot("announcement-new").await.unwrap();
    assert_eq!(stack.depth("ComposeQueue").await.unwrap(), 0);
    // WHEN he sends it
    browser.follow("#send").await.unwrap();
    // THEN its page shows it queued for the 40 contracts
    assert!(browser.url().await.unwrap().ends_with("/announcements/obres-carrer-llarg"));
    assert_eq!(browser.text("#contracts").await.unwrap(), "40");
    // WHEN the composer and the dispatcher run, and he reloads
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    browser.goto(&console.at("/announcements/obres-carrer-llarg")).await.unwrap();
    // THEN it is finished: the 40 composed, the 38 with consent told once, in their language
    let row = browser.text("#sends").await.unwrap();
    assert!(row.contains("40 of 40 contracts") && row.contains("38 of 38: sent email 38"), "{row}");
    assert!(browser.text("#end").await.unwrap().starts_with("finished"), "{row}");
    browser.screenshot("announcement").await.unwrap();
    let sent = stack.moto().sent().unwrap();
    assert_eq!(sent.emails.len(), 38, "40 less the two without consent (CT-0100, CT-0125)");
    assert!(sent.emails.iter().any(|e| e.subject == "Obras en la calle Llarg"));
    assert!(sent.emails.iter().any(|e| e.subject == "Obres al carrer Llarg"));
    // AND checking the same announcement again says it was sent, and that sending it again sends
    // nothing twice
    browser.goto(&console.at("/announcements/new")).await.unwrap();
    browser.type_into("#id", "obres-carrer-llarg").await.unwrap();
    browser.type_into("#subject_ca", "Obres al carrer Llarg").await.unwrap();
    browser.type_into("#body_ca", "Del 12 al 16 de desembre renovem la canonada del carrer Llarg.").await.unwrap();
    browser.type_into("#subject_es", "Obras en la calle Llarg").await.unwrap();
    browser.type_into("#body_es", "Del 12 al 16 de diciembre renovamos la tubería de la calle Llarg.").await.unwrap();
    browser.type_into("#contracts", &format!("name,contract_id\n{}\n", rows.join("\n"))).await.unwrap();
    browser.follow("#check").await.unwrap();
    let before = browser.text("#preview-before").await.unwrap();
    assert!(before.contains("sending it again sends nothing twice"), "{before}");
    // and with one contract fewer it is another announcement: he is told to rename it
    browser.clear("#contracts").await.unwrap();
    browser.type_into("#contracts", &format!("name,contract_id\n{}", rows[1..].join("\n"))).await.unwrap();
    browser.follow("#check").await.unwrap();
    let other = browser.text("#preview-before").await.unwrap();
    assert!(other.starts_with("Not sendable as it is") && other.contains("another name"), "{other}");
    browser.screenshot("announcement-checked-again").await.unwrap();
    // AND the outages page lists it; another tenant's announcement of that name is not found
    browser.goto(&console.at("/outages")).await.unwrap();
    assert!(browser.text("#announcements").await.unwrap().contains("obres-carrer-llarg"));
    browser.goto(&console.at("/announcements/of-someone-else")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    assert_eq!(audited(&console, "sent_announcement").await, 1);
    assert_eq!(stack.violations(), Vec::<String>::new());
}
