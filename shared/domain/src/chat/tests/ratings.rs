//! Ratings inside WhatsApp: asked when a conversation is resolved, kept once per question, per
//! agent and team, never with the citizen's number.

use super::line::{CITIZEN, conversation, inbound, line_fakes};
use super::*;
use crate::chat::ports::RatingStore;

async fn resolved_by_jordi(f: &Fakes, phone: &str) {
    let line = f.chat_line();
    let number = PhoneE164::parse(phone).unwrap();
    for (id, what) in [("wamid.a", text("hola")), ("wamid.b", choose("agent")), ("wamid.c", text("Maria"))] {
        line.receive(&inbound(&format!("{id}{phone}"), phone, what)).await.unwrap();
    }
    for action in [StaffAction::Take, StaffAction::Reply("Fet!"), StaffAction::Resolve] {
        line.staff(&fakes::tenant(), &number, "Jordi", action, None).await.unwrap();
    }
}

async fn all_ratings(f: &Fakes, tenant: &TenantId) -> Vec<Rating> {
    let (since, until) = (now() - SignedDuration::from_hours(1), now() + SignedDuration::from_hours(1));
    f.chat.ratings(tenant, since, until).await.unwrap()
}

#[tokio::test]
async fn a_resolved_conversation_asks_for_a_rating_which_is_kept_once_per_agent_and_team() {
    // GIVEN a conversation handed to the "agent" service and resolved by Jordi
    let f = line_fakes().await;
    resolved_by_jordi(&f, CITIZEN).await;
    // THEN the last reply carries the five scores as a WhatsApp list
    let job = f.dispatch.jobs().last().cloned().unwrap();
    let notice = f.notices.notice(&job.tenant_id, &job.notice_id).await.unwrap().unwrap();
    let content = notice.messages[0].content.clone().unwrap();
    let Some(Interactive::List { rows, .. }) = content.interactive else { panic!("{content:?}") };
    let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["rating:5", "rating:4", "rating:3", "rating:2", "rating:1"]);
    // WHEN the citizen picks 4, and Meta redelivers it
    let line = f.chat_line();
    let pick = inbound("wamid.r", CITIZEN, Said::Choice { id: "rating:4".into(), title: "4 ★★★★".into() });
    line.receive(&pick).await.unwrap();
    assert_eq!(line.receive(&pick).await.unwrap(), Received::Duplicate);
    // THEN one rating is kept, for Jordi and the team, without the number; the citizen is thanked
    let ratings = all_ratings(&f, &fakes::tenant()).await;
    assert_eq!(ratings.len(), 1);
    let rating = &ratings[0];
    assert_eq!((rating.agent.as_str(), rating.team.as_deref(), rating.score.get()), ("Jordi", Some("agent"), 4));
    assert!(!serde_json::to_string(rating).unwrap().contains("600999000"), "no phone number in a rating");
    let after = conversation(&f, CITIZEN).await;
    assert_eq!(after.state, State::Closed);
    assert!(after.transcript.last().unwrap().text.starts_with("ca:rating_thanks"));
    // AND a later "5" is a new conversation's first message, not a second rating
    line.receive(&inbound("wamid.s", CITIZEN, text("5"))).await.unwrap();
    assert_eq!(all_ratings(&f, &fakes::tenant()).await.len(), 1);
    assert_eq!(conversation(&f, CITIZEN).await.state, State::Menu);
}

#[tokio::test]
async fn a_citizen_who_writes_something_else_is_answered_and_nothing_is_rated() {
    let f = line_fakes().await;
    resolved_by_jordi(&f, CITIZEN).await;
    f.chat_line().receive(&inbound("wamid.r", CITIZEN, text("the water is off again"))).await.unwrap();
    assert!(all_ratings(&f, &fakes::tenant()).await.is_empty());
    assert_eq!(conversation(&f, CITIZEN).await.state, State::Menu);
}

#[tokio::test]
async fn a_tenants_ratings_are_its_own() {
    let f = line_fakes().await;
    resolved_by_jordi(&f, CITIZEN).await;
    f.chat_line().receive(&inbound("wamid.r", CITIZEN, text("2"))).await.unwrap();
    let other = TenantId::parse("ajuntament-manresa").unwrap();
    assert!(all_ratings(&f, &other).await.is_empty());
    assert_eq!(all_ratings(&f, &fakes::tenant()).await.len(), 1);
}
