//! Announcements in the console (`planner`, `admin`, as outages): the tenant's own message to a
//! file of contracts — typed in each language, the contracts pasted or read from a file — then
//! its send followed on its page. Checked as the operator API checks it; nothing is queued until
//! it passes.

use avisa_domain::Error;
use avisa_domain::announcements::{
    AnnouncementDesk, AnnouncementPreview, AnnouncementRequest, AnnouncementText, contracts_in,
};
use avisa_domain::contact::Locale;
use avisa_domain::ids::AnnouncementId;
use avisa_domain::staff::{Area, Session};
use jiff::Timestamp;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::App;
use crate::web::{Request, Response};

/// The announcement desk on the console's adapters.
fn desk(app: &App) -> AnnouncementDesk<'_> {
    let store = &app.chat.store;
    AnnouncementDesk {
        announcements: store,
        renderer: &app.chat.templates,
        tenants: store,
        chunks: &app.chat.compose,
        sends: store,
        statuses: store,
        clock: &app.chat.clock,
        defaults: &app.chat.defaults,
        shared_rates: app.shared_rates,
    }
}

/// One language's text as typed.
#[derive(Debug, Default, Serialize)]
struct TypedText {
    code: &'static str,
    language: &'static str,
    subject: String,
    body: String,
    /// The tenant's language, which every announcement needs.
    required: bool,
}

/// What the planner typed, kept when the form comes back to be corrected.
#[derive(Debug, Default, Serialize)]
struct Typed {
    id: String,
    texts: Vec<TypedText>,
    contracts: String,
}

impl Typed {
    fn of(request: &Request<'_>, default: Locale) -> Self {
        let field = |name: &str| request.form(name).unwrap_or_default().trim().to_owned();
        let texts = Locale::ALL
            .into_iter()
            .map(|locale| TypedText {
                code: locale.code(),
                language: language_of(locale),
                subject: field(&format!("subject_{}", locale.code())),
                body: field(&format!("body_{}", locale.code())),
                required: locale == default,
            })
            .collect();
        Self { id: field("id"), texts, contracts: field("contracts") }
    }

    fn empty(default: Locale) -> Self {
        let texts = Locale::ALL
            .into_iter()
            .map(|locale| TypedText {
                code: locale.code(),
                language: language_of(locale),
                required: locale == default,
                ..TypedText::default()
            })
            .collect();
        Self { texts, ..Self::default() }
    }

    /// The announcement, or what to correct.
    fn request(&self) -> Result<AnnouncementRequest, String> {
        let announcement_id = AnnouncementId::parse(&self.id).map_err(|e| format!("The announcement's name: {e}."))?;
        let texts = self
            .texts
            .iter()
            .filter(|t| !t.subject.is_empty() || !t.body.is_empty())
            .filter_map(|t| {
                let locale = Locale::parse(t.code).ok()?;
                Some((locale, AnnouncementText { subject: t.subject.clone(), body: t.body.clone() }))
            })
            .collect();
        let contracts = contracts_in(&self.contracts).map_err(|e| format!("The contracts: {}", refusal(&e)))?;
        Ok(AnnouncementRequest { announcement_id, texts, contracts })
    }
}

/// The languages as the form names them.
const LANGUAGES: [(&str, &str); 4] = [("ca", "Catalan"), ("es", "Spanish"), ("it", "Italian"), ("en", "English")];

fn language_of(locale: Locale) -> &'static str {
    LANGUAGES.iter().find(|(code, _)| *code == locale.code()).map_or("", |(_, language)| language)
}

/// A refusal's reason, as a sentence for the form: the API names fields (`texts.ca.body`), the
/// form names what the planner typed ("The Catalan text").
fn refusal(error: &Error) -> String {
    let mut said = match error {
        Error::Rejected(rejection) => rejection.detail.clone(),
        other => other.to_string(),
    };
    for (code, language) in LANGUAGES {
        said = said
            .replace(&format!("texts.{code}.body"), &format!("The {language} text"))
            .replace(&format!("texts.{code}.subject"), &format!("The {language} subject"))
            .replace(&format!("texts.{code}"), &format!("The {language} text"));
    }
    said
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Outages) {
        return app.pages.problem(403, session, "Your roles do not open the announcements.");
    }
    let answer = match (request.method, request.segments().as_slice()) {
        ("GET", ["announcements", "new"]) => form(app, session, None, None).await,
        ("POST", ["announcements"]) => submit(app, request, session, now).await,
        ("GET", ["announcements", id]) => match AnnouncementId::parse(id) {
            Ok(id) => page(app, session, &id, now).await,
            Err(_) => Ok(app.pages.problem(404, session, "Your tenant has no announcement with this name.")),
        },
        _ => return app.pages.problem(404, session, "There is no such announcements page."),
    };
    app.pages.or_unavailable(session, "The announcements", answer)
}

async fn form(app: &App, session: &Session, typed: Option<Typed>, refusal: Option<&str>) -> Result<Response, Error> {
    form_with(app, session, typed, refusal, None).await
}

/// The form, with what the planner typed, why it was refused, or what sending it would be.
async fn form_with(
    app: &App,
    session: &Session,
    typed: Option<Typed>,
    refusal: Option<&str>,
    preview: Option<AnnouncementPreview>,
) -> Result<Response, Error> {
    let settings = app.settings(&session.member.tenant_id).await?;
    let typed = typed.unwrap_or_else(|| Typed::empty(settings.default_locale));
    let cost = preview.as_ref().and_then(|p| p.at_most_sms_cost.as_ref()).map(crate::citizens::money_text);
    let sms_parts: Vec<(&str, u32)> =
        preview.iter().flat_map(|p| p.sms_parts.iter().map(|(l, parts)| (language_of(*l), *parts))).collect();
    let values = context! {
        typed => Value::from(Serde(typed)),
        max_segments => settings.sms.max_segments,
        refusal,
        preview => preview.as_ref().map(|p| Value::from(Serde(p))),
        sms_parts,
        cost,
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "announcement_new.html", Some(session), values))
}

async fn submit(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let settings = app.settings(tenant).await?;
    let typed = Typed::of(request, settings.default_locale);
    let asked = match typed.request() {
        Ok(asked) => asked,
        Err(why) => return form(app, session, Some(typed), Some(&why)).await,
    };
    // "Check it first": checked as sending checks it, and what sending would be shown; nothing sent.
    if request.form("intent") == Some("preview") {
        return match desk(app).preview(tenant, asked).await {
            Ok(preview) => form_with(app, session, Some(typed), None, Some(preview)).await,
            Err(error @ Error::Rejected(_)) => form(app, session, Some(typed), Some(&refusal(&error))).await,
            Err(other) => Err(other),
        };
    }
    let id = asked.announcement_id.clone();
    match desk(app).submit(session.member.name.as_str(), tenant, asked).await {
        Ok(announced) => {
            if announced.new {
                let subject = format!("announcement {id} to {} contracts", announced.announcement.contracts);
                crate::auth::audit(&app.chat.store, session, now, "sent_announcement", &subject).await;
            }
            Ok(Response::see_other(&format!("/announcements/{id}")))
        }
        Err(error @ Error::Rejected(_)) => form(app, session, Some(typed), Some(&refusal(&error))).await,
        Err(other) => Err(other),
    }
}

async fn page(app: &App, session: &Session, id: &AnnouncementId, now: Timestamp) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let (announcement, send) = match desk(app).status(tenant, id).await {
        Ok(found) => found,
        Err(Error::Rejected(_)) => {
            return Ok(app.pages.problem(404, session, "Your tenant has no announcement with this name."));
        }
        Err(other) => return Err(other),
    };
    let zone = crate::inbox::zone(app, session).await?;
    let texts: Vec<(&str, String, String)> =
        announcement.texts.iter().map(|(l, t)| (language_of(*l), t.subject.clone(), t.body.clone())).collect();
    let values = context! {
        id => id.as_str(),
        texts,
        by => announcement.created_by.clone(),
        at => announcement.created_at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M").to_string(),
        contracts => announcement.contracts,
        sends => Value::from(Serde(crate::sends::rows(std::slice::from_ref(&send), &zone))),
        finished => send.finished_at.is_some(),
        shown_at => now.to_zoned(zone).strftime("%H:%M:%S").to_string(),
    };
    Ok(app.pages.page(200, "announcement.html", Some(session), values))
}

/// The tenant's announcements' sends, newest first, for the outages page.
pub(crate) async fn listed(
    app: &App,
    session: &Session,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<crate::sends::SendRow>, Error> {
    let statuses = desk(app).list(&session.member.tenant_id).await?;
    Ok(crate::sends::rows(&statuses, zone))
}
