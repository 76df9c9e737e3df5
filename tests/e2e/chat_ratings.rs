//! Ratings inside WhatsApp, end to end: a resolved conversation asks for 1 to 5 as a list; the
//! citizen's pick is kept once in the table, per agent and team, without their number.

use avisa_aws::DynamoStore;
use avisa_domain::chat::RatingSummary;
use avisa_domain::chat::ports::RatingStore;
use avisa_domain::ids::TenantId;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::chat::{CITIZEN, Line, fresh, fresh_text, texts};

fn picked(id: &str, row: &str) -> aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest {
    fresh(
        id,
        json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": row, "title": row}}}),
    )
}

#[tokio::test]
async fn a_resolved_conversation_is_rated_from_a_list_once_per_agent_and_team() {
    // GIVEN a citizen handed to a person through the "agent" service, answered and resolved by Jordi
    let line = Line::start(|_| {}).await;
    let started = Timestamp::now();
    line.post_request(&fresh_text("wamid.rate.1", "hola")).await;
    line.post_request(&picked("wamid.rate.2", "agent")).await;
    line.post_request(&fresh_text("wamid.rate.3", "Maria Puig")).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/take"), None).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/reply"), Some(json!({"text": "Fet"}))).await;
    let (status, resolved) = line.desk("POST", &format!("/conversations/{CITIZEN}/resolve"), None).await;
    assert_eq!((status, &resolved["state"]["state"]), (200, &json!("rating")));
    // THEN the citizen gets the rating question as a WhatsApp list of five scores, best first
    let asked = line.sent.lock().unwrap().last().unwrap().clone();
    let rows = asked["interactive"]["action"]["sections"][0]["rows"].as_array().unwrap().clone();
    let ids: Vec<_> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["rating:5", "rating:4", "rating:3", "rating:2", "rating:1"], "{asked}");
    assert!(texts(&line.sent).last().unwrap().contains("de 1 a 5"), "{:?}", texts(&line.sent));
    // WHEN they pick 4, and Meta delivers the webhook twice
    for _ in 0..2 {
        let (status, _) = line.post_request(&picked("wamid.rate.4", "rating:4")).await;
        assert_eq!(status, 200);
    }
    // THEN they are thanked once, and one rating is in the table for Jordi and the "agent" team
    let thanks = texts(&line.sent).iter().filter(|t| t.starts_with("Gràcies per la vostra valoració")).count();
    assert_eq!(thanks, 1, "{:?}", texts(&line.sent));
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&line.stack.sdk), "avisa-Table");
    let tenant = TenantId::parse("aigues-reus").unwrap();
    let window = (started - SignedDuration::from_mins(1), Timestamp::now() + SignedDuration::from_mins(1));
    let ratings = store.ratings(&tenant, window.0, window.1).await.unwrap();
    assert_eq!(ratings.len(), 1, "{ratings:?}");
    let summary = RatingSummary::of(&ratings, &jiff::tz::TimeZone::UTC);
    assert_eq!((summary.by_agent[0].of.as_str(), summary.by_agent[0].mean), ("Jordi", 4.0));
    assert_eq!(summary.by_team[0].of, "agent");
    assert!(!format!("{ratings:?}").contains(&CITIZEN[2..]), "no phone number in a rating");
    // AND another tenant sees none of it; a later "5" starts a new conversation, it rates nothing
    let other = TenantId::parse("ajuntament-manresa").unwrap();
    assert!(store.ratings(&other, window.0, window.1).await.unwrap().is_empty());
    line.post_request(&fresh_text("wamid.rate.5", "5")).await;
    assert_eq!(
        store.ratings(&tenant, window.0, Timestamp::now() + SignedDuration::from_mins(1)).await.unwrap().len(),
        1
    );
    assert!(texts(&line.sent).last().unwrap().starts_with("Hola!"), "{:?}", texts(&line.sent));
}
