//! The chat line speaks for its tenant, in the citizen's language, and closes what goes quiet:
//! end to end against moto, as in `chat.rs`.

use avisa_local::schedules;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::chat::{CITIZEN, Line, fresh, fresh_text, texts};
use crate::support::sample_body;

#[tokio::test]
async fn a_utility_tenants_line_greets_as_the_water_service_and_signs_off_with_its_name() {
    // GIVEN a water utility's line that names itself
    let line = Line::start(|s| {
        s.voice.institution = avisa_domain::chat::Institution::Utility;
        s.voice.name = Some("Aigües de Reus".into());
    })
    .await;
    // WHEN a citizen writes, is handed to a person, and the conversation is resolved
    line.flow("agent", 3).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/take"), None).await;
    let (status, _) = line.desk("POST", &format!("/conversations/{CITIZEN}/resolve"), None).await;
    assert_eq!(status, 200);
    // THEN the line greets as the water service's, never the council's, and signs with its name
    let said = texts(&line.sent);
    assert_eq!(said[0], "Hola! Sóc l'assistent del servei d'aigua. Què necessiteu?");
    assert!(said.iter().all(|s| !s.contains("Ajuntament")), "{said:#?}");
    assert!(said.last().unwrap().ends_with("https://example.org/enquesta\n— Aigües de Reus"), "{said:#?}");
}

#[tokio::test]
async fn a_customer_who_reads_in_spanish_is_answered_in_spanish_from_the_first_message() {
    // GIVEN the sample customer, whose notices are in Spanish
    let line = Line::start(|_| {}).await;
    let customer = sample_body("events/billing-ingest/customer-upserted.json");
    let spanish = customer.replacen("\"language\": \"ca\"", "\"language\": \"es\"", 1);
    assert_ne!(customer, spanish, "the sample names her language");
    line.stack.send("BillingEventsQueue", &spanish).await.unwrap();
    line.deliver().await;
    // WHEN she writes to the line for the first time
    line.flow("billing", 1).await;
    // THEN she is greeted in Spanish at once, though the line's first language is Catalan
    assert_eq!(texts(&line.sent)[0], "¡Hola! Soy el asistente del Ayuntamiento. ¿Qué necesita?");
}

#[tokio::test]
async fn a_citizen_silent_after_an_agents_reply_is_nudged_then_the_conversation_is_resolved() {
    // GIVEN a citizen with an agent, who answered them just now
    let line = Line::start(|_| {}).await;
    line.post_request(&fresh_text("wamid.quiet.1", "hola")).await;
    let choose = fresh(
        "wamid.quiet.2",
        json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "agent", "title": "Parlar amb una persona"}}}),
    );
    line.post_request(&choose).await;
    line.post_request(&fresh_text("wamid.quiet.3", "Maria Puig")).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/take"), None).await;
    let replied = Timestamp::now();
    let (status, _) =
        line.desk("POST", &format!("/conversations/{CITIZEN}/reply"), Some(json!({"text": "Què us passa?"}))).await;
    assert_eq!(status, 200);
    // THEN one timer waits for the citizen's silence, four hours from the reply
    let timers = schedules::list(&line.stack).await.unwrap();
    assert_eq!(timers.len(), 1, "the name's timers are gone, the reply's is there: {timers:#?}");
    assert!(timers[0].due >= replied + SignedDuration::from_mins(239), "{:?}", timers[0].due);
    // WHEN four hours pass in silence: one nudge
    assert_eq!(schedules::fire_due(&line.stack, replied + SignedDuration::from_mins(230)).await.unwrap(), 0);
    assert_eq!(schedules::fire_due(&line.stack, replied + SignedDuration::from_mins(241)).await.unwrap(), 1);
    line.deliver().await;
    assert!(
        texts(&line.sent).last().unwrap().starts_with("Encara hi sou? Si necessiteu res més"),
        "{:?}",
        texts(&line.sent)
    );
    // AND four more: resolved, saying they can write again, asking for a rating, with the survey
    assert_eq!(schedules::fire_due(&line.stack, replied + SignedDuration::from_mins(482)).await.unwrap(), 1);
    line.deliver().await;
    let last = texts(&line.sent).last().unwrap().clone();
    assert!(last.starts_with("Tanquem la conversa.") && last.contains("https://example.org/enquesta"), "{last}");
    let (_, conversation) = line.desk("GET", &format!("/conversations/{CITIZEN}"), None).await;
    assert_eq!(conversation["state"]["state"], "rating");
    // AND the next "hola" starts again at the menu, not in the agent's transcript
    line.post_request(&fresh_text("wamid.quiet.4", "hola")).await;
    assert!(texts(&line.sent).last().unwrap().starts_with("Hola! Sóc l'assistent"));
}

#[tokio::test]
async fn an_answer_to_the_agent_stops_the_silence_timer() {
    let line = Line::start(|_| {}).await;
    line.flow("agent", 3).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/take"), None).await;
    line.desk("POST", &format!("/conversations/{CITIZEN}/reply"), Some(json!({"text": "Digueu"}))).await;
    assert_eq!(schedules::list(&line.stack).await.unwrap().len(), 1);
    line.post_request(&fresh_text("wamid.answer.1", "Tinc una fuita")).await;
    assert!(schedules::list(&line.stack).await.unwrap().is_empty(), "answered: no nudge");
    let (_, conversation) = line.desk("GET", &format!("/conversations/{CITIZEN}"), None).await;
    assert_eq!(conversation["state"]["state"], "with_agent");
}
