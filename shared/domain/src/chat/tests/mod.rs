use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::machine::{self, Billing, Context, Effect, Event, ListOf, Reply, State, step};
use super::*;
use crate::chat::ports::ConversationStore;
use crate::error::{Error, RejectionCode};
use crate::fakes::{self, Fakes};
use crate::notice::NoticeSubject;
use crate::ports::{NoticeScheduler, NoticeStore, Scheduled, TenantDirectory};
use crate::queues::NoReply;
use crate::tenant::{TenantSettings, WhatsAppSettings};

const NUMBER_ID: &str = "106540352242922";

static TENANT: std::sync::LazyLock<TenantId> = std::sync::LazyLock::new(fakes::tenant);

fn now() -> Timestamp {
    "2026-11-20T09:00:00Z".parse().unwrap()
}

fn ctx(settings: &ChatSettings) -> Context<'_> {
    Context {
        tenant_id: &TENANT,
        settings,
        now: now(),
        office_open: true,
        back_at: json!({}),
        reference: "2611-ABCDEF".into(),
        billing: Billing::NotLoaded,
        contract_known: None,
        feed: None,
    }
}

fn text(body: &str) -> Said {
    Said::Text { body: body.into() }
}

fn choose(id: &str) -> Said {
    Said::Choice { id: id.into(), title: id.into() }
}

fn phrases(replies: &[Reply]) -> Vec<&'static str> {
    replies
        .iter()
        .map(|r| match r {
            Reply::Say { phrase, .. } => *phrase,
            Reply::Staff { .. } => "<staff>",
        })
        .collect()
}

fn said(state: &State, what: &Said) -> machine::Step {
    step(state, &Event::Said(what), &ctx(&ChatSettings::default())).unwrap()
}

fn description() -> Text<1000> {
    Text::parse("A streetlight is off").unwrap()
}

fn address() -> IncidentLocation {
    IncidentLocation::Address { address: Text::parse("Carrer Major 3").unwrap() }
}

// ---------------------------------------------------------------- every transition

#[test]
fn every_citizen_transition_goes_where_the_flow_says() {
    let asked = State::AskingName { asked_at: now(), recontacted: false };
    let cases: Vec<(State, Said, &str, Vec<&str>)> = vec![
        // (from, said, to, phrases)
        (State::Closed, text("hola"), "menu", vec!["welcome"]),
        (State::Closed, text("I need help"), "menu", vec!["welcome"]),
        (State::Menu, text("what?"), "menu", vec!["not_understood"]),
        (State::Menu, choose("incident"), "incident_category", vec!["incident_category"]),
        (State::Menu, choose("information"), "information", vec!["information"]),
        (State::Menu, choose("appointment"), "appointment_service", vec!["appointment_service"]),
        (State::Menu, choose("preferences"), "preferences", vec!["preferences"]),
        (State::Menu, choose("billing"), "menu", vec!["billing_unknown"]),
        (State::Menu, choose("agent"), "asking_name", vec!["ask_name"]),
        (State::Menu, choose("tourism"), "menu", vec!["answer"]),
        (State::IncidentCategory, choose("lighting"), "incident_description", vec!["incident_description"]),
        (State::IncidentCategory, choose("nonsense"), "incident_category", vec!["choose_from_list"]),
        (
            State::IncidentDescription { category: "lighting".into() },
            text("A streetlight is off"),
            "incident_location",
            vec!["incident_location"],
        ),
        (
            State::IncidentDescription { category: "lighting".into() },
            choose("x"),
            "incident_description",
            vec!["incident_description"],
        ),
        (
            State::IncidentLocation { category: "lighting".into(), description: description() },
            text("Carrer Major 3"),
            "incident_photo",
            vec!["incident_photo"],
        ),
        (
            State::IncidentLocation { category: "lighting".into(), description: description() },
            Said::Location { lat: 41.7, lon: 1.8, address: None },
            "incident_photo",
            vec!["incident_photo"],
        ),
        (
            State::IncidentPhoto { category: "lighting".into(), description: description(), location: address() },
            Said::Image { media_id: "media-1".into(), caption: None },
            "menu",
            vec!["incident_filed"],
        ),
        (
            State::IncidentPhoto { category: "lighting".into(), description: description(), location: address() },
            choose("skip"),
            "menu",
            vec!["incident_filed"],
        ),
        (State::Information, choose("pharmacies"), "menu", vec!["answer"]),
        (State::Information, text("?"), "information", vec!["choose_from_list"]),
        (State::AppointmentService, choose("census"), "appointment_slot", vec!["appointment_slot"]),
        (State::AppointmentService, text("?"), "appointment_service", vec!["choose_from_list"]),
        (
            State::AppointmentSlot { service: "census".into() },
            text("Tuesday morning"),
            "menu",
            vec!["appointment_requested"],
        ),
        (State::Preferences, choose("language"), "preference_language", vec!["choose_language"]),
        (State::Preferences, choose("opt_out"), "menu", vec!["opted_out"]),
        (State::Preferences, choose("opt_in"), "menu", vec!["opted_in"]),
        (State::Preferences, choose("terms"), "menu", vec!["terms"]),
        (State::Preferences, choose("privacy"), "menu", vec!["privacy"]),
        (State::PreferenceLanguage, choose("es"), "menu", vec!["language_set"]),
        (State::PreferenceLanguage, choose("fr"), "preference_language", vec!["choose_from_list"]),
        (asked.clone(), text("Maria Puig"), "waiting_for_agent", vec!["handed_off"]),
        (asked.clone(), Said::Location { lat: 1.0, lon: 1.0, address: None }, "asking_name", vec!["ask_name"]),
        (asked.clone(), text("hola"), "menu", vec!["welcome"]),
        (State::WaitingForAgent { since: now() }, text("are you there?"), "waiting_for_agent", vec!["still_waiting"]),
        (with_jordi(None, false), text("thanks"), "with_agent", vec![]),
        (with_jordi(Some(now()), true), text("hola"), "with_agent", vec![]),
        (rating(), choose("rating:4"), "closed", vec!["rating_thanks"]),
        (rating(), text("5"), "closed", vec!["rating_thanks"]),
        (rating(), text("hola"), "menu", vec!["welcome"]),
        (rating(), text("my water is off again"), "menu", vec!["welcome"]),
        (rating(), text("7"), "menu", vec!["welcome"]),
        (
            State::Rating { agent: "jordi".into(), asked_at: now() - SignedDuration::from_hours(25) },
            text("3"),
            "menu",
            vec!["welcome"],
        ),
        (State::Menu, Said::Unsupported { kind: "sticker".into() }, "menu", vec!["unsupported"]),
        (State::IncidentCategory, Said::Unsupported { kind: "audio".into() }, "incident_category", vec!["unsupported"]),
    ];
    for (from, what, to, expected) in cases {
        let result = said(&from, &what);
        assert_eq!(result.state.name(), to, "{} + {what:?}", from.name());
        assert_eq!(phrases(&result.replies), expected, "{} + {what:?}", from.name());
    }
}

#[test]
fn the_steps_that_file_or_change_something_say_so() {
    let filed = said(
        &State::IncidentPhoto { category: "lighting".into(), description: description(), location: address() },
        &Said::Image { media_id: "media-1".into(), caption: None },
    );
    assert!(matches!(&filed.effects[..], [Effect::FileIncident { media_id: Some(m), .. }] if m == "media-1"));
    let requested = said(&State::AppointmentSlot { service: "census".into() }, &text("Tuesday"));
    let rated = said(&rating(), &text("4"));
    assert_eq!(
        rated.effects,
        [Effect::Rate { agent: "jordi".into(), asked_at: now(), score: Score::try_from(4).unwrap() }]
    );
    assert!(said(&rating(), &text("thanks")).effects.is_empty(), "no rating: nothing kept");
    assert!(matches!(&requested.effects[..], [Effect::RequestAppointment { service, .. }] if service == "census"));
    let language = said(&State::PreferenceLanguage, &choose("it"));
    assert_eq!(language.effects, [Effect::SetLanguage(Locale::It)]);
    let asked = said(&State::Menu, &choose("agent"));
    let recontact = Effect::StartTimer { asked_at: now(), stage: NoReply::Recontact };
    assert_eq!(asked.effects, [Effect::SetTeam("agent".into()), recontact], "the service chosen is the team");
    let named = said(&State::AskingName { asked_at: now(), recontacted: true }, &text("Maria"));
    assert!(named.effects.contains(&Effect::CancelTimers { asked_at: now(), stages: NoReply::NAME }));
    assert!(named.effects.contains(&Effect::HandOff));
}

#[test]
fn the_menu_and_lists_carry_their_rows() {
    let welcome = said(&State::Closed, &text("hola"));
    assert!(matches!(&welcome.replies[0], Reply::Say { list: Some(ListOf::Services), .. }));
    let photo = said(&State::IncidentLocation { category: "x".into(), description: description() }, &text("Major 3"));
    assert!(matches!(&photo.replies[0], Reply::Say { list: Some(ListOf::SkipButton), .. }));
}

#[test]
fn outside_office_hours_the_hand_off_says_when_staff_are_back() {
    let settings = ChatSettings::default();
    let closed = Context { office_open: false, ..ctx(&settings) };
    let asked = State::AskingName { asked_at: now(), recontacted: false };
    let result = step(&asked, &Event::Said(&text("Maria")), &closed).unwrap();
    assert_eq!(phrases(&result.replies), ["handed_off_closed"]);
    assert_eq!(result.state.name(), "waiting_for_agent", "the request waits for them");
}

#[test]
fn the_no_reply_timers_recontact_once_then_close_and_stale_ones_do_nothing() {
    let settings = ChatSettings::default();
    let asked = State::AskingName { asked_at: now(), recontacted: false };
    let timer =
        |state: &State, asked_at, stage| step(state, &Event::Timer { asked_at, stage }, &ctx(&settings)).unwrap();
    let recontact = timer(&asked, now(), NoReply::Recontact);
    assert_eq!(phrases(&recontact.replies), ["recontact"]);
    assert_eq!(recontact.effects, [Effect::StartTimer { asked_at: now(), stage: NoReply::Close }]);
    let close = timer(&recontact.state, now(), NoReply::Close);
    assert_eq!((close.state.name(), phrases(&close.replies)), ("closed", vec!["closed_no_reply"]));
    let earlier = now() - SignedDuration::from_mins(30);
    assert!(timer(&asked, earlier, NoReply::Recontact).replies.is_empty(), "a timer of an earlier question");
    let answered = State::WaitingForAgent { since: now() };
    assert!(timer(&answered, now(), NoReply::Recontact).replies.is_empty(), "answered meanwhile");
}

fn rating() -> State {
    State::Rating { agent: "jordi".into(), asked_at: now() }
}

fn with_jordi(replied_at: Option<jiff::Timestamp>, nudged: bool) -> State {
    State::WithAgent { agent: "jordi".into(), replied_at, nudged }
}

#[test]
fn a_citizen_silent_after_an_agents_reply_is_nudged_once_then_the_conversation_is_resolved() {
    let settings = ChatSettings::default();
    let c = ctx(&settings);
    let timer = |state: &State, asked_at, stage| step(state, &Event::Timer { asked_at, stage }, &c).unwrap();
    // GIVEN an agent's reply: its silence timer starts, from the reply
    let replied = step(&with_jordi(None, false), &Event::AgentReplies { agent: "jordi", text: "Bon dia" }, &c).unwrap();
    assert_eq!(replied.state, with_jordi(Some(now()), false));
    assert_eq!(replied.effects, [Effect::StartTimer { asked_at: now(), stage: NoReply::Nudge }]);
    // WHEN the citizen stays silent: one nudge, then resolved with the survey
    let nudge = timer(&replied.state, now(), NoReply::Nudge);
    assert_eq!((nudge.state.clone(), phrases(&nudge.replies)), (with_jordi(Some(now()), true), vec!["nudge"]));
    assert_eq!(nudge.effects, [Effect::StartTimer { asked_at: now(), stage: NoReply::Quiet }]);
    let quiet = timer(&nudge.state, now(), NoReply::Quiet);
    assert_eq!((quiet.state.clone(), phrases(&quiet.replies)), (rating(), vec!["closed_quiet"]));
    // AND an answer stops the timers; a timer of an earlier reply, or one already answered, does nothing
    let answered = said(&nudge.state, &text("still here"));
    assert_eq!(answered.state, with_jordi(None, false));
    assert_eq!(answered.effects, [Effect::CancelTimers { asked_at: now(), stages: NoReply::AGENT }]);
    assert!(timer(&answered.state, now(), NoReply::Quiet).replies.is_empty());
    let earlier = now() - SignedDuration::from_mins(30);
    assert!(timer(&replied.state, earlier, NoReply::Nudge).replies.is_empty(), "a timer of an earlier reply");
    // AND a second reply moves the silence on; resolving stops it
    let later = Context { now: now() + SignedDuration::from_mins(5), ..ctx(&settings) };
    let again = step(&replied.state, &Event::AgentReplies { agent: "jordi", text: "?" }, &later).unwrap();
    assert_eq!(again.effects[0], Effect::CancelTimers { asked_at: now(), stages: NoReply::AGENT });
    let resolved = step(&again.state, &Event::AgentResolves { agent: "jordi" }, &later).unwrap();
    assert_eq!(resolved.effects, [Effect::CancelTimers { asked_at: later.now, stages: NoReply::AGENT }]);
}

#[test]
fn staff_act_only_on_conversations_in_their_hands() {
    let settings = ChatSettings::default();
    let c = ctx(&settings);
    let waiting = State::WaitingForAgent { since: now() };
    let taken = step(&waiting, &Event::AgentTakes { agent: "jordi" }, &c).unwrap();
    assert_eq!((taken.state.name(), phrases(&taken.replies)), ("with_agent", vec!["agent_joined"]));
    let replied = step(&taken.state, &Event::AgentReplies { agent: "jordi", text: "Hello Maria" }, &c).unwrap();
    assert_eq!(replied.replies, [Reply::Staff { text: "Hello Maria".into() }]);
    assert!(step(&taken.state, &Event::AgentReplies { agent: "anna", text: "x" }, &c).is_err(), "another agent's");
    assert!(step(&State::Menu, &Event::AgentTakes { agent: "jordi" }, &c).is_err(), "not waiting");
    let resolved = step(&taken.state, &Event::AgentResolves { agent: "jordi" }, &c).unwrap();
    assert_eq!((resolved.state.clone(), phrases(&resolved.replies)), (rating(), vec!["resolved"]));
    let Reply::Say { values, list, .. } = &resolved.replies[0] else { panic!() };
    assert_eq!((&values["survey_url"], *list), (&json!(settings.survey_url), Some(ListOf::Ratings)));
    assert!(step(&resolved.state, &Event::AgentResolves { agent: "jordi" }, &c).is_err(), "resolved already");
}

mod feeds;
mod line;
mod photos;
mod ratings;
