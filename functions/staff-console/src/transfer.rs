//! Handing a conversation on: to a colleague, or back to a team's queue.

use avisa_domain::Error;
use avisa_domain::chat::settings::ServiceAction;
use avisa_domain::chat::{ChatLine, Handover, StaffAction, conversation_digest};
use avisa_domain::ports::TenantDirectory;
use avisa_domain::staff::{Role, Session, StaffDirectory};
use jiff::Timestamp;
use minijinja::value::Serde;
use minijinja::{Value, context};

use crate::App;
use crate::auth::audit;
use crate::inbox::{phone, told};
use crate::web::{Request, Response};

/// Where an agent may hand a conversation: the tenant's teams (menu services that hand citizens to
/// a person) and their colleagues who answer the chat.
pub(crate) async fn page(app: &App, line: &ChatLine<'_>, session: &Session, number: &str) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Some(conversation) = line.conversation(tenant, &phone(number)?).await? else {
        return Ok(app.pages.problem(404, session, "There is no conversation with this number."));
    };
    let settings = app.chat.store.settings(tenant).await?;
    let locale = settings.as_ref().map_or(app.chat.defaults.default_locale, |s| s.default_locale);
    let teams: Vec<(String, String)> = settings
        .as_ref()
        .and_then(|s| s.chat.as_ref())
        .map(|chat| chat.services.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|service| service.action == ServiceAction::Agent)
        .map(|service| (service.row.id.clone(), service.row.title.get(locale).to_owned()))
        .collect();
    let colleagues: Vec<String> = app
        .staff
        .members(tenant)
        .await?
        .into_iter()
        .filter(|m| m.enabled && m.roles.contains(&Role::Agent) && m.username != session.member.username)
        .map(|m| m.name)
        .collect();
    let values = context! {
        number,
        name => conversation.name.as_ref().map_or("", |n| n.as_str()),
        teams => Value::from(Serde(&teams)),
        colleagues,
    };
    Ok(app.pages.page(200, "transfer.html", Some(session), values))
}

pub(crate) async fn hand_on(
    app: &App,
    line: &ChatLine<'_>,
    request: &Request<'_>,
    session: &Session,
    number: &str,
    now: Timestamp,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let phone = phone(number)?;
    let (to, whom) = match (request.form("team"), request.form("colleague")) {
        (Some(team), _) if !team.is_empty() => (Handover::Team(team), format!("team {team}")),
        (_, Some(colleague)) if !colleague.is_empty() => (Handover::Colleague(colleague), colleague.to_owned()),
        _ => return told(app, line, session, number, now, "Choose a team or a colleague to hand it to.").await,
    };
    let key = request.form("key").filter(|k| !k.is_empty()).map(|k| format!("console/{k}"));
    line.staff(tenant, &phone, session.member.name.as_str(), StaffAction::Transfer(to), key.as_deref()).await?;
    let subject = format!("conversation {} to {whom}", conversation_digest(tenant, &phone));
    audit(&app.chat.store, session, now, "transferred", &subject).await;
    Ok(Response::see_other(&format!("/conversations/{number}")))
}
