//! The chat line over fakes: dedup, flows, timers, staff, complaints and subscriptions.

use super::*;
use crate::queues::ChatJob;

// ---------------------------------------------------------------- the line over fakes

pub(super) async fn line_fakes() -> Fakes {
    let f = Fakes::with_invoice(|_| {}).await;
    let whatsapp =
        WhatsAppSettings { phone_number_id: NUMBER_ID.into(), templates: std::collections::BTreeMap::default() };
    let settings = TenantSettings { whatsapp: Some(whatsapp), ..fakes::default_settings() };
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    f
}

pub(super) fn inbound(id: &str, from: &str, what: Said) -> Inbound {
    Inbound {
        message_id: id.into(),
        phone_number_id: NUMBER_ID.into(),
        from: PhoneE164::parse(from).unwrap(),
        at: now(),
        said: what,
    }
}

pub(super) const CITIZEN: &str = "+34600999000";

pub(super) async fn conversation(f: &Fakes, phone: &str) -> Conversation {
    f.chat.conversation(&fakes::tenant(), &PhoneE164::parse(phone).unwrap()).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_message_redelivered_by_meta_is_answered_once() {
    let f = line_fakes().await;
    let line = f.chat_line();
    let first = line.receive(&inbound("wamid.1", CITIZEN, text("hola"))).await.unwrap();
    assert_eq!(first, Received::Answered { state: "menu", replies: 1 });
    assert_eq!(line.receive(&inbound("wamid.1", CITIZEN, text("hola"))).await.unwrap(), Received::Duplicate);
    assert_eq!(f.dispatch.jobs().len(), 1);
    let job = &f.dispatch.jobs()[0];
    assert!(job.urgent);
    let notice = f.notices.notice(&job.tenant_id, &job.notice_id).await.unwrap();
    let content = notice.unwrap().messages[0].content.clone().unwrap();
    let Some(Interactive::List { rows, .. }) = content.interactive else { panic!("{content:?}") };
    assert_eq!(rows.len(), 10, "the tenant's services");
}

#[tokio::test]
async fn a_message_to_a_number_no_tenant_has_is_not_answered() {
    let f = line_fakes().await;
    let mut stray = inbound("wamid.1", CITIZEN, text("hola"));
    stray.phone_number_id = "999".into();
    assert_eq!(f.chat_line().receive(&stray).await.unwrap(), Received::UnknownNumber);
    assert!(f.dispatch.jobs().is_empty());
}

#[tokio::test]
async fn an_incident_is_filed_with_its_open311_fields_and_a_reference() {
    let f = line_fakes().await;
    let line = f.chat_line();
    for (i, what) in [
        text("hola"),
        choose("incident"),
        choose("lighting"),
        text("The streetlight at the corner is off"),
        Said::Location { lat: 41.7251, lon: 1.8266, address: Some("Carrer Major 3".into()) },
        Said::Image { media_id: "1485210962315254".into(), caption: None },
    ]
    .into_iter()
    .enumerate()
    {
        line.receive(&inbound(&format!("wamid.{i}"), CITIZEN, what)).await.unwrap();
    }
    let incidents = f.chat.incidents();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!((incident.service_code.as_str(), incident.status), ("lighting", IncidentStatus::Open));
    assert_eq!(incident.media_ids, ["1485210962315254"]);
    assert!(matches!(incident.location, IncidentLocation::Point { lat, .. } if (lat - 41.7251).abs() < 1e-9));
    assert!(incident.reference.starts_with("INC-2611-"), "{}", incident.reference);
    let said = &conversation(&f, CITIZEN).await.transcript;
    assert!(said.last().unwrap().text.contains(&incident.reference), "the citizen is told the reference");
    // staff move it on, and the reporter is told
    let updated = line
        .update_incident(&fakes::tenant(), &incident.reference, "anna", IncidentStatus::InProgress, None)
        .await
        .unwrap();
    assert_eq!(updated.updates.len(), 1);
    assert_eq!(f.dispatch.jobs().len(), 7, "six answers and the status message");
}

#[tokio::test]
async fn a_known_customer_asking_for_bills_hears_of_their_unpaid_invoices() {
    let f = line_fakes().await;
    let phone = fakes::customer_profile().mobile.unwrap();
    let line = f.chat_line();
    line.receive(&inbound("wamid.1", phone.as_str(), text("hola"))).await.unwrap();
    line.receive(&inbound("wamid.2", phone.as_str(), choose("billing"))).await.unwrap();
    let last = conversation(&f, phone.as_str()).await.transcript.last().unwrap().text.clone();
    assert!(last.contains(":billing ") && last.contains("\"unpaid_count\":1"), "{last}");
    assert!(last.contains(fakes::contract().as_str()), "{last}");
    // and a stranger does not
    line.receive(&inbound("wamid.3", CITIZEN, text("hola"))).await.unwrap();
    line.receive(&inbound("wamid.4", CITIZEN, choose("billing"))).await.unwrap();
    assert!(conversation(&f, CITIZEN).await.transcript.last().unwrap().text.contains("billing_unknown"));
}

#[tokio::test]
async fn a_customer_who_reads_notices_in_spanish_is_greeted_in_spanish_until_they_choose_otherwise() {
    // GIVEN a customer whose notices are in Spanish, on a line that speaks it
    let f = Fakes::with_invoice(|p| p.language = Some(Locale::Es)).await;
    let whatsapp =
        WhatsAppSettings { phone_number_id: NUMBER_ID.into(), templates: std::collections::BTreeMap::default() };
    f.tenants
        .put_settings(&fakes::tenant(), &TenantSettings { whatsapp: Some(whatsapp), ..fakes::default_settings() })
        .await
        .unwrap();
    let phone = fakes::customer_profile().mobile.unwrap();
    let line = f.chat_line();
    // WHEN they write for the first time
    line.receive(&inbound("wamid.1", phone.as_str(), text("hola"))).await.unwrap();
    // THEN the welcome is in Spanish; a stranger hears the line's first language
    assert!(conversation(&f, phone.as_str()).await.transcript.last().unwrap().text.starts_with("es:welcome"));
    line.receive(&inbound("wamid.2", CITIZEN, text("hola"))).await.unwrap();
    assert!(conversation(&f, CITIZEN).await.transcript.last().unwrap().text.starts_with("ca:welcome"));
    // AND once they choose Italian in the chat, Italian it is, though their profile says Spanish
    for (id, what) in [("wamid.3", choose("preferences")), ("wamid.4", choose("language")), ("wamid.5", choose("it"))] {
        line.receive(&inbound(id, phone.as_str(), what)).await.unwrap();
    }
    line.receive(&inbound("wamid.6", phone.as_str(), text("hola"))).await.unwrap();
    assert_eq!(conversation(&f, phone.as_str()).await.locale, Locale::It);
}

#[tokio::test]
async fn talking_to_a_person_asks_the_name_then_hands_off_and_the_agent_is_named() {
    let f = line_fakes().await;
    let line = f.chat_line();
    line.receive(&inbound("wamid.1", CITIZEN, text("hola"))).await.unwrap();
    line.receive(&inbound("wamid.2", CITIZEN, choose("agent"))).await.unwrap();
    // the re-contact timer is scheduled 20 minutes ahead
    let timers = f.chat_timers.scheduled();
    assert_eq!(timers.len(), 1);
    assert_eq!(timers[0].at.to_string(), "2026-11-20T10:20:00", "09:00 UTC + 20 min, in Madrid");
    assert!(line.waiting(&fakes::tenant()).await.unwrap().is_empty(), "not handed off before the name");
    line.receive(&inbound("wamid.3", CITIZEN, text("Maria Puig"))).await.unwrap();
    assert!(f.chat_timers.scheduled().is_empty(), "answered: the timer is cancelled");
    let waiting = line.waiting(&fakes::tenant()).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].name.as_ref().unwrap().as_str(), "Maria Puig");
    let phone = PhoneE164::parse(CITIZEN).unwrap();
    let taken = line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Take, None).await.unwrap();
    assert!(taken.transcript.last().unwrap().text.contains("\"agent\":\"Jordi\""));
    line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Reply("Bon dia, Maria"), None).await.unwrap();
    let resolved = line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Resolve, None).await.unwrap();
    assert_eq!(resolved.state.name(), "rating");
    assert!(resolved.transcript.last().unwrap().text.contains("survey_url"));
    let error = line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Resolve, None).await.unwrap_err();
    assert!(matches!(error, Error::Rejected(r) if r.code == RejectionCode::InvalidTransition));
}

#[tokio::test]
async fn an_agent_hands_a_conversation_to_a_colleague_or_back_to_a_teams_queue() {
    // GIVEN a citizen Jordi is answering, after he replied (her silence timers running)
    let f = line_fakes().await;
    let line = f.chat_line();
    line.receive(&inbound("wamid.1", CITIZEN, text("hola"))).await.unwrap();
    line.receive(&inbound("wamid.2", CITIZEN, choose("agent"))).await.unwrap();
    line.receive(&inbound("wamid.3", CITIZEN, text("Maria Puig"))).await.unwrap();
    let (tenant, phone) = (fakes::tenant(), PhoneE164::parse(CITIZEN).unwrap());
    line.staff(&tenant, &phone, "Jordi", StaffAction::Take, None).await.unwrap();
    line.staff(&tenant, &phone, "Jordi", StaffAction::Reply("Un moment"), None).await.unwrap();
    assert!(!f.chat_timers.scheduled().is_empty());
    // WHEN he hands it to Montse THEN she has it, the citizen is told who, his timers are gone
    let to_montse = StaffAction::Transfer(Handover::Colleague("Montse"));
    let handed = line.staff(&tenant, &phone, "Jordi", to_montse, None).await.unwrap();
    assert_eq!(handed.agent.as_ref().unwrap().as_str(), "Montse");
    assert!(matches!(&handed.state, State::WithAgent { agent, .. } if agent == "Montse"));
    assert!(f.chat_timers.scheduled().is_empty(), "Jordi's silence timers are cancelled");
    let refused = line.staff(&tenant, &phone, "Jordi", StaffAction::Reply("Hola?"), None).await.unwrap_err();
    assert!(matches!(refused, Error::Rejected(r) if r.code == RejectionCode::InvalidTransition));
    // WHEN Montse hands it to social services THEN it waits in that team's queue, nobody's
    let to_social = StaffAction::Transfer(Handover::Team("social"));
    let queued = line.staff(&tenant, &phone, "Montse", to_social, None).await.unwrap();
    assert!(matches!(queued.state, State::WaitingForAgent { .. }));
    assert_eq!((queued.team.as_deref(), queued.agent.as_ref()), (Some("social"), None));
    assert_eq!(line.waiting(&tenant).await.unwrap().len(), 1);
    assert!(line.with_agent(&tenant).await.unwrap().is_empty());
    // AND nobody hands on a conversation that is not theirs, nor to themselves
    let not_hers = line.staff(&tenant, &phone, "Montse", to_social, None).await.unwrap_err();
    assert!(matches!(not_hers, Error::Rejected(r) if r.code == RejectionCode::InvalidTransition));
}

#[tokio::test]
async fn a_taken_conversation_is_listed_with_its_agent_and_notes_never_reach_the_citizen() {
    // GIVEN a citizen waiting for a person
    let f = line_fakes().await;
    let line = f.chat_line();
    line.receive(&inbound("wamid.1", CITIZEN, text("hola"))).await.unwrap();
    line.receive(&inbound("wamid.2", CITIZEN, choose("agent"))).await.unwrap();
    line.receive(&inbound("wamid.3", CITIZEN, text("Maria Puig"))).await.unwrap();
    let phone = PhoneE164::parse(CITIZEN).unwrap();
    assert!(line.with_agent(&fakes::tenant()).await.unwrap().is_empty());
    // WHEN an agent takes it THEN it leaves the waiting list for the agents' one
    line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Take, None).await.unwrap();
    assert!(line.waiting(&fakes::tenant()).await.unwrap().is_empty());
    let taken = line.with_agent(&fakes::tenant()).await.unwrap();
    assert_eq!(taken.iter().map(|c| c.agent.as_ref().unwrap().as_str()).collect::<Vec<_>>(), ["Jordi"]);
    // WHEN the agent leaves a note THEN it is kept, and nothing more is sent
    let sent = f.dispatch.jobs().len();
    let noted = line.note(&fakes::tenant(), &phone, "Jordi", Text::parse("Called her back at 12").unwrap()).await;
    assert_eq!(noted.unwrap().notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(), ["Called her back at 12"]);
    assert_eq!(conversation(&f, CITIZEN).await.notes.len(), 1);
    assert_eq!(f.dispatch.jobs().len(), sent, "a note is not a message");
    // AND a note on a conversation that does not exist is refused
    let nobody = PhoneE164::parse("+34600000009").unwrap();
    let refused = line.note(&fakes::tenant(), &nobody, "Jordi", Text::parse("x").unwrap()).await.unwrap_err();
    assert!(matches!(refused, Error::Rejected(r) if r.code == RejectionCode::NotFound));
}

#[tokio::test]
async fn no_reply_to_the_name_recontacts_once_then_closes() {
    let f = line_fakes().await;
    let line = f.chat_line();
    line.receive(&inbound("wamid.1", CITIZEN, choose("agent"))).await.unwrap(); // first message: menu
    line.receive(&inbound("wamid.2", CITIZEN, choose("agent"))).await.unwrap();
    let Scheduled::Chat(ChatJob::ChatTimer(chat_timer)) = f.chat_timers.scheduled()[0].job.clone() else { panic!() };
    f.clock.advance(SignedDuration::from_mins(20));
    f.chat_timers.cancel(&chat_timer.schedule_name()).await.unwrap(); // fired: deleted
    assert_eq!(line.timer(&chat_timer).await.unwrap(), Some("asking_name"));
    assert!(conversation(&f, CITIZEN).await.transcript.last().unwrap().text.contains(":recontact"));
    let Scheduled::Chat(ChatJob::ChatTimer(close)) = f.chat_timers.scheduled()[0].job.clone() else { panic!() };
    assert_eq!(close.stage, NoReply::Close);
    f.clock.advance(SignedDuration::from_mins(20));
    assert_eq!(line.timer(&close).await.unwrap(), Some("closed"));
    assert!(conversation(&f, CITIZEN).await.transcript.last().unwrap().text.contains(":closed_no_reply"));
    // firing again sends nothing new
    let jobs = f.dispatch.jobs().len();
    line.timer(&close).await.unwrap();
    assert_eq!(f.dispatch.jobs().len(), jobs + 1, "the same reply re-queued: the dispatcher's claim stops it");
    let notices = f.notices.count();
    line.timer(&close).await.unwrap();
    assert_eq!(f.notices.count(), notices);
}

#[tokio::test]
async fn after_the_24_hour_window_staff_write_with_the_follow_up_template() {
    let f = line_fakes().await;
    let line = f.chat_line();
    let phone = PhoneE164::parse(CITIZEN).unwrap();
    line.receive(&inbound("wamid.1", CITIZEN, choose("x"))).await.unwrap();
    line.receive(&inbound("wamid.2", CITIZEN, choose("agent"))).await.unwrap();
    line.receive(&inbound("wamid.3", CITIZEN, text("Maria"))).await.unwrap();
    line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Take, None).await.unwrap();
    f.clock.advance(SignedDuration::from_hours(25));
    line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Reply("We fixed it"), None).await.unwrap();
    let last = f.dispatch.jobs().last().unwrap().clone();
    let notice = f.notices.notice(&last.tenant_id, &last.notice_id).await.unwrap().unwrap();
    assert_eq!(notice.kind, crate::notice::NoticeKind::ChatFollowUp);
}

#[tokio::test]
async fn choosing_a_language_answers_in_it_from_then_on() {
    let f = line_fakes().await;
    let line = f.chat_line();
    for (i, what) in
        [text("hola"), choose("preferences"), choose("language"), choose("it"), text("hola")].into_iter().enumerate()
    {
        line.receive(&inbound(&format!("wamid.{i}"), CITIZEN, what)).await.unwrap();
    }
    let conversation = conversation(&f, CITIZEN).await;
    assert_eq!(conversation.locale, Locale::It);
    assert!(conversation.transcript.last().unwrap().text.starts_with("it:welcome"));
}

#[tokio::test]
async fn an_appointment_request_is_stored_and_confirmed_by_staff() {
    let f = line_fakes().await;
    let line = f.chat_line();
    for (i, what) in
        [text("hola"), choose("appointment"), choose("census"), text("Tuesday morning")].into_iter().enumerate()
    {
        line.receive(&inbound(&format!("wamid.{i}"), CITIZEN, what)).await.unwrap();
    }
    let requested = f.chat.appointments();
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].service, "census");
    let slot = Text::parse("2026-11-24 10:30, Plaça Major 1").unwrap();
    let confirmed = line.confirm_appointment(&fakes::tenant(), &requested[0].reference, "anna", slot).await.unwrap();
    assert!(matches!(confirmed.status, AppointmentStatus::Confirmed { .. }));
    assert!(
        line.confirm_appointment(&fakes::tenant(), &requested[0].reference, "anna", Text::parse("x").unwrap())
            .await
            .is_err()
    );
}

#[test]
fn the_transcript_keeps_the_last_lines_only() {
    let mut c = Conversation::new(fakes::tenant(), PhoneE164::parse(CITIZEN).unwrap(), Locale::Ca, now());
    for i in 0..(TRANSCRIPT_LINES + 5) {
        c.log(now(), "citizen", &format!("line {i}"));
    }
    assert_eq!(c.transcript.len(), TRANSCRIPT_LINES);
    assert_eq!(c.transcript[0].text, "line 5");
}

#[test]
fn disputing_a_bill_picks_the_invoice_then_asks_why_and_files_it() {
    let settings = ChatSettings::default();
    let known = Context {
        billing: Billing::Known(json!([{ "contract_id": "CT-0001", "invoices": ["F-2026-110001"] }])),
        ..ctx(&settings)
    };
    let pick = step(&State::Menu, &Event::Said(&choose(machine::DISPUTE)), &known).unwrap();
    assert_eq!((pick.state.name(), phrases(&pick.replies)), ("complaint_invoice", vec!["complaint_invoice"]));
    assert!(matches!(&pick.replies[0], Reply::Say { list: Some(ListOf::Invoices), .. }));
    let why = step(&pick.state, &Event::Said(&choose("CT-0001/F-2026-110001")), &known).unwrap();
    assert_eq!((why.state.name(), phrases(&why.replies)), ("complaint_reason", vec!["complaint_reason"]));
    let filed = step(&why.state, &Event::Said(&text("I was away all month")), &known).unwrap();
    assert_eq!((filed.state.name(), phrases(&filed.replies)), ("menu", vec!["complaint_filed"]));
    assert!(
        matches!(&filed.effects[..], [Effect::FileComplaint { invoice_number, .. }] if invoice_number.as_str() == "F-2026-110001")
    );
    let closed = Context { office_open: false, ..known.clone() };
    let after_hours = step(&why.state, &Event::Said(&text("I was away all month")), &closed).unwrap();
    assert_eq!(phrases(&after_hours.replies), ["complaint_filed_closed"], "told when staff are back");
    // a stranger has no invoices to dispute
    let unknown = step(&State::Menu, &Event::Said(&choose(machine::DISPUTE)), &ctx(&settings)).unwrap();
    assert_eq!(phrases(&unknown.replies), ["billing_unknown"]);
}

#[tokio::test]
async fn a_known_customer_disputes_an_invoice_from_the_chat_and_it_is_acknowledged() {
    let f = line_fakes().await;
    let phone = fakes::customer_profile().mobile.unwrap();
    let line = f.chat_line();
    let steps =
        [text("hola"), choose("billing"), choose(machine::DISPUTE), choose("CT-0001/F-2026-110001"), text("Too high")];
    for (i, what) in steps.into_iter().enumerate() {
        line.receive(&inbound(&format!("wamid.{i}"), phone.as_str(), what)).await.unwrap();
    }
    let said = conversation(&f, phone.as_str()).await.transcript;
    let filed = &said.last().unwrap().text;
    assert!(filed.contains(":complaint_filed ") && filed.contains("CLM-"), "{filed}");
    let jobs = f.compose.jobs();
    assert!(matches!(&jobs[..], [job] if matches!(&job.subject, NoticeSubject::Complaint { step: 1, .. })), "{jobs:?}");
}

#[test]
fn subscribing_to_a_buildings_outage_alerts_asks_its_contract_number() {
    let settings = ChatSettings::default();
    let asked = step(&State::Preferences, &Event::Said(&choose("outage_alerts")), &ctx(&settings)).unwrap();
    assert_eq!((asked.state.name(), phrases(&asked.replies)), ("alert_contract", vec!["alert_contract"]));
    let known = Context { contract_known: Some(true), ..ctx(&settings) };
    let subscribed = step(&asked.state, &Event::Said(&text(" ct-0001 ")), &known).unwrap();
    assert_eq!((subscribed.state.name(), phrases(&subscribed.replies)), ("menu", vec!["alerts_subscribed"]));
    assert!(
        matches!(&subscribed.effects[..], [Effect::SubscribeAlerts { contract_id }] if contract_id.as_str() == "CT-0001")
    );
    let unknown = Context { contract_known: Some(false), ..ctx(&settings) };
    let refused = step(&asked.state, &Event::Said(&text("CT-9")), &unknown).unwrap();
    assert_eq!(phrases(&refused.replies), ["alert_contract_unknown"]);
    assert!(refused.effects.is_empty());
}

#[tokio::test]
async fn a_citizen_subscribes_from_the_chat_and_the_outage_audience_includes_them() {
    use crate::outage::ports::AlertSubscriptions;
    let f = line_fakes().await;
    let line = f.chat_line();
    let steps = [text("hola"), choose("preferences"), choose("outage_alerts"), text("CT-0001")];
    for (i, what) in steps.into_iter().enumerate() {
        line.receive(&inbound(&format!("wamid.{i}"), CITIZEN, what)).await.unwrap();
    }
    assert!(conversation(&f, CITIZEN).await.transcript.last().unwrap().text.contains(":alerts_subscribed"));
    let subscribers = f.outages.subscribers(&fakes::tenant(), &fakes::contract()).await.unwrap();
    assert_eq!(subscribers.len(), 1);
    assert_eq!(subscribers[0].mobile.as_ref().unwrap().as_str(), CITIZEN);
    assert_eq!(subscribers[0].language, Locale::Ca);
}

#[tokio::test]
async fn a_staff_reply_retried_with_its_idempotency_key_is_sent_once() {
    let f = line_fakes().await;
    let line = f.chat_line();
    let phone = PhoneE164::parse(CITIZEN).unwrap();
    for (i, what) in [choose("x"), choose("agent"), text("Maria")].into_iter().enumerate() {
        line.receive(&inbound(&format!("wamid.{i}"), CITIZEN, what)).await.unwrap();
    }
    line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Take, None).await.unwrap();
    let before = f.notices.count();
    for _ in 0..2 {
        line.staff(&fakes::tenant(), &phone, "Jordi", StaffAction::Reply("On it"), Some("key-1")).await.unwrap();
    }
    assert_eq!(f.notices.count(), before + 1, "one reply");
    let said = conversation(&f, CITIZEN).await.transcript;
    assert_eq!(said.iter().filter(|l| l.text == "On it").count(), 1);
}
