//! What the citizen says, step by step: one arm per state.

use serde_json::json;

use super::{
    Billing, Context, DISPUTE, Effect, ListOf, Reply, State, Step, invoice_rows, list, menu, say, say_with,
    typed_contract,
};
use crate::chat::records::IncidentLocation;
use crate::chat::settings::ServiceAction;
use crate::chat::{Said, Score};
use crate::contact::Locale;
use crate::ids::{ContractId, InvoiceNumber};
use crate::queues::NoReply;
use crate::text::Text;

/// How long the rating question waits for its answer.
const RATING_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

const GREETINGS: [&str; 10] =
    ["hola", "hello", "hi", "ciao", "buongiorno", "bon dia", "buenos días", "menu", "menú", "inici"];

pub(super) fn is_greeting(said: &Said) -> bool {
    let Said::Text { body } = said else { return false };
    let body = body.trim().trim_end_matches(['!', '.']).to_lowercase();
    GREETINGS.contains(&body.as_str())
}

fn choice(said: &Said) -> Option<&str> {
    match said {
        Said::Choice { id, .. } => Some(id),
        _ => None,
    }
}

fn text(said: &Said) -> Option<&str> {
    match said {
        Said::Text { body } if !body.trim().is_empty() => Some(body.trim()),
        _ => None,
    }
}

#[allow(clippy::too_many_lines)] // one arm per state: the machine reads best in one place
pub(super) fn citizen(state: &State, said: &Said, ctx: &Context<'_>) -> Step {
    let settings = ctx.settings;
    if let State::WithAgent { agent, replied_at, .. } = state {
        // Staff read it in the transcript; the bot keeps out of the way. An answer stops the
        // silence timers of the agent's reply.
        let answered = State::WithAgent { agent: agent.clone(), replied_at: None, nudged: false };
        let cancel = replied_at.map(|at| Effect::CancelTimers { asked_at: at, stages: NoReply::AGENT });
        return Step::to(answered, Vec::new()).with(cancel.into_iter().collect());
    }
    if let State::Rating { agent, asked_at } = state {
        // A digit weeks later is a new conversation's, not an answer to the question.
        let answers = ctx.now.duration_since(*asked_at) < RATING_WINDOW;
        return match Score::said(said).filter(|_| answers) {
            Some(score) => Step::to(State::Closed, vec![say("rating_thanks")]).with(vec![Effect::Rate {
                agent: agent.clone(),
                asked_at: *asked_at,
                score,
            }]),
            None => citizen(&State::Closed, said, ctx),
        };
    }
    if let Said::Unsupported { .. } = said {
        return Step::to(state.clone(), vec![say("unsupported")]);
    }
    if let State::AskingName { asked_at, .. } = state
        && let Some(name) = text(said).filter(|_| !is_greeting(said)).and_then(|t| Text::<100>::parse(t).ok())
    {
        let cancel = Effect::CancelTimers { asked_at: *asked_at, stages: NoReply::NAME };
        let values = json!({ "name": name.as_str(), "back_at": ctx.back_at });
        let phrase = if ctx.office_open { "handed_off" } else { "handed_off_closed" };
        let effects = vec![Effect::SetName(name), cancel, Effect::HandOff];
        return Step::to(State::WaitingForAgent { since: ctx.now }, vec![say_with(phrase, values)]).with(effects);
    }
    if is_greeting(said) {
        let mut step = menu();
        if let State::AskingName { asked_at, .. } = state {
            step.effects.push(Effect::CancelTimers { asked_at: *asked_at, stages: NoReply::NAME });
        }
        return step;
    }
    match state {
        State::Closed => menu(),
        State::Menu if choice(said) == Some(DISPUTE) => {
            if invoice_rows(&ctx.billing).is_empty() {
                Step::to(State::Menu, vec![say("billing_unknown")])
            } else {
                Step::to(State::ComplaintInvoice, vec![list("complaint_invoice", ListOf::Invoices)])
            }
        }
        State::ComplaintInvoice => {
            let picked = choice(said).and_then(|id| id.split_once('/')).and_then(|(contract, invoice)| {
                Some((ContractId::parse(contract).ok()?, InvoiceNumber::parse(invoice).ok()?))
            });
            match picked {
                Some((contract_id, invoice_number)) => {
                    Step::to(State::ComplaintReason { contract_id, invoice_number }, vec![say("complaint_reason")])
                }
                None => Step::to(State::Menu, vec![list("not_understood", ListOf::Services)]),
            }
        }
        State::ComplaintReason { contract_id, invoice_number } => {
            match text(said).and_then(|t| Text::<1000>::parse(t).ok()) {
                Some(reason) => {
                    let reference = crate::complaints::Complaint::derive_reference(
                        ctx.tenant_id,
                        invoice_number,
                        reason.as_str(),
                        ctx.now,
                    );
                    let phrase = if ctx.office_open { "complaint_filed" } else { "complaint_filed_closed" };
                    let values = json!({ "reference": reference, "back_at": ctx.back_at });
                    let file = Effect::FileComplaint {
                        contract_id: contract_id.clone(),
                        invoice_number: invoice_number.clone(),
                        reason,
                    };
                    Step::to(State::Menu, vec![say_with(phrase, values)]).with(vec![file])
                }
                None => Step::to(state.clone(), vec![say("complaint_reason")]),
            }
        }
        State::Menu => match choice(said).and_then(|id| settings.service(id)) {
            None => Step::to(State::Menu, vec![list("not_understood", ListOf::Services)]),
            Some(service) => match &service.action {
                ServiceAction::Incident => {
                    Step::to(State::IncidentCategory, vec![list("incident_category", ListOf::IncidentCategories)])
                }
                ServiceAction::Information => {
                    Step::to(State::Information, vec![list("information", ListOf::Information)])
                }
                ServiceAction::Appointment => {
                    Step::to(State::AppointmentService, vec![list("appointment_service", ListOf::AppointmentServices)])
                }
                ServiceAction::Preferences => {
                    Step::to(State::Preferences, vec![list("preferences", ListOf::PreferenceOptions)])
                }
                ServiceAction::Billing => match &ctx.billing {
                    Billing::Known(contracts) => Step::to(
                        State::Menu,
                        vec![Reply::Say {
                            phrase: "billing",
                            values: json!({ "contracts": contracts }),
                            list: Some(ListOf::DisputeButton),
                        }],
                    ),
                    Billing::Unknown | Billing::NotLoaded => Step::to(State::Menu, vec![say("billing_unknown")]),
                },
                ServiceAction::Agent => {
                    Step::to(State::AskingName { asked_at: ctx.now, recontacted: false }, vec![say("ask_name")]).with(
                        vec![
                            Effect::SetTeam(service.row.id.clone()),
                            Effect::StartTimer { asked_at: ctx.now, stage: NoReply::Recontact },
                        ],
                    )
                }
                ServiceAction::Answer { body } => Step::to(
                    State::Menu,
                    vec![Reply::Say { phrase: "answer", values: json!({ "body": body.0 }), list: None }],
                ),
            },
        },
        State::IncidentCategory => {
            match choice(said).filter(|id| settings.incident_categories.iter().any(|c| c.id == *id)) {
                Some(category) => Step::to(
                    State::IncidentDescription { category: category.to_owned() },
                    vec![say("incident_description")],
                ),
                None => Step::to(state.clone(), vec![list("choose_from_list", ListOf::IncidentCategories)]),
            }
        }
        State::IncidentDescription { category } => match text(said).and_then(|t| Text::<1000>::parse(t).ok()) {
            Some(description) => Step::to(
                State::IncidentLocation { category: category.clone(), description },
                vec![say("incident_location")],
            ),
            None => Step::to(state.clone(), vec![say("incident_description")]),
        },
        State::IncidentLocation { category, description } => {
            let location = match said {
                Said::Location { lat, lon, address } => Some(IncidentLocation::Point {
                    lat: *lat,
                    lon: *lon,
                    address: address.as_deref().and_then(|a| Text::parse(a).ok()),
                }),
                _ => text(said).and_then(|t| Text::parse(t).ok()).map(|address| IncidentLocation::Address { address }),
            };
            match location {
                Some(location) => Step::to(
                    State::IncidentPhoto { category: category.clone(), description: description.clone(), location },
                    vec![list("incident_photo", ListOf::SkipButton)],
                ),
                None => Step::to(state.clone(), vec![say("incident_location")]),
            }
        }
        State::IncidentPhoto { category, description, location } => {
            let media_id = match said {
                Said::Image { media_id, .. } => Some(media_id.clone()),
                _ => None,
            };
            let file = Effect::FileIncident {
                category: category.clone(),
                description: description.clone(),
                location: location.clone(),
                media_id,
            };
            let reference = crate::chat::records::incident_reference(&ctx.reference);
            Step::to(State::Menu, vec![say_with("incident_filed", json!({ "reference": reference }))]).with(vec![file])
        }
        State::Information => match choice(said).and_then(|id| settings.information.iter().find(|i| i.row.id == id)) {
            Some(item) => match ctx.feed.as_ref().filter(|_| item.feed.is_some()) {
                Some(feed) => {
                    let values = json!({ "title": item.row.title.0, "feed": feed });
                    Step::to(State::Menu, vec![say_with("feed_answer", values)])
                }
                None => Step::to(State::Menu, vec![say_with("answer", json!({ "body": item.body.0 }))]),
            },
            None => Step::to(state.clone(), vec![list("choose_from_list", ListOf::Information)]),
        },
        State::AppointmentService => {
            match choice(said).filter(|id| settings.appointment_services.iter().any(|s| s.id == *id)) {
                Some(service) => {
                    Step::to(State::AppointmentSlot { service: service.to_owned() }, vec![say("appointment_slot")])
                }
                None => Step::to(state.clone(), vec![list("choose_from_list", ListOf::AppointmentServices)]),
            }
        }
        State::AppointmentSlot { service } => match text(said).and_then(|t| Text::<200>::parse(t).ok()) {
            Some(preferred) => Step::to(
                State::Menu,
                vec![say_with(
                    "appointment_requested",
                    json!({ "reference": crate::chat::records::appointment_reference(&ctx.reference) }),
                )],
            )
            .with(vec![Effect::RequestAppointment { service: service.clone(), preferred }]),
            None => Step::to(state.clone(), vec![say("appointment_slot")]),
        },
        State::Preferences => match choice(said) {
            Some("language") => Step::to(State::PreferenceLanguage, vec![list("choose_language", ListOf::Languages)]),
            Some("opt_out") => Step::to(State::Menu, vec![say("opted_out")]).with(vec![Effect::SetOptOut(true)]),
            Some("opt_in") => Step::to(State::Menu, vec![say("opted_in")]).with(vec![Effect::SetOptOut(false)]),
            Some("terms") => Step::to(State::Menu, vec![say_with("terms", json!({ "url": settings.terms_url }))]),
            Some("privacy") => Step::to(State::Menu, vec![say_with("privacy", json!({ "url": settings.privacy_url }))]),
            Some("outage_alerts") => Step::to(State::AlertContract, vec![say("alert_contract")]),
            _ => Step::to(state.clone(), vec![list("choose_from_list", ListOf::PreferenceOptions)]),
        },
        State::AlertContract => match (typed_contract(said), ctx.contract_known) {
            (Some(contract_id), Some(true)) => {
                let values = json!({ "contract_id": contract_id });
                Step::to(State::Menu, vec![say_with("alerts_subscribed", values)])
                    .with(vec![Effect::SubscribeAlerts { contract_id }])
            }
            _ => Step::to(State::Menu, vec![say("alert_contract_unknown")]),
        },
        State::PreferenceLanguage => {
            match choice(said).and_then(|code| Locale::parse(code).ok()).filter(|l| settings.languages.contains(l)) {
                Some(locale) => {
                    Step::to(State::Menu, vec![say("language_set")]).with(vec![Effect::SetLanguage(locale)])
                }
                None => Step::to(state.clone(), vec![list("choose_from_list", ListOf::Languages)]),
            }
        }
        State::AskingName { .. } => Step::to(state.clone(), vec![say("ask_name")]),
        State::WaitingForAgent { .. } => {
            let phrase = if ctx.office_open { "still_waiting" } else { "still_waiting_closed" };
            Step::to(state.clone(), vec![say_with(phrase, json!({ "back_at": ctx.back_at }))])
        }
        State::WithAgent { .. } | State::Rating { .. } => Step::to(state.clone(), Vec::new()),
    }
}
