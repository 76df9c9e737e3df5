//! An administrator changes a member's roles and teams. The member's sessions end with the change:
//! a session carries the roles it was opened with, and the new ones take effect when they sign in.

use std::collections::BTreeSet;

use avisa_domain::staff::{Membership, Role, Session, SessionStore, StaffDirectory};
use jiff::Timestamp;
use minijinja::context;
use minijinja::value::{Serde, Value};

use crate::App;
use crate::auth::audit;
use crate::web::{Request, Response};

/// The roles ticked on a form with a `role_{role}` checkbox per role.
pub(crate) fn roles_ticked(request: &Request<'_>) -> BTreeSet<Role> {
    Role::ALL.into_iter().filter(|role| request.form(&format!("role_{}", role.as_str())).is_some()).collect()
}

/// A form sent back to be corrected: why, and what was ticked and typed, kept as it was.
pub(crate) struct Refused<'a> {
    why: &'a str,
    roles: BTreeSet<Role>,
    teams: &'a str,
}

pub(crate) async fn form(app: &App, session: &Session, username: &str, refused: Option<Refused<'_>>) -> Response {
    let members = match app.staff.members(&session.member.tenant_id).await {
        Ok(members) => members,
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "staff unavailable");
            return app.pages.problem(503, session, "This page is unavailable for a moment: reload it.");
        }
    };
    let Some(member) = members.into_iter().find(|m| m.username == username) else {
        return app.pages.problem(404, session, "Your tenant has no such member of staff.");
    };
    let (ticked, teams) = match &refused {
        Some(refused) => (refused.roles.clone(), refused.teams.to_owned()),
        None => (member.roles.clone(), member.teams.iter().cloned().collect::<Vec<_>>().join(", ")),
    };
    let values = context! {
        member => Value::from(Serde(&member)),
        roles => Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ticked => Value::from(Serde(&ticked)),
        teams,
        refusal => refused.as_ref().map(|r| r.why),
    };
    app.pages.page(if refused.is_some() { 422 } else { 200 }, "member.html", Some(session), values)
}

pub(crate) async fn change(
    app: &App,
    request: &Request<'_>,
    session: &Session,
    username: &str,
    now: Timestamp,
) -> Response {
    let (roles, teams) = (roles_ticked(request), request.form("teams").unwrap_or_default());
    let membership = match Membership::new(roles.clone(), teams) {
        Ok(membership) => membership,
        Err(why) => return form(app, session, username, Some(Refused { why: &why, roles, teams })).await,
    };
    // A tenant is never left without anyone who can manage its staff by its last admin's mistake.
    if username == session.member.username && !membership.roles.contains(&Role::Admin) {
        let why = "You cannot give up your own administrator role: ask another administrator.";
        return form(app, session, username, Some(Refused { why, roles, teams })).await;
    }
    let tenant = &session.member.tenant_id;
    let changed = match app.staff.set_membership(tenant, username, &membership).await {
        Ok(true) => app.chat.store.end_all(tenant, username).await.map(|_| true),
        other => other,
    };
    match changed {
        Ok(true) => {
            let roles = membership.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
            let teams = membership.teams.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
            let teams = if teams.is_empty() { "no team".to_owned() } else { format!("team {teams}") };
            let subject = format!("user {username}: {roles}; {teams}");
            audit(&app.chat.store, session, now, "changed_roles", &subject).await;
            let notice = format!(
                "{username} is now {roles}, {teams}. They were signed out; their next sign-in opens what these allow."
            );
            crate::admin::page(app, session, now, Some(&notice)).await
        }
        Ok(false) => app.pages.problem(404, session, "Your tenant has no such member of staff."),
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "changing a membership failed");
            app.pages.problem(503, session, "That could not be done just now: try again.")
        }
    }
}
