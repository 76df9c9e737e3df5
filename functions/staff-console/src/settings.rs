//! An administrator edits the tenant's settings (office and quiet hours, the chat menu, outage
//! alert hours, SMS limits…) as the JSON `avisa tenant-settings --put` takes, with the same checks.
//! The form carries a digest of the settings it showed: saving over a colleague's change is
//! refused rather than undoing it silently.

use avisa_domain::Error;
use avisa_domain::ports::TenantDirectory;
use avisa_domain::staff::Session;
use avisa_domain::tenant::TenantSettings;
use jiff::Timestamp;
use minijinja::context;
use sha2::{Digest, Sha256};

use crate::App;
use crate::settings_fields::Fields;
use crate::web::{Request, Response};

/// The tenant's own settings, or the deployment's defaults it uses while it has none.
async fn current(app: &App, session: &Session) -> Result<(TenantSettings, bool), Error> {
    let own = app.chat.store.settings(&session.member.tenant_id).await?;
    let has_own = own.is_some();
    Ok((own.unwrap_or_else(|| app.chat.defaults.clone()), has_own))
}

fn pretty(settings: &TenantSettings) -> String {
    serde_json::to_string_pretty(settings).unwrap_or_default()
}

fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

struct Shown<'a> {
    text: &'a str,
    notice: Option<&'a str>,
    refusal: Option<&'a str>,
    /// The fields as typed, when their form was refused.
    fields: Option<Fields>,
}

async fn form(app: &App, session: &Session, shown: Option<Shown<'_>>) -> Result<Response, Error> {
    let (settings, has_own) = current(app, session).await?;
    let stored = pretty(&settings);
    let (text, notice, refusal, fields) =
        shown.map_or((stored.as_str(), None, None, None), |s| (s.text, s.notice, s.refusal, s.fields));
    let fields = fields.unwrap_or_else(|| Fields::of_settings(&settings));
    let values = context! {
        text, digest => digest(&stored), has_own, notice, refusal,
        fields => minijinja::Value::from(minijinja::value::Serde(fields)),
        days => Fields::days(),
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "settings.html", Some(session), values))
}

pub(crate) async fn show(app: &App, session: &Session) -> Response {
    app.pages.or_unavailable(session, "The settings", form(app, session, None).await)
}

pub(crate) async fn save(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    app.pages.or_unavailable(session, "The settings", saved(app, request, session, now).await)
}

/// Saves the JSON form, or (`fields`) the usual settings' form applied onto what is stored.
async fn saved(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Result<Response, Error> {
    let by_fields = request.form("form") == Some("fields");
    let (settings, _) = current(app, session).await?;
    let stored = pretty(&settings);
    let typed = by_fields.then(|| Fields::of_request(request));
    let text = if by_fields { stored.clone() } else { request.form("settings").unwrap_or_default().to_owned() };
    let text = text.as_str();
    let refused = |why, fields| Shown { text, notice: None, refusal: Some(why), fields };
    if request.form("digest") != Some(digest(&stored).as_str()) {
        let why = "The settings changed since you opened this page (another administrator?): \
                   reload it, and make your change on what is there now.";
        return form(app, session, Some(refused(why, typed))).await;
    }
    let json = match &typed {
        Some(fields) => match fields.applied(&settings) {
            Ok(json) => json,
            Err(why) => return form(app, session, Some(refused(&why, typed))).await,
        },
        None => text.to_owned(),
    };
    let settings = match TenantSettings::from_json(&json) {
        Ok(settings) => settings,
        Err(why) => return form(app, session, Some(refused(&why, typed))).await,
    };
    app.chat.store.put_settings(&session.member.tenant_id, &settings).await?;
    crate::auth::audit(&app.chat.store, session, now, "changed_settings", "tenant settings").await;
    let stored = pretty(&settings);
    let notice = "The settings are saved: every function uses them from its next message.";
    form(app, session, Some(Shown { text: &stored, notice: Some(notice), refusal: None, fields: None })).await
}
