//! Live information: feeds fetched into copies the chat answers from with their date; a failing
//! feed keeps its last good copy and records why.

use std::sync::Mutex;

use async_trait::async_trait;

use super::line::{CITIZEN, conversation, inbound, line_fakes};
use super::*;
use crate::PortError;
use crate::chat::feeds::{Feed, FeedCopies, FeedFormat, FeedItem, FeedReader, FeedRefresh, FeedSource};

/// A web that answers what it was last told to.
struct Web(Mutex<Result<String, String>>);

#[async_trait]
impl FeedSource for Web {
    async fn fetch(&self, _url: &str, _limit: u64) -> Result<Vec<u8>, PortError> {
        let answer = self.0.lock().unwrap().clone();
        answer.map(String::into_bytes).map_err(|e| PortError::transient("http.GET", std::io::Error::other(e)))
    }
}

/// One item per line, `title|YYYY-MM-DD`.
struct Lines;

impl FeedReader for Lines {
    fn read(
        &self,
        _format: FeedFormat,
        content: &[u8],
        _today: jiff::civil::Date,
        _zone: &jiff::tz::TimeZone,
    ) -> Result<Vec<FeedItem>, String> {
        let text = std::str::from_utf8(content).map_err(|e| e.to_string())?;
        text.lines()
            .map(|line| {
                let (title, date) = line.split_once('|').ok_or(format!("no date in {line:?}"))?;
                Ok(FeedItem { title: title.into(), date: date.parse().ok(), time: None, detail: None })
            })
            .collect()
    }
}

/// GIVEN the tenant's "news" item reads its RSS feed.
async fn with_news_feed(f: &Fakes) {
    let mut settings = f.tenants.settings(&fakes::tenant()).await.unwrap().unwrap();
    let mut chat = ChatSettings::default();
    let news = chat.information.iter_mut().find(|i| i.row.id == "news").unwrap();
    news.feed = Some(Feed { url: "https://example.org/news.rss".into(), format: FeedFormat::Rss });
    settings.chat = Some(chat);
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    f.feeds.with_tenant(fakes::tenant(), settings);
}

async fn ask_for_news(f: &Fakes, n: usize) -> String {
    let line = f.chat_line();
    for (i, what) in [text("hola"), choose("information"), choose("news")].into_iter().enumerate() {
        line.receive(&inbound(&format!("wamid.n{n}.{i}"), CITIZEN, what)).await.unwrap();
    }
    conversation(f, CITIZEN).await.transcript.last().unwrap().text.clone()
}

#[tokio::test]
async fn the_chat_answers_from_the_feeds_copy_and_a_failing_feed_keeps_the_last_one() {
    let f = line_fakes().await;
    with_news_feed(&f).await;
    // Before any fetch: the item's own text
    assert!(ask_for_news(&f, 0).await.starts_with("ca:answer"));
    // WHEN the feed is fetched
    let news: Vec<String> = (1..=7).map(|n| format!("News {n}|2026-11-{n:02}")).collect();
    let web = Web(Mutex::new(Ok(news.join("\n"))));
    let refresh = FeedRefresh { source: &web, reader: &Lines, copies: &f.feeds, clock: &f.clock };
    let refreshed = refresh.refresh_all().await.unwrap();
    assert_eq!((refreshed.len(), refreshed[0].items, refreshed[0].failure.clone()), (1, 5, None), "at most five");
    // THEN the chat lists its items, and when they were fetched, in the tenant's time
    let answer = ask_for_news(&f, 1).await;
    assert!(
        answer.starts_with("ca:feed_answer") && answer.contains("News 1") && !answer.contains("News 6"),
        "{answer}"
    );
    assert!(answer.contains(r#""updated":{"date":"2026-11-20","time":"10:00"}"#), "{answer}");
    // WHEN the feed breaks, the last good copy stays, with the failure recorded
    *web.0.lock().unwrap() = Err("503 Service Unavailable".into());
    let refreshed = refresh.refresh_all().await.unwrap();
    assert!(refreshed[0].failure.as_deref().is_some_and(|f| f.contains("503")), "{refreshed:?}");
    let copy = f.feeds.copy(&fakes::tenant(), "news").await.unwrap().unwrap();
    assert_eq!((copy.items.len(), copy.failure.is_some()), (5, true));
    assert!(ask_for_news(&f, 2).await.contains("News 1"));
    // AND content that is not the feed it should be is a failure too, the copy kept
    *web.0.lock().unwrap() = Ok("<html>moved</html>".into());
    let refreshed = refresh.refresh_all().await.unwrap();
    assert!(refreshed[0].failure.as_deref().is_some_and(|f| f.contains("no date")), "{refreshed:?}");
    assert_eq!(f.feeds.copy(&fakes::tenant(), "news").await.unwrap().unwrap().items.len(), 5);
}

#[test]
fn a_feed_must_be_https_except_on_this_machine() {
    let feed = |url: &str| Feed { url: url.into(), format: FeedFormat::Icalendar };
    assert!(feed("https://example.org/agenda.ics").check().is_ok());
    assert!(feed("http://127.0.0.1:8080/agenda.ics").check().is_ok());
    let refused = feed("http://example.org/agenda.ics").check().unwrap_err();
    assert!(refused.contains("https://"), "{refused}");
    for hostile in ["http://localhost:1@example.org/", "https://user@example.org/", "https://", "ftp://example.org/x"] {
        assert!(feed(hostile).check().is_err(), "{hostile}");
    }
    let mut chat = ChatSettings::default();
    chat.information[0].feed = Some(feed("file:///etc/passwd"));
    assert!(chat.check().unwrap_err().starts_with("chat.information"));
}
