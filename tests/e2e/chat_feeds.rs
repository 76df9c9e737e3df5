//! Live information, end to end: info-feeds fetches a tenant's news (RSS), agenda (iCalendar) and
//! on-duty pharmacies (CSV) from a web server on 127.0.0.1 into their copies; the chat answers
//! from them with their date; a feed that breaks keeps its last copy and says why.

use avisa_aws::DynamoStore;
use avisa_domain::chat::feeds::{Feed, FeedCopies, FeedFormat};
use avisa_domain::ids::TenantId;
use avisa_local::web::Web;
use avisa_runtime::scheduled::ScheduledHandler;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::chat::{Line, fresh, fresh_text, texts};

fn rss() -> String {
    r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Reus</title>
    <item><title>Obres al carrer de Llovera</title><pubDate>Mon, 30 Nov 2026 08:00:00 +0000</pubDate></item>
    <item><title>Nova línia de bus L10</title><pubDate>Tue, 01 Dec 2026 08:00:00 +0000</pubDate></item>
    </channel></rss>"#
        .to_owned()
}

async fn run_info_feeds(line: &Line) -> Value {
    let mut env = line.stack.function("info-feeds").unwrap().env.clone();
    env.insert("FEEDS_ALLOW_LOOPBACK".into(), "true".into()); // the test's web server is on 127.0.0.1
    let app = info_feeds::App::new(&info_feeds::Config::load(&env).unwrap(), &line.stack.sdk_for("info-feeds"));
    app.run(&json!({})).await.unwrap()
}

async fn ask(line: &Line, n: usize, item: &str) -> String {
    let pick = |id: String, row: &str| {
        fresh(
            &id,
            json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": row, "title": row}}}),
        )
    };
    line.post_request(&fresh_text(&format!("wamid.feed.{n}.1"), "hola")).await;
    line.post_request(&pick(format!("wamid.feed.{n}.2"), "information")).await;
    line.post_request(&pick(format!("wamid.feed.{n}.3"), item)).await;
    texts(&line.sent).last().unwrap().clone()
}

#[tokio::test]
async fn a_tenants_feeds_are_answered_with_their_date_and_a_broken_feed_keeps_its_last_copy() {
    // GIVEN a council whose news, agenda and on-duty pharmacies come from its web server
    let web = Web::start().unwrap();
    let tomorrow =
        Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap()).date().tomorrow().unwrap();
    let day = tomorrow.strftime("%Y%m%d").to_string();
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Reus//Agenda//CA\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261101T000000Z\r\n\
         DTSTART;TZID=Europe/Madrid:{day}T190000\r\nSUMMARY:Concert de Santa Cecília\r\nLOCATION:Teatre Fortuny\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let csv = format!("date,name,address,phone\n{tomorrow},Farmàcia Prim,Raval de Santa Anna 12,977 00 00 00\n");
    let feeds = [
        ("news", web.serve("/noticies.rss", 200, "application/rss+xml", rss().as_bytes()), FeedFormat::Rss),
        ("agenda", web.serve("/agenda.ics", 200, "text/calendar", ics.as_bytes()), FeedFormat::Icalendar),
        ("pharmacies", web.serve("/farmacies.csv", 200, "text/csv", csv.as_bytes()), FeedFormat::Csv),
    ];
    let line = Line::start(|settings| {
        let chat = settings.chat.as_mut().unwrap();
        for (id, url, format) in &feeds {
            let item = chat.information.iter_mut().find(|i| i.row.id == *id).unwrap();
            item.feed = Some(Feed { url: url.clone(), format: *format });
        }
    })
    .await;
    // WHEN info-feeds runs
    let refreshed = run_info_feeds(&line).await;
    let failures: Vec<&Value> =
        refreshed["feeds"].as_array().unwrap().iter().filter(|f| !f["failure"].is_null()).collect();
    assert!(failures.is_empty() && refreshed["feeds"].as_array().unwrap().len() == 3, "{refreshed}");
    // THEN the chat answers each item from its feed, with dates and when it was updated
    let news = ask(&line, 1, "news").await;
    assert!(news.contains("• dimarts, 1 de desembre del 2026: Nova línia de bus L10\n• dilluns"), "{news}");
    assert!(news.contains("(Actualitzat el"), "{news}");
    let agenda = ask(&line, 2, "agenda").await;
    assert!(agenda.contains(", 19:00: Concert de Santa Cecília — Teatre Fortuny"), "{agenda}");
    let pharmacies = ask(&line, 3, "pharmacies").await;
    assert!(pharmacies.contains("Farmàcia Prim — Raval de Santa Anna 12, 977 00 00 00"), "{pharmacies}");
    // WHEN the news feed breaks
    web.serve("/noticies.rss", 500, "text/html", b"<h1>Internal Server Error</h1>");
    let refreshed = run_info_feeds(&line).await;
    let news_feed = refreshed["feeds"].as_array().unwrap().iter().find(|f| f["item_id"] == "news").unwrap().clone();
    assert!(news_feed["failure"].as_str().unwrap().contains("500"), "{news_feed}");
    // THEN the chat still answers from the last good copy, and the failure is on it for staff
    assert!(ask(&line, 4, "news").await.contains("Nova línia de bus L10"));
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&line.stack.sdk), "avisa-Table");
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let copy = store.copy(&tenant, "news").await.unwrap().unwrap();
    assert_eq!(copy.items.len(), 2);
    let failure = copy.failure.unwrap();
    assert!(failure.reason.contains("500") && failure.at > copy.fetched_at.unwrap(), "{failure:?}");
    assert!(copy.fetched_at.unwrap() > Timestamp::now() - SignedDuration::from_mins(5));
    assert!(line.stack.violations().is_empty(), "{:?}", line.stack.violations());
}
