//! The chat inbox: conversations waiting for a person (longest first), the member's own, every
//! open one; a conversation's transcript; taking, answering and resolving it.

use avisa_domain::Error;
use avisa_domain::chat::{ChatLine, Conversation, StaffAction, State, conversation_digest};
use avisa_domain::contact::PhoneE164;
use avisa_domain::notice::NoticeKind;
use avisa_domain::ports::TenantDirectory;
use avisa_domain::staff::{Area, CannedReplies, Session};
use avisa_domain::tenant::TenantSettings;
use avisa_domain::text::Text;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::App;
use crate::auth::audit;
use crate::web::{Request, Response, random_token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Waiting,
    Mine,
    Open,
}

impl View {
    fn of(request: &Request<'_>) -> Self {
        match request.query("view") {
            Some("mine") => View::Mine,
            Some("open") => View::Open,
            _ => View::Waiting,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            View::Waiting => "waiting",
            View::Mine => "mine",
            View::Open => "open",
        }
    }
}

/// A conversation as a row of the inbox.
#[derive(Debug, Serialize)]
struct Row {
    /// The number as the conversation's address (`/conversations/34600222333`).
    number: String,
    phone: String,
    name: String,
    /// Waiting since, or last changed.
    since: String,
    agent: Option<String>,
    team: Option<String>,
}

/// The conversations of each list, read once.
struct Lists {
    /// Waiting in the member's queue: their teams'.
    waiting: Vec<Conversation>,
    /// Waiting in other teams' queues.
    elsewhere: Vec<Conversation>,
    with_agent: Vec<Conversation>,
}

impl Lists {
    async fn read(line: &ChatLine<'_>, session: &Session) -> Result<Self, Error> {
        let tenant = &session.member.tenant_id;
        let (waiting, elsewhere) =
            line.waiting(tenant).await?.into_iter().partition(|c| session.member.serves(c.team.as_deref()));
        Ok(Self { waiting, elsewhere, with_agent: line.with_agent(tenant).await? })
    }

    fn mine<'a>(&'a self, session: &'a Session) -> impl Iterator<Item = &'a Conversation> + 'a {
        let me = session.member.name.as_str();
        self.with_agent.iter().filter(move |c| c.agent.as_ref().is_some_and(|agent| agent.as_str() == me))
    }

    fn shown<'a>(&'a self, view: View, session: &'a Session) -> Vec<&'a Conversation> {
        match view {
            View::Waiting => self.waiting.iter().collect(),
            View::Mine => self.mine(session).collect(),
            View::Open => self.waiting.iter().chain(&self.elsewhere).chain(&self.with_agent).collect(),
        }
    }

    fn counts(&self, session: &Session) -> Value {
        context! {
            waiting => self.waiting.len(),
            mine => self.mine(session).count(),
            open => self.waiting.len() + self.elsewhere.len() + self.with_agent.len(),
        }
    }
}

/// How the tenant names its teams: the titles of its menu services, in its own language.
struct Tenant {
    zone: TimeZone,
    teams: std::collections::BTreeMap<String, String>,
}

impl Tenant {
    async fn read(app: &App, session: &Session) -> Result<Self, Error> {
        Ok(Self::of(app, app.chat.store.settings(&session.member.tenant_id).await?.as_ref()))
    }

    fn of(app: &App, settings: Option<&TenantSettings>) -> Self {
        let locale = settings.map_or(app.chat.defaults.default_locale, |s| s.default_locale);
        let services = settings.and_then(|s| s.chat.as_ref()).map(|chat| chat.services.as_slice());
        let teams = services
            .unwrap_or_default()
            .iter()
            .map(|service| (service.row.id.clone(), service.row.title.get(locale).to_owned()))
            .collect();
        Self { zone: zone_of(app, settings), teams }
    }

    fn team(&self, id: Option<&str>) -> Option<String> {
        id.map(|id| self.teams.get(id).cloned().unwrap_or_else(|| id.to_owned()))
    }
}

fn row(conversation: &Conversation, tenant: &Tenant) -> Row {
    let zone = &tenant.zone;
    let since = match conversation.state {
        State::WaitingForAgent { since } => since,
        _ => conversation.updated_at,
    };
    Row {
        number: conversation.phone.as_str().trim_start_matches('+').to_owned(),
        phone: conversation.phone.as_str().to_owned(),
        name: conversation.name.as_ref().map_or_else(|| "(no name given)".to_owned(), |n| n.as_str().to_owned()),
        since: local_time(since, zone),
        agent: conversation.agent.as_ref().map(|a| a.as_str().to_owned()),
        team: tenant.team(conversation.team.as_deref()),
    }
}

fn local_time(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M").to_string()
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Inbox) {
        return app.pages.problem(
            403,
            session,
            "Your roles do not open the chat inbox: ask your administrator for the agent role.",
        );
    }
    let line = app.chat.line();
    let result = match (request.method, request.segments().as_slice()) {
        ("GET", ["inbox"]) => inbox(app, &line, request, session).await,
        ("GET", ["inbox", "live"]) => live(app, &line, request, session).await,
        ("GET", ["conversations", number]) => {
            let page = Page { notice: None, canned: request.query("canned") };
            conversation(app, &line, session, number, now, page).await
        }
        ("GET", ["conversations", number, "transfer"]) => crate::transfer::page(app, &line, session, number).await,
        ("POST", ["conversations", number, "transfer"]) => {
            crate::transfer::hand_on(app, &line, request, session, number, now).await
        }
        ("POST", ["conversations", number, action]) => act(app, &line, request, session, number, action, now).await,
        _ => return app.pages.problem(404, session, "There is no such page in the chat inbox."),
    };
    result.unwrap_or_else(|error| failed(app, session, &error))
}

/// What a refused or failed action says to the member.
fn failed(app: &App, session: &Session, error: &Error) -> Response {
    match error {
        Error::Rejected(rejection) => {
            let status = match rejection.code {
                avisa_domain::error::RejectionCode::NotFound => 404,
                avisa_domain::error::RejectionCode::InvalidTransition
                | avisa_domain::error::RejectionCode::ConcurrentChange => 409,
                _ => 422,
            };
            app.pages.problem(status, session, &rejection.detail)
        }
        other => {
            tracing::error!(error = avisa_runtime::redact::error_chain(other), "inbox unavailable");
            app.pages.problem(503, session, "The inbox is unavailable for a moment: reload the page.")
        }
    }
}

/// The tenant's time zone, which every time on its pages is shown in.
fn zone_of(app: &App, settings: Option<&TenantSettings>) -> TimeZone {
    let name = settings.map_or(&app.chat.defaults.time_zone, |s| &s.time_zone);
    TimeZone::get(name.as_str()).unwrap_or(TimeZone::UTC)
}

/// The zone of settings already read.
pub(crate) fn zone_in(app: &App, settings: &TenantSettings) -> TimeZone {
    zone_of(app, Some(settings))
}

pub(crate) async fn zone(app: &App, session: &Session) -> Result<TimeZone, Error> {
    Ok(zone_of(app, app.chat.store.settings(&session.member.tenant_id).await?.as_ref()))
}

async fn rows(app: &App, lists: &Lists, view: View, session: &Session) -> Result<Vec<Row>, Error> {
    let tenant = Tenant::read(app, session).await?;
    Ok(lists.shown(view, session).into_iter().map(|c| row(c, &tenant)).collect())
}

async fn inbox(app: &App, line: &ChatLine<'_>, request: &Request<'_>, session: &Session) -> Result<Response, Error> {
    let view = View::of(request);
    let lists = Lists::read(line, session).await?;
    let rows = rows(app, &lists, view, session).await?;
    let values = context! { view => view.as_str(), counts => lists.counts(session), rows => Value::from(Serde(&rows)) };
    Ok(app.pages.page(200, "inbox.html", Some(session), values))
}

/// The list and its counts for the page's script, which refreshes them without a reload.
async fn live(app: &App, line: &ChatLine<'_>, request: &Request<'_>, session: &Session) -> Result<Response, Error> {
    let view = View::of(request);
    let lists = Lists::read(line, session).await?;
    let rows = rows(app, &lists, view, session).await?;
    let html = app
        .pages
        .render("inbox_rows.html", context! { rows => Value::from(Serde(&rows)) })
        .map_err(|e| Error::from(avisa_domain::PortError::permanent("render(inbox rows)", e)))?;
    let counts = lists.counts(session);
    Ok(Response::json(&serde_json::json!({ "counts": counts, "rows": html })))
}

pub(crate) fn phone(number: &str) -> Result<PhoneE164, Error> {
    PhoneE164::parse(&format!("+{}", number.trim_start_matches('+'))).map_err(|_| {
        Error::rejected(avisa_domain::error::RejectionCode::NotFound, "There is no conversation with this number.")
    })
}

#[derive(Debug, Serialize)]
struct Note {
    at: String,
    by: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct Line {
    at: String,
    /// `citizen`, `bot` or `agent`: how the line is shown.
    kind: &'static str,
    from: String,
    text: String,
}

/// What a conversation's page says besides the conversation.
#[derive(Debug, Default, Clone, Copy)]
struct Page<'a> {
    /// Why the last form did nothing.
    notice: Option<&'a str>,
    /// The canned reply the agent chose, to write from.
    canned: Option<&'a str>,
}

async fn conversation(
    app: &App,
    line: &ChatLine<'_>,
    session: &Session,
    number: &str,
    now: Timestamp,
    page: Page<'_>,
) -> Result<Response, Error> {
    let Page { notice, canned } = page;
    let tenant = &session.member.tenant_id;
    let Some(conversation) = line.conversation(tenant, &phone(number)?).await? else {
        return Ok(app.pages.problem(404, session, "There is no conversation with this number."));
    };
    let settings = app.chat.store.settings(tenant).await?;
    let named = Tenant::of(app, settings.as_ref());
    let zone = named.zone.clone();
    let follow_up = settings
        .as_ref()
        .and_then(|s| s.whatsapp.as_ref())
        .and_then(|w| w.templates.get(&NoticeKind::ChatFollowUp))
        .cloned();
    let transcript: Vec<Line> = conversation
        .transcript
        .iter()
        .map(|l| Line {
            at: local_time(l.at, &zone),
            kind: match l.from.as_str() {
                "citizen" => "citizen",
                "bot" => "bot",
                _ => "agent",
            },
            from: match l.from.as_str() {
                "citizen" => conversation.name.as_ref().map_or("Citizen", |n| n.as_str()).to_owned(),
                "bot" => "Bot".to_owned(),
                agent => agent.to_owned(),
            },
            text: l.text.clone(),
        })
        .collect();
    let notes: Vec<Note> = conversation
        .notes
        .iter()
        .map(|n| Note { at: local_time(n.at, &zone), by: n.by.clone(), text: n.text.as_str().to_owned() })
        .collect();
    let me = session.member.name.as_str();
    let (state, may_take, mine) = match &conversation.state {
        State::WaitingForAgent { since } => {
            (format!("Waiting for a person since {}", local_time(*since, &zone)), true, false)
        }
        State::WithAgent { agent, .. } => (format!("With {agent}"), false, agent == me),
        State::Rating { agent, .. } => (format!("Resolved by {agent}; the citizen was asked to rate it"), false, false),
        State::Closed => ("Closed".to_owned(), false, false),
        _ => ("With the menu bot".to_owned(), false, false),
    };
    let row = row(&conversation, &named);
    // The agent's canned replies, and the one chosen filled in for this citizen.
    let canned_replies = if mine { app.chat.store.canned_replies(tenant).await? } else { Vec::new() };
    let citizen = conversation.name.as_ref().map_or("", |n| n.as_str());
    let draft = canned
        .and_then(|id| canned_replies.iter().find(|r| r.id == id))
        .map(|reply| reply.fill(citizen, session.member.name.as_str()))
        .unwrap_or_default();
    let values = context! {
        conversation => Value::from(Serde(&row)),
        state,
        transcript => Value::from(Serde(&transcript)),
        notes => Value::from(Serde(&notes)),
        may_take,
        may_reply => mine,
        may_resolve => mine,
        in_window => conversation.in_window(now),
        follow_up,
        notice,
        form_key => random_token(),
        canned_replies => Value::from(Serde(&canned_replies)),
        draft,
    };
    Ok(app.pages.page(200, "conversation.html", Some(session), values))
}

/// The conversation again, with why the form did nothing.
pub(crate) async fn told(
    app: &App,
    line: &ChatLine<'_>,
    session: &Session,
    number: &str,
    now: Timestamp,
    notice: &str,
) -> Result<Response, Error> {
    conversation(app, line, session, number, now, Page { notice: Some(notice), canned: None }).await
}

async fn act(
    app: &App,
    line: &ChatLine<'_>,
    request: &Request<'_>,
    session: &Session,
    number: &str,
    action: &str,
    now: Timestamp,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let phone = phone(number)?;
    if action == "note" {
        let text = request.form("note").unwrap_or_default().trim();
        if text.is_empty() {
            return told(app, line, session, number, now, "Write the note before saving it.").await;
        }
        let note = Text::<2000>::parse(text).map_err(|e| {
            Error::rejected(avisa_domain::error::RejectionCode::InvalidField, format!("This note cannot be kept: {e}."))
        })?;
        line.note(tenant, &phone, session.member.name.as_str(), note).await?;
        let subject = format!("conversation {}", conversation_digest(tenant, &phone));
        audit(&app.chat.store, session, now, "noted", &subject).await;
        return Ok(Response::see_other(&format!("/conversations/{number}")));
    }
    let reply;
    let (action, done) = match action {
        "take" => (StaffAction::Take, "took"),
        "resolve" => (StaffAction::Resolve, "resolved"),
        "reply" => {
            let text = request.form("text").unwrap_or_default().trim();
            if text.is_empty() {
                return told(app, line, session, number, now, "Write a reply before sending it.").await;
            }
            reply = Text::<4096>::parse(text).map_err(|e| {
                Error::rejected(
                    avisa_domain::error::RejectionCode::InvalidField,
                    format!("This reply cannot be sent: {e}."),
                )
            })?;
            (StaffAction::Reply(reply.as_str()), "replied")
        }
        _ => return Ok(app.pages.problem(404, session, "There is no such action on a conversation.")),
    };
    // A form sent twice (a double click, a retried request) carries the same key: sent once.
    let key = request.form("key").filter(|k| !k.is_empty()).map(|k| format!("console/{k}"));
    line.staff(tenant, &phone, session.member.name.as_str(), action, key.as_deref()).await?;
    let subject = format!("conversation {}", conversation_digest(tenant, &phone));
    audit(&app.chat.store, session, now, done, &subject).await;
    Ok(Response::see_other(&format!("/conversations/{number}")))
}
