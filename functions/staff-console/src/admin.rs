//! The administrator's pages: the tenant's staff (invited with a temporary password, disabled and
//! enabled again), the operator API tokens (listed by id, never shown, revocable), and the audit
//! log of what the tenant's staff did.

use avisa_domain::staff::{
    Area, AuditLog, CannedReplies, CannedReply, Invitation, Role, Session, SessionStore, StaffDirectory,
    temporary_password,
};
use jiff::Timestamp;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::App;
use crate::auth::audit;
use crate::web::{Request, Response};

/// How many entries of the audit log the page shows.
const AUDIT_SHOWN: usize = 200;

#[derive(Debug, Serialize)]
struct Entry {
    at: String,
    actor: String,
    action: String,
    subject: String,
}

#[derive(Debug, Serialize)]
struct Token {
    id: String,
    name: String,
    valid_until: String,
    expired: bool,
    admin: bool,
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Admin) {
        return app.pages.problem(403, session, "Only a tenant's administrators open this page.");
    }
    match (request.method, request.segments().as_slice()) {
        ("GET", ["admin"]) => page(app, session, now, None).await,
        ("POST", ["admin", "tokens", id, "revoke"]) => revoke(app, session, id, now).await,
        ("POST", ["admin", "staff"]) => invite(app, request, session, now).await,
        ("POST", ["admin", "canned"]) => keep_canned(app, request, session, now).await,
        ("POST", ["admin", "canned", id, "remove"]) => remove_canned(app, session, id, now).await,
        ("GET", ["admin", "settings"]) => crate::settings::show(app, session).await,
        ("POST", ["admin", "settings"]) => crate::settings::save(app, request, session, now).await,
        ("GET", ["admin", "staff", username]) => crate::membership::form(app, session, username, None).await,
        ("POST", ["admin", "staff", username]) => crate::membership::change(app, request, session, username, now).await,
        ("POST", ["admin", "staff", username, action @ ("disable" | "enable")]) => {
            enable(app, session, username, *action == "enable", now).await
        }
        _ => app.pages.problem(404, session, "There is no such administration page."),
    }
}

pub(crate) async fn page(app: &App, session: &Session, now: Timestamp, notice: Option<&str>) -> Response {
    page_with(app, session, now, notice, None).await
}

async fn page_with(
    app: &App,
    session: &Session,
    now: Timestamp,
    notice: Option<&str>,
    refusal: Option<&str>,
) -> Response {
    let tenant = &session.member.tenant_id;
    let staff = match app.staff.members(tenant).await {
        Ok(staff) => staff,
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "staff unavailable");
            return app.pages.problem(503, session, "This page is unavailable for a moment: reload it.");
        }
    };
    let canned = match app.chat.store.canned_replies(tenant).await {
        Ok(canned) => canned,
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "canned replies unavailable");
            return app.pages.problem(503, session, "This page is unavailable for a moment: reload it.");
        }
    };
    let (log, tokens) = match (app.chat.store.recent(tenant, AUDIT_SHOWN).await, app.chat.store.operators(tenant).await)
    {
        (Ok(log), Ok(tokens)) => (log, tokens),
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "admin page unavailable");
            return app.pages.problem(503, session, "This page is unavailable for a moment: reload it.");
        }
    };
    let zone = match crate::inbox::zone(app, session).await {
        Ok(zone) => zone,
        Err(_) => jiff::tz::TimeZone::UTC,
    };
    let show = |at: Timestamp| at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M:%S").to_string();
    let log: Vec<Entry> = log
        .into_iter()
        .map(|e| Entry { at: show(e.at), actor: e.actor, action: e.action.replace('_', " "), subject: e.subject })
        .collect();
    let tokens: Vec<Token> = tokens
        .into_iter()
        .map(|t| Token {
            id: t.id,
            name: t.operator.name.as_str().to_owned(),
            valid_until: show(t.operator.valid_until),
            expired: !t.operator.is_valid_at(now),
            admin: t.operator.admin,
        })
        .collect();
    let status = if refusal.is_some() { 422 } else { 200 };
    let values = context! {
        log => Value::from(Serde(&log)),
        tokens => Value::from(Serde(&tokens)),
        members => Value::from(Serde(&staff)),
        canned => Value::from(Serde(&canned)),
        roles => Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        notice,
        refusal,
        me => session.member.username.clone(),
    };
    app.pages.page(status, "admin.html", Some(session), values)
}

async fn revoke(app: &App, session: &Session, id: &str, now: Timestamp) -> Response {
    match app.chat.store.revoke_operator(&session.member.tenant_id, id).await {
        Ok(true) => {
            audit(&app.chat.store, session, now, "revoked_token", &format!("operator token {id}")).await;
            page(app, session, now, Some(&format!("Token {id} is revoked: it opens nothing from now on."))).await
        }
        Ok(false) => app.pages.problem(404, session, "Your tenant has no such token."),
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "revoking failed");
            app.pages.problem(503, session, "The token could not be revoked just now: try again.")
        }
    }
}

async fn invite(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    let field = |name: &str| request.form(name).unwrap_or_default();
    let roles = crate::membership::roles_ticked(request);
    let invitation = match Invitation::new(field("username"), field("name"), field("email"), roles, field("teams")) {
        Ok(invitation) => invitation,
        Err(why) => return page_with(app, session, now, None, Some(&why)).await,
    };
    let password = temporary_password(crate::web::random_bytes::<16>());
    match app.staff.invite(&session.member.tenant_id, &invitation, &password).await {
        Ok(Ok(())) => {
            let subject = format!("user {}", invitation.username);
            audit(&app.chat.store, session, now, "invited", &subject).await;
            let notice = format!(
                "{} is invited. Give them their username and this temporary password, which works for 7 days: \
                 {password}. They choose their own the first time they sign in.",
                invitation.username
            );
            page(app, session, now, Some(&notice)).await
        }
        Ok(Err(why)) => page_with(app, session, now, None, Some(&why)).await,
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "inviting failed");
            app.pages.problem(503, session, "The invitation could not be made just now: try again.")
        }
    }
}

async fn enable(app: &App, session: &Session, username: &str, enabled: bool, now: Timestamp) -> Response {
    if !enabled && username == session.member.username {
        return page_with(app, session, now, None, Some("You cannot disable yourself: ask another administrator."))
            .await;
    }
    let tenant = &session.member.tenant_id;
    let done = match app.staff.set_enabled(tenant, username, enabled).await {
        // A disabled member's sessions end now, not when they expire.
        Ok(true) if !enabled => app.chat.store.end_all(tenant, username).await.map(|_| true),
        other => other,
    };
    match done {
        Ok(true) => {
            let action = if enabled { "enabled" } else { "disabled" };
            audit(&app.chat.store, session, now, action, &format!("user {username}")).await;
            let notice = if enabled {
                format!("{username} can sign in again.")
            } else {
                format!("{username} is disabled: signed out everywhere, and cannot sign in.")
            };
            page(app, session, now, Some(&notice)).await
        }
        Ok(false) => app.pages.problem(404, session, "Your tenant has no such member of staff."),
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "changing a member failed");
            app.pages.problem(503, session, "That could not be done just now: try again.")
        }
    }
}

async fn keep_canned(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    let field = |name: &str| request.form(name).unwrap_or_default();
    let reply = match CannedReply::new(crate::web::random_token()[..12].to_owned(), field("title"), field("text")) {
        Ok(reply) => reply,
        Err(why) => return page_with(app, session, now, None, Some(&why)).await,
    };
    match app.chat.store.keep_canned_reply(&session.member.tenant_id, &reply).await {
        Ok(()) => {
            audit(&app.chat.store, session, now, "kept_canned_reply", &format!("canned reply {}", reply.id)).await;
            page(app, session, now, Some(&format!("Agents can now start from \"{}\".", reply.title.as_str()))).await
        }
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "keeping a canned reply failed");
            app.pages.problem(503, session, "The reply could not be kept just now: try again.")
        }
    }
}

async fn remove_canned(app: &App, session: &Session, id: &str, now: Timestamp) -> Response {
    match app.chat.store.remove_canned_reply(&session.member.tenant_id, id).await {
        Ok(()) => {
            audit(&app.chat.store, session, now, "removed_canned_reply", &format!("canned reply {id}")).await;
            page(app, session, now, Some("The canned reply is removed.")).await
        }
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "removing a canned reply failed");
            app.pages.problem(503, session, "The reply could not be removed just now: try again.")
        }
    }
}
