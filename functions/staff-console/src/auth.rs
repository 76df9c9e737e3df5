//! Signing in and out, and the session every other page needs.
//!
//! The session id lives only in an `HttpOnly` cookie; the table keeps its digest. The sign-in form
//! carries a token of its own, matched against a cookie set with the form, so no other site can
//! sign a browser into an account of its choosing.

use avisa_domain::PortError;
use avisa_domain::staff::{
    AuditEntry, AuditLog, Session, SessionStore, SignInRefusal, SignInStep, SignedIn, StaffSignIn,
};
use jiff::Timestamp;
use minijinja::context;

use crate::App;
use crate::pages::Pages;
use crate::web::{Request, Response, random_token};

const SESSION_COOKIE: &str = "avisa_session";
const SIGN_IN_COOKIE: &str = "avisa_sign_in";
/// How long a sign-in form may be left open before it is sent.
const SIGN_IN_FORM_SECONDS: i64 = 30 * 60;

/// The sign-in form, with its form token (and `refusal`, when the last attempt was refused).
pub(crate) fn form(pages: &Pages, request: &Request<'_>, refusal: Option<(i64, &str)>) -> Response {
    // A form opened twice (a second tab, a reload) keeps the token the first one holds.
    let token = request
        .cookie(SIGN_IN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(random_token, str::to_owned);
    let (status, message) = refusal.unwrap_or((200, ""));
    let username = request.form("username").unwrap_or_default();
    let cookie = request.cookie_header(SIGN_IN_COOKIE, &token, "/sign-in", SIGN_IN_FORM_SECONDS);
    pages.page(status, "sign_in.html", None, context! { token, message, username }).with_cookie(cookie)
}

/// The sign-in form's token, checked against its cookie; the refusal otherwise.
fn form_token_holds(request: &Request<'_>) -> bool {
    match (request.form("csrf"), request.cookie(SIGN_IN_COOKIE)) {
        (Some(sent), Some(expected)) => !sent.is_empty() && sent == expected,
        _ => false,
    }
}

pub(crate) async fn sign_in(app: &App, request: &Request<'_>, now: Timestamp) -> Response {
    if !form_token_holds(request) {
        return form(&app.pages, request, Some((403, "This form has expired: sign in again.")));
    }
    let (username, password) =
        (request.form("username").unwrap_or_default().trim(), request.form("password").unwrap_or_default());
    if username.is_empty() || password.is_empty() {
        return form(&app.pages, request, Some((422, "Enter your username and your password.")));
    }
    match app.staff.sign_in(username, password).await {
        Ok(Ok(SignInStep::SignedIn(signed_in))) => start(app, request, signed_in, now).await,
        Ok(Ok(SignInStep::NewPassword { challenge })) => {
            let token = request.form("csrf").unwrap_or_default();
            let values = context! { token, username, challenge, message => "" };
            app.pages.page(200, "new_password.html", None, values)
        }
        Ok(Err(refusal)) => {
            tracing::info!(reason = ?refusal, "sign-in refused");
            form(&app.pages, request, Some((401, &refusal.to_string())))
        }
        Err(error) => unavailable(&app.pages, request, &error),
    }
}

/// An invited member's first sign-in: the password they chose instead of the temporary one.
pub(crate) async fn first_password(app: &App, request: &Request<'_>, now: Timestamp) -> Response {
    if !form_token_holds(request) {
        return form(&app.pages, request, Some((403, "This form has expired: sign in again.")));
    }
    let field = |name| request.form(name).unwrap_or_default();
    let (username, challenge, password) = (field("username"), field("challenge"), field("password"));
    let again = |message: &str| {
        let values = context! { token => field("csrf"), username, challenge, message };
        app.pages.page(422, "new_password.html", None, values)
    };
    if password.is_empty() || password != field("repeat") {
        return again("The two passwords are not the same: type it twice.");
    }
    match app.staff.first_password(username, challenge, password).await {
        Ok(Ok(signed_in)) => start(app, request, signed_in, now).await,
        Ok(Err(refusal @ SignInRefusal::WeakPassword(_))) => again(&refusal.to_string()),
        Ok(Err(refusal)) => form(&app.pages, request, Some((401, &refusal.to_string()))),
        Err(error) => unavailable(&app.pages, request, &error),
    }
}

/// A session for whom the sign-in service vouched, in a new cookie.
async fn start(app: &App, request: &Request<'_>, signed_in: SignedIn, now: Timestamp) -> Response {
    let id = random_token();
    let session = Session::start(signed_in, random_token(), now);
    if let Err(error) = app.chat.store.start(&Session::digest(&id), &session).await {
        return unavailable(&app.pages, request, &error);
    }
    audit(&app.chat.store, &session, now, "signed_in", "console").await;
    tracing::info!(tenant_id = %session.member.tenant_id, "signed in");
    let max_age = session.ends_at.as_second() - now.as_second();
    Response::see_other("/")
        .with_cookie(request.cookie_header(SESSION_COOKIE, &id, "/", max_age))
        .with_cookie(request.cookie_header(SIGN_IN_COOKIE, "", "/sign-in", 0))
}

pub(crate) async fn sign_out(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if let Some(id) = request.cookie(SESSION_COOKIE)
        && let Err(error) = app.chat.store.end(&Session::digest(id)).await
    {
        return app.pages.problem(503, session, &format!("You could not be signed out ({error}); try again."));
    }
    audit(&app.chat.store, session, now, "signed_out", "console").await;
    Response::see_other("/sign-in").with_cookie(request.cookie_header(SESSION_COOKIE, "", "/", 0))
}

/// The request's session, or the way to the sign-in page.
pub(crate) async fn session(
    store: &dyn SessionStore,
    request: &Request<'_>,
    now: Timestamp,
) -> Result<Session, Response> {
    let to_sign_in = || Response::see_other("/sign-in");
    let id = request.cookie(SESSION_COOKIE).filter(|id| !id.is_empty()).ok_or_else(to_sign_in)?;
    match store.session(&Session::digest(id)).await {
        Ok(Some(session)) if session.is_valid_at(now) => Ok(session),
        Ok(_) => Err(to_sign_in().with_cookie(request.cookie_header(SESSION_COOKIE, "", "/", 0))),
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "sessions unavailable");
            Err(Response::text(503, "The console is unavailable for a moment: reload the page."))
        }
    }
}

/// Records what a member did. The action is done already: a log that fails is logged, not undone.
pub(crate) async fn audit(log: &dyn AuditLog, session: &Session, at: Timestamp, action: &str, subject: &str) {
    let entry = AuditEntry {
        tenant_id: session.member.tenant_id.clone(),
        at,
        actor: session.member.username.clone(),
        action: action.to_owned(),
        subject: subject.to_owned(),
    };
    if let Err(error) = log.record(&entry).await {
        tracing::error!(action, error = avisa_runtime::redact::error_chain(&error), "an audit entry was not recorded");
    }
}

fn unavailable(pages: &Pages, request: &Request<'_>, error: &PortError) -> Response {
    tracing::error!(error = avisa_runtime::redact::error_chain(error), "sign-in unavailable");
    form(pages, request, Some((503, "Signing in is unavailable for a moment: try again.")))
}
