//! The conversation as an explicit state machine: `(state, what happened) → (state, replies,
//! effects)`. Pure: the line loads what it needs into [`Context`] and carries out the effects.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::records::IncidentLocation;
use super::said::Said;
use super::settings::{ChatSettings, ServiceAction};

mod citizen;
mod step;

use crate::contact::Locale;
use crate::ids::{ContractId, InvoiceNumber, TenantId};
use crate::queues::NoReply;
use crate::text::Text;
pub use step::step;

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
        /// The agent's last reply the citizen has not answered: its silence timers count from it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replied_at: Option<Timestamp>,
        /// The citizen was asked if they are still there.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        nudged: bool,
    },
    /// Resolved, and the citizen asked to rate the help of `agent` from 1 to 5; anything but a
    /// rating starts again, as after any close.
    Rating {
        agent: String,
        asked_at: Timestamp,
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
            Self::Rating { .. } => "rating",
            Self::Closed => "closed",
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
    /// Scores 5 to 1, to rate the help received.
    Ratings,
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
    /// The team the conversation is handed to: the menu service chosen.
    SetTeam(String),
    Rate {
        agent: String,
        asked_at: Timestamp,
        score: super::Score,
    },
    /// The conversation waits for staff.
    HandOff,
    StartTimer {
        asked_at: Timestamp,
        stage: NoReply,
    },
    CancelTimers {
        asked_at: Timestamp,
        /// [`NoReply::NAME`] or [`NoReply::AGENT`].
        stages: [NoReply; 2],
    },
}

/// What happened to the conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    Said(&'a Said),
    Timer {
        asked_at: Timestamp,
        stage: NoReply,
    },
    AgentTakes {
        agent: &'a str,
    },
    AgentReplies {
        agent: &'a str,
        text: &'a str,
    },
    AgentResolves {
        agent: &'a str,
    },
    /// The agent hands the conversation on.
    AgentTransfers {
        agent: &'a str,
        to: Handover<'a>,
    },
}

/// Whom an agent hands a conversation to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover<'a> {
    /// Back to a team's queue (a menu service that hands citizens to a person).
    Team(&'a str),
    /// Straight to a colleague, by the name the citizen will be told.
    Colleague(&'a str),
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
    /// For an information item with a feed: its copy's items and when they were fetched (in the
    /// tenant's time), when there are any.
    pub feed: Option<Value>,
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

/// The conversation is over: the citizen is asked to rate `agent`'s help.
fn ask_rating(agent: &str, phrase: &'static str, ctx: &Context<'_>) -> Step {
    Step::to(
        State::Rating { agent: agent.to_owned(), asked_at: ctx.now },
        vec![Reply::Say {
            phrase,
            values: json!({ "survey_url": ctx.settings.survey_url }),
            list: Some(ListOf::Ratings),
        }],
    )
}

fn menu() -> Step {
    Step::to(State::Menu, vec![list("welcome", ListOf::Services)])
}

/// The information item with a feed the citizen just picked, whose copy the answer needs.
pub fn feed_item<'s>(state: &State, said: &Said, settings: &'s ChatSettings) -> Option<&'s str> {
    let (State::Information, Said::Choice { id, .. }) = (state, said) else { return None };
    settings.information.iter().find(|i| i.row.id == *id && i.feed.is_some()).map(|i| i.row.id.as_str())
}

/// Whether answering this needs the citizen's bills.
pub fn needs_billing(state: &State, said: &Said, settings: &ChatSettings) -> bool {
    matches!((state, said), (State::Menu, Said::Choice { id, .. })
        if id == DISPUTE || settings.service(id).is_some_and(|s| s.action == ServiceAction::Billing))
}
