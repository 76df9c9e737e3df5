//! The conversation as an explicit state machine: `(state, what happened) → (state, replies,
//! effects)`. Pure: the line loads what it needs into [`Context`] and carries out the effects.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Said;
use super::records::IncidentLocation;
use super::settings::{ChatSettings, ServiceAction};
use crate::contact::Locale;
use crate::ids::{ContractId, InvoiceNumber, TenantId};
use crate::text::Text;

/// Where a conversation stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// The menu was shown; a choice is awaited.
    Menu,
    IncidentCategory,
    IncidentDescription {
        category: String,
    },
    IncidentLocation {
        category: String,
        description: Text<1000>,
    },
    IncidentPhoto {
        category: String,
        description: Text<1000>,
        location: IncidentLocation,
    },
    Information,
    AppointmentService,
    AppointmentSlot {
        service: String,
    },
    Preferences,
    PreferenceLanguage,
    /// Outage alerts for a building's supply point: which contract (the number on its bills).
    AlertContract,
    /// "Dispute a bill": which invoice.
    ComplaintInvoice,
    ComplaintReason {
        contract_id: ContractId,
        invoice_number: InvoiceNumber,
    },
    /// "Talk to a person": the name was asked (and, after no reply, asked once more).
    AskingName {
        asked_at: Timestamp,
        recontacted: bool,
    },
    /// Handed to staff; nobody has taken it yet.
    WaitingForAgent {
        since: Timestamp,
    },
    WithAgent {
        agent: String,
    },
    /// Over (or never started): the next message starts again at the menu.
    Closed,
}

impl State {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Menu => "menu",
            Self::IncidentCategory => "incident_category",
            Self::IncidentDescription { .. } => "incident_description",
            Self::IncidentLocation { .. } => "incident_location",
            Self::IncidentPhoto { .. } => "incident_photo",
            Self::Information => "information",
            Self::AppointmentService => "appointment_service",
            Self::AppointmentSlot { .. } => "appointment_slot",
            Self::Preferences => "preferences",
            Self::PreferenceLanguage => "preference_language",
            Self::AlertContract => "alert_contract",
            Self::ComplaintInvoice => "complaint_invoice",
            Self::ComplaintReason { .. } => "complaint_reason",
            Self::AskingName { .. } => "asking_name",
            Self::WaitingForAgent { .. } => "waiting_for_agent",
            Self::WithAgent { .. } => "with_agent",
            Self::Closed => "closed",
        }
    }
}

/// The two no-reply timers of the name question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoReply {
    /// Ask once more.
    Recontact,
    /// Give up, saying they can write again.
    Close,
}

impl NoReply {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recontact => "recontact",
            Self::Close => "close",
        }
    }
}

/// Which list a reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOf {
    Services,
    IncidentCategories,
    Information,
    AppointmentServices,
    PreferenceOptions,
    Languages,
    /// One "skip" button (the optional photo).
    SkipButton,
    /// One "dispute a bill" button (under a known customer's bills).
    DisputeButton,
    /// The known customer's invoices, to pick the one disputed.
    Invoices,
}

/// One message to the citizen: a phrase of the tenant's line (rendered in the conversation's
/// language), or staff's own words.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Say { phrase: &'static str, values: Value, list: Option<ListOf> },
    Staff { text: String },
}

fn say(phrase: &'static str) -> Reply {
    Reply::Say { phrase, values: json!({}), list: None }
}

fn say_with(phrase: &'static str, values: Value) -> Reply {
    Reply::Say { phrase, values, list: None }
}

fn list(phrase: &'static str, list: ListOf) -> Reply {
    Reply::Say { phrase, values: json!({}), list: Some(list) }
}

/// What the line must do besides replying.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    FileIncident {
        category: String,
        description: Text<1000>,
        location: IncidentLocation,
        media_id: Option<String>,
    },
    RequestAppointment {
        service: String,
        preferred: Text<200>,
    },
    /// Alerts of planned outages at this contract's supply point, to this phone.
    SubscribeAlerts {
        contract_id: ContractId,
    },
    FileComplaint {
        contract_id: ContractId,
        invoice_number: InvoiceNumber,
        reason: Text<1000>,
    },
    SetLanguage(Locale),
    SetOptOut(bool),
    SetName(Text<100>),
    /// The conversation waits for staff.
    HandOff,
    StartTimer {
        asked_at: Timestamp,
        stage: NoReply,
    },
    CancelTimers {
        asked_at: Timestamp,
    },
}

/// What happened to the conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    Said(&'a Said),
    Timer { asked_at: Timestamp, stage: NoReply },
    AgentTakes { agent: &'a str },
    AgentReplies { agent: &'a str, text: &'a str },
    AgentResolves { agent: &'a str },
}

/// A known customer's bills, loaded when the citizen asks for them.
#[derive(Debug, Clone, PartialEq)]
pub enum Billing {
    NotLoaded,
    /// The phone is no customer's.
    Unknown,
    /// One entry per contract: unpaid invoices and the next instalment.
    Known(Value),
}

/// What a step needs besides the state: the tenant's line, the time, and the bills if asked.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub tenant_id: &'a TenantId,
    pub settings: &'a ChatSettings,
    pub now: Timestamp,
    /// Staff are in (office hours).
    pub office_open: bool,
    /// When they are back, already formatted for the citizen (`dilluns a les 08:00`).
    pub back_at: Value,
    /// The stem of the reference an incident or appointment filed by this step gets.
    pub reference: String,
    pub billing: Billing,
    /// For a contract number just typed: whether it is one of the tenant's.
    pub contract_known: Option<bool>,
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: State,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
}

impl Step {
    fn to(state: State, replies: Vec<Reply>) -> Self {
        Self { state, replies, effects: Vec::new() }
    }

    fn with(mut self, effects: Vec<Effect>) -> Self {
        self.effects = effects;
        self
    }
}

/// Why a step is refused (staff acting on a conversation not in their hands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotNow(pub String);

/// A contract number as a citizen types it (spaces and case forgiven).
pub fn typed_contract(said: &Said) -> Option<ContractId> {
    let Said::Text { body } = said else { return None };
    let cleaned: String = body.trim().chars().filter(|c| !c.is_whitespace()).collect();
    ContractId::parse(&cleaned.to_uppercase()).ok()
}

/// The id of the "dispute a bill" button.
pub const DISPUTE: &str = "dispute";

/// A known customer's invoices as list rows: `(contract/invoice id, invoice, contract)`.
pub fn invoice_rows(billing: &Billing) -> Vec<(String, String, String)> {
    let Billing::Known(contracts) = billing else { return Vec::new() };
    let contracts = contracts.as_array().map(Vec::as_slice).unwrap_or_default();
    contracts
        .iter()
        .flat_map(|c| {
            let contract = c["contract_id"].as_str().unwrap_or_default().to_owned();
            c["invoices"].as_array().cloned().unwrap_or_default().into_iter().filter_map(move |invoice| {
                let invoice = invoice.as_str()?.to_owned();
                Some((format!("{contract}/{invoice}"), invoice, contract.clone()))
            })
        })
        .take(super::settings::MAX_ROWS)
        .collect()
}

const GREETINGS: [&str; 10] =
    ["hola", "hello", "hi", "ciao", "buongiorno", "bon dia", "buenos días", "menu", "menú", "inici"];

fn is_greeting(said: &Said) -> bool {
    let Said::Text { body } = said else { return false };
    let body = body.trim().trim_end_matches(['!', '.']).to_lowercase();
    GREETINGS.contains(&body.as_str())
}

fn menu() -> Step {
    Step::to(State::Menu, vec![list("welcome", ListOf::Services)])
}

/// Whether answering this needs the citizen's bills.
pub fn needs_billing(state: &State, said: &Said, settings: &ChatSettings) -> bool {
    matches!((state, said), (State::Menu, Said::Choice { id, .. })
        if id == DISPUTE || settings.service(id).is_some_and(|s| s.action == ServiceAction::Billing))
}

/// One transition. Staff events on a conversation that is not theirs are refused.
pub fn step(state: &State, event: &Event<'_>, ctx: &Context<'_>) -> Result<Step, NotNow> {
    match event {
        Event::Said(said) => Ok(citizen(state, said, ctx)),
        Event::Timer { asked_at, stage } => Ok(timer(state, *asked_at, *stage)),
        Event::AgentTakes { agent } => match state {
            State::WaitingForAgent { .. } => Ok(Step::to(
                State::WithAgent { agent: (*agent).to_owned() },
                vec![say_with("agent_joined", json!({ "agent": agent }))],
            )),
            other => Err(NotNow(format!("the conversation is {}, not waiting for staff", other.name()))),
        },
        Event::AgentReplies { agent, text } => match state {
            State::WithAgent { agent: holder } if holder == agent => {
                Ok(Step::to(state.clone(), vec![Reply::Staff { text: (*text).to_owned() }]))
            }
            other => Err(NotNow(format!("the conversation is {}, not with {agent}", other.name()))),
        },
        Event::AgentResolves { agent } => match state {
            State::WithAgent { agent: holder } if holder == agent => Ok(Step::to(
                State::Closed,
                vec![say_with("resolved", json!({ "survey_url": ctx.settings.survey_url }))],
            )),
            other => Err(NotNow(format!("the conversation is {}, not with {agent}", other.name()))),
        },
    }
}

fn timer(state: &State, fired_for: Timestamp, which: NoReply) -> Step {
    match (state, which) {
        (State::AskingName { asked_at, recontacted: false }, NoReply::Recontact) if *asked_at == fired_for => {
            Step::to(State::AskingName { asked_at: *asked_at, recontacted: true }, vec![say("recontact")])
                .with(vec![Effect::StartTimer { asked_at: *asked_at, stage: NoReply::Close }])
        }
        (State::AskingName { asked_at, recontacted: true }, NoReply::Close) if *asked_at == fired_for => {
            Step::to(State::Closed, vec![say("closed_no_reply")])
        }
        // Answered meanwhile, or a timer of an earlier question: nothing to do.
        _ => Step::to(state.clone(), Vec::new()),
    }
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
fn citizen(state: &State, said: &Said, ctx: &Context<'_>) -> Step {
    let settings = ctx.settings;
    if let State::WithAgent { .. } = state {
        // Staff read it in the transcript; the bot keeps out of the way.
        return Step::to(state.clone(), Vec::new());
    }
    if let Said::Unsupported { .. } = said {
        return Step::to(state.clone(), vec![say("unsupported")]);
    }
    if let State::AskingName { asked_at, .. } = state
        && let Some(name) = text(said).filter(|_| !is_greeting(said)).and_then(|t| Text::<100>::parse(t).ok())
    {
        let cancel = Effect::CancelTimers { asked_at: *asked_at };
        let values = json!({ "name": name.as_str(), "back_at": ctx.back_at });
        let phrase = if ctx.office_open { "handed_off" } else { "handed_off_closed" };
        let effects = vec![Effect::SetName(name), cancel, Effect::HandOff];
        return Step::to(State::WaitingForAgent { since: ctx.now }, vec![say_with(phrase, values)]).with(effects);
    }
    if is_greeting(said) {
        let mut step = menu();
        if let State::AskingName { asked_at, .. } = state {
            step.effects.push(Effect::CancelTimers { asked_at: *asked_at });
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
                    Step::to(State::AskingName { asked_at: ctx.now, recontacted: false }, vec![say("ask_name")])
                        .with(vec![Effect::StartTimer { asked_at: ctx.now, stage: NoReply::Recontact }])
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
            let reference = super::records::incident_reference(&ctx.reference);
            Step::to(State::Menu, vec![say_with("incident_filed", json!({ "reference": reference }))]).with(vec![file])
        }
        State::Information => match choice(said).and_then(|id| settings.information.iter().find(|i| i.row.id == id)) {
            Some(item) => Step::to(State::Menu, vec![say_with("answer", json!({ "body": item.body.0 }))]),
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
                    json!({ "reference": super::records::appointment_reference(&ctx.reference) }),
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
        State::WithAgent { .. } => Step::to(state.clone(), Vec::new()),
    }
}
