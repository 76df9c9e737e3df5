//! The administrator's pages: the audit log of what the tenant's staff did, and the operator API
//! tokens (listed by id, never shown, revocable).

use avisa_domain::staff::{Area, AuditLog, Session};
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
        _ => app.pages.problem(404, session, "There is no such administration page."),
    }
}

async fn page(app: &App, session: &Session, now: Timestamp, notice: Option<&str>) -> Response {
    let tenant = &session.member.tenant_id;
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
    app.pages.page(
        200,
        "admin.html",
        Some(session),
        context! { log => Value::from(Serde(&log)), tokens => Value::from(Serde(&tokens)), notice },
    )
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
