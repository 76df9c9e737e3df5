//! Incidents citizens reported on the chat line (category, description, location, photos) and
//! the appointments they asked for (`agent`, `admin`): an incident's status moved on, an
//! appointment's slot confirmed, the citizen told on WhatsApp as the staff API does.

use avisa_domain::Error;
use avisa_domain::chat::ports::{AppointmentStore, IncidentStore, MediaReader};
use avisa_domain::chat::{AppointmentStatus, Incident, IncidentLocation, IncidentStatus, PhotoCopy};
use avisa_domain::staff::{Area, Session};
use avisa_domain::text::Text;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::App;
use crate::web::{Request, Response};

/// How many of the latest incidents and appointments the page lists.
const LISTED: usize = 100;

#[derive(Debug, Serialize)]
struct IncidentRow {
    reference: String,
    category: String,
    description: String,
    place: String,
    /// Latitude and longitude, when the citizen shared a point.
    point: Option<(String, String)>,
    reported: String,
    status: String,
}

#[derive(Debug, Serialize)]
struct AppointmentRow {
    reference: String,
    service: String,
    preferred: String,
    phone: String,
    requested: String,
    /// The confirmed slot and who confirmed it.
    confirmed: Option<(String, String)>,
}

fn shown(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M").to_string()
}

fn row(incident: &Incident, zone: &TimeZone) -> IncidentRow {
    let (place, point) = match &incident.location {
        IncidentLocation::Point { lat, lon, address } => {
            let place = address.as_ref().map_or_else(|| format!("{lat:.5}, {lon:.5}"), |a| a.as_str().to_owned());
            (place, Some((format!("{lat:.5}"), format!("{lon:.5}"))))
        }
        IncidentLocation::Address { address } => (address.as_str().to_owned(), None),
    };
    IncidentRow {
        reference: incident.reference.clone(),
        category: incident.service_code.clone(),
        description: incident.description.as_str().to_owned(),
        place,
        point,
        reported: shown(incident.requested_at, zone),
        status: incident.status.as_str().replace('_', " "),
    }
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Incidents) {
        return app.pages.problem(403, session, "Your roles do not open the incidents.");
    }
    let answer = match (request.method, request.segments().as_slice()) {
        ("GET", ["incidents"]) => list(app, session).await,
        ("GET", ["incidents", reference]) => incident(app, session, reference, None).await,
        ("GET", ["incidents", reference, "photos", n]) => photo(app, session, reference, n, now).await,
        ("POST", ["incidents", reference, "status"]) => status(app, request, session, reference, now).await,
        ("POST", ["appointments", reference, "confirm"]) => confirm(app, request, session, reference, now).await,
        _ => return app.pages.problem(404, session, "There is no such page."),
    };
    app.pages.or_unavailable(session, "The incidents", answer)
}

async fn list(app: &App, session: &Session) -> Result<Response, Error> {
    list_with(app, session, None, None).await
}

async fn list_with(
    app: &App,
    session: &Session,
    notice: Option<&str>,
    refusal: Option<&str>,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let zone = crate::inbox::zone(app, session).await?;
    let incidents: Vec<IncidentRow> =
        IncidentStore::incidents(&app.chat.store, tenant, LISTED).await?.iter().map(|i| row(i, &zone)).collect();
    let appointments: Vec<AppointmentRow> = AppointmentStore::appointments(&app.chat.store, tenant, LISTED)
        .await?
        .into_iter()
        .map(|a| AppointmentRow {
            reference: a.reference,
            service: a.service,
            preferred: a.preferred.as_str().to_owned(),
            phone: a.phone.as_str().to_owned(),
            requested: shown(a.requested_at, &zone),
            confirmed: match a.status {
                AppointmentStatus::Requested => None,
                AppointmentStatus::Confirmed { slot, by } => Some((slot.as_str().to_owned(), by)),
            },
        })
        .collect();
    let values = context! {
        incidents => Value::from(Serde(incidents)),
        appointments => Value::from(Serde(appointments)),
        notice,
        refusal,
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "incidents.html", Some(session), values))
}

async fn incident(app: &App, session: &Session, reference: &str, refusal: Option<&str>) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Some(incident) = IncidentStore::incident(&app.chat.store, tenant, reference).await? else {
        return Ok(app.pages.problem(404, session, "Your tenant has no incident with this reference."));
    };
    let zone = crate::inbox::zone(app, session).await?;
    let updates: Vec<(String, String, String, Option<String>)> = incident
        .updates
        .iter()
        .map(|u| {
            let note = u.note.as_ref().map(|n| n.as_str().to_owned());
            (shown(u.at, &zone), u.by.clone(), u.status.as_str().replace('_', " "), note)
        })
        .collect();
    // What became of each photo, and where to open the kept ones.
    let photos: Vec<(String, Option<String>)> = incident
        .photos
        .iter()
        .enumerate()
        .map(|(n, p)| match &p.copy {
            PhotoCopy::Stored { content_type, bytes, .. } => {
                let url = format!("/incidents/{}/photos/{n}", incident.reference);
                (format!("kept ({content_type}, {} kB)", bytes / 1024), Some(url))
            }
            PhotoCopy::Fetching { .. } => ("being copied from WhatsApp".to_owned(), None),
            PhotoCopy::Refused { reason } => (format!("not kept: {reason}"), None),
            PhotoCopy::Lost { reason, .. } => (format!("lost: {reason}"), None),
        })
        .collect();
    let statuses: Vec<&str> = [IncidentStatus::Acknowledged, IncidentStatus::InProgress, IncidentStatus::Closed]
        .into_iter()
        .filter(|s| *s != incident.status)
        .map(IncidentStatus::as_str)
        .collect();
    let values = context! {
        incident => Value::from(Serde(row(&incident, &zone))),
        reporter => incident.reporter.as_str(),
        closed => incident.status == IncidentStatus::Closed,
        version => incident.version,
        updates,
        photos,
        statuses,
        tiles => app.tile_url.clone(),
        refusal,
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "incident.html", Some(session), values))
}

/// The largest photo the console serves itself: a Function URL answers at most 6 MB, base64 grows
/// a body by a third.
const MAX_SHOWN_BYTES: u64 = 4 * 1024 * 1024;

/// A kept photo of one of the tenant's incidents, for staff's eyes only (audited).
async fn photo(app: &App, session: &Session, reference: &str, n: &str, now: Timestamp) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let not_found = || app.pages.problem(404, session, "Your tenant has no such photo.");
    let Some(incident) = IncidentStore::incident(&app.chat.store, tenant, reference).await? else {
        return Ok(not_found());
    };
    let copy = n.parse::<usize>().ok().and_then(|n| incident.photos.get(n)).map(|p| &p.copy);
    let Some(PhotoCopy::Stored { key, content_type, bytes }) = copy else { return Ok(not_found()) };
    // Keys are the tenant's own: a record naming another's is never served.
    if !key.starts_with(&format!("{tenant}/")) {
        return Ok(not_found());
    }
    let content_type = match content_type.as_str() {
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        _ => return Ok(app.pages.problem(415, session, "This photo is not a JPEG or PNG image.")),
    };
    if *bytes > MAX_SHOWN_BYTES {
        let why = format!(
            "This photo is {} MB, too large to show here: it is kept in the media bucket at {key}.",
            bytes.div_ceil(1024 * 1024)
        );
        return Ok(app.pages.problem(413, session, &why));
    }
    let Some(content) = app.media.read(key).await? else {
        return Ok(app.pages.problem(410, session, "This photo is no longer kept (erased or expired)."));
    };
    crate::auth::audit(&app.chat.store, session, now, "opened_photo", &format!("incident {reference}")).await;
    Ok(Response::image(content_type, content))
}

async fn status(
    app: &App,
    request: &Request<'_>,
    session: &Session,
    reference: &str,
    now: Timestamp,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Some(current) = IncidentStore::incident(&app.chat.store, tenant, reference).await? else {
        return Ok(app.pages.problem(404, session, "Your tenant has no incident with this reference."));
    };
    if request.is_stale(current.version) {
        let why = "This incident changed since you opened it (a colleague, or a second click): here it is now.";
        return incident(app, session, reference, Some(why)).await;
    }
    let status = match request.form("status") {
        Some("acknowledged") => IncidentStatus::Acknowledged,
        Some("in_progress") => IncidentStatus::InProgress,
        Some("closed") => IncidentStatus::Closed,
        _ => return incident(app, session, reference, Some("Choose the incident's new status.")).await,
    };
    let note = match request.form("note").map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(note) => match Text::parse(note) {
            Ok(note) => Some(note),
            Err(_) => return incident(app, session, reference, Some("The note is at most 500 characters.")).await,
        },
    };
    match app.chat.line().update_incident(tenant, reference, session.member.name.as_str(), status, note).await {
        Ok(_) => {
            let subject = format!("incident {reference}: {}", status.as_str());
            crate::auth::audit(&app.chat.store, session, now, "moved_incident", &subject).await;
            Ok(Response::see_other(&format!("/incidents/{reference}")))
        }
        Err(Error::Rejected(rejection)) => incident(app, session, reference, Some(&rejection.detail)).await,
        Err(error) => Err(error),
    }
}

async fn confirm(
    app: &App,
    request: &Request<'_>,
    session: &Session,
    reference: &str,
    now: Timestamp,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Ok(slot) = Text::<200>::parse(request.form("slot").unwrap_or_default().trim()) else {
        let why = format!("Say the slot for {reference}, as the citizen will read it (at most 200 characters).");
        return list_with(app, session, None, Some(&why)).await;
    };
    match app.chat.line().confirm_appointment(tenant, reference, session.member.name.as_str(), slot).await {
        Ok(_) => {
            crate::auth::audit(
                &app.chat.store,
                session,
                now,
                "confirmed_appointment",
                &format!("appointment {reference}"),
            )
            .await;
            list_with(app, session, Some(&format!("Appointment {reference} is confirmed: the citizen is told.")), None)
                .await
        }
        Err(Error::Rejected(rejection)) if rejection.code == avisa_domain::error::RejectionCode::NotFound => {
            Ok(app.pages.problem(404, session, "Your tenant has no appointment with this reference."))
        }
        Err(Error::Rejected(rejection)) => list_with(app, session, None, Some(&rejection.detail)).await,
        Err(error) => Err(error),
    }
}
