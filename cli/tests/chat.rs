//! `avisa chat` against the local stack: the tenant's ratings of some days, averaged per
//! agent, team and week in its own time zone, another tenant's never counted; its information feeds' copies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

mod common;

use avisa_aws::DynamoStore;
use avisa_domain::chat::ports::RatingStore;
use avisa_domain::chat::{Rating, Score};
use avisa_domain::ids::TenantId;
use common::{local, run, stderr, stdout};
use serde_json::Value;

fn rating(tenant: &str, conversation: &str, agent: &str, team: &str, score: u8, at: &str) -> Rating {
    Rating {
        tenant_id: TenantId::parse(tenant).unwrap(),
        conversation: conversation.into(),
        asked_at: at.parse().unwrap(),
        agent: agent.into(),
        team: Some(team.into()),
        score: Score::try_from(score).unwrap(),
        at: at.parse().unwrap(),
    }
}

#[tokio::test]
async fn ratings_are_averaged_per_agent_team_and_week_over_the_tenants_days() {
    // GIVEN ratings of two tenants, one of them given just before the period (in Madrid's time)
    let (stack, outputs) = local("ratings").await;
    let outputs = outputs.to_str().unwrap();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    for given in [
        rating("aigues-reus", "c1", "Jordi", "agent", 5, "2026-11-30T08:00:00Z"),
        rating("aigues-reus", "c2", "Jordi", "agent", 2, "2026-12-01T09:30:00Z"),
        rating("aigues-reus", "c3", "Anna", "billing", 4, "2026-12-07T10:00:00Z"),
        rating("aigues-reus", "c4", "Anna", "billing", 1, "2026-11-29T22:59:00Z"), // 23:59 on the 29th in Madrid
        rating("ajuntament-manresa", "c5", "Jordi", "social", 1, "2026-12-01T10:00:00Z"),
    ] {
        assert!(store.rate(&given).await.unwrap());
    }
    assert!(!store.rate(&rating("aigues-reus", "c1", "Jordi", "agent", 1, "2026-11-30T08:00:00Z")).await.unwrap());
    // WHEN staff ask for the ratings from 30 November to 7 December
    let args = ["--outputs", outputs, "chat", "ratings", "--tenant", "aigues-reus", "--since", "2026-11-30"];
    let table = run(&[&args[..], &["--until", "2026-12-07"]].concat());
    assert!(table.status.success(), "{}", stderr(&table));
    // THEN three ratings count: per agent, team and ISO week, with the spread of scores
    let table = stdout(&table);
    for line in [
        "Anna   1        4.00",
        "Jordi  2        3.50",
        "agent    2        3.50",
        "2026-W49  2        3.50",
        "2026-W50  1        4.00",
    ] {
        assert!(table.contains(line), "{line:?} in\n{table}");
    }
    assert!(table.contains("3 rating(s) of aigues-reus from 2026-11-30 to 2026-12-07, average 3.67 of 5"), "{table}");
    assert!(table.contains("5★ 1, 4★ 1, 3★ 0, 2★ 1, 1★ 0"), "{table}");
    // AND as JSON for scripts; an empty period says so
    let json = run(&[&["--json"][..], &args, &["--until", "2026-12-07"]].concat());
    let summary: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((summary["overall"]["ratings"].as_u64(), summary["overall"]["mean"].as_f64()), (Some(3), Some(3.67)));
    let empty = run(&[
        "--outputs",
        outputs,
        "chat",
        "ratings",
        "--tenant",
        "aigues-reus",
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-31",
    ]);
    assert!(stdout(&empty).contains("No ratings for aigues-reus"), "{}", stdout(&empty));
    // AND a tenant without a chat line, or a period too long, is refused with what to do
    let manresa =
        run(&["--outputs", outputs, "chat", "ratings", "--tenant", "ajuntament-manresa", "--since", "2026-11-30"]);
    assert!(!manresa.status.success() && stderr(&manresa).contains("avisa tenant-settings"), "{}", stderr(&manresa));
    let long = run(&[&args[..], &["--until", "2028-01-01"]].concat());
    assert!(!long.status.success() && stderr(&long).contains("1 to 366 days"), "{}", stderr(&long));
}

#[tokio::test]
async fn each_information_feed_shows_its_copy_and_its_latest_failure() {
    use avisa_domain::chat::feeds::{Feed, FeedCopies, FeedCopy, FeedFailure, FeedFormat, FeedItem};
    use avisa_domain::ports::TenantDirectory;
    // GIVEN the sample tenant's news come from a feed whose latest fetch failed
    let (stack, outputs) = local("feeds").await;
    let outputs = outputs.to_str().unwrap();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.provisioned.tables["Table"]);
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let mut settings = store.settings(&tenant).await.unwrap().unwrap();
    let mut chat = settings.chat.clone().unwrap_or_default();
    chat.information[0].feed = Some(Feed { url: "https://example.org/news.rss".into(), format: FeedFormat::Rss });
    let item_id = chat.information[0].row.id.clone();
    settings.chat = Some(chat);
    store.put_settings(&tenant, &settings).await.unwrap();
    let item = FeedItem { title: "Nova línia de bus".into(), date: None, time: None, detail: None };
    let copy = FeedCopy {
        items: vec![item],
        fetched_at: Some("2026-12-01T09:00:00Z".parse().unwrap()),
        failure: Some(FeedFailure { at: "2026-12-01T09:15:00Z".parse().unwrap(), reason: "answered 500".into() }),
    };
    store.keep(&tenant, &item_id, &copy).await.unwrap();
    // WHEN staff look at the feeds
    let table = run(&["--outputs", outputs, "chat", "feeds", "--tenant", "aigues-reus"]);
    assert!(table.status.success(), "{}", stderr(&table));
    // THEN the item, its one item, when it was fetched and the failure since
    let table = stdout(&table);
    assert!(
        table.contains(&format!("{item_id}  rss     1      2026-12-01 09:00:00Z  2026-12-01 09:15:00Z: answered 500")),
        "{table}"
    );
    assert_eq!(table.lines().count(), 2, "one feed: {table}");
}
