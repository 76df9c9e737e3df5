//! The tenant's planned outages (`planner`, `admin`): listed upcoming first, each with its window,
//! area, the alerts its revision schedules and the timeline of who did what; planned ones with
//! their dry run (see [`crate::outage_plan`]).

use avisa_domain::Error;
use avisa_domain::ids::OutageId;
use avisa_domain::outage::ports::OutageStore;
use avisa_domain::outage::{Outage, OutageArea, OutageStatus};
use avisa_domain::staff::{Area, Session};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::App;
use crate::web::{Request, Response};

/// How many of the tenant's outages the list shows.
const LISTED: usize = 200;

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    kind: String,
    start: String,
    end: String,
    area: String,
    status: &'static str,
    /// Awaiting a second planner's approval: the list shows it first.
    waiting: bool,
    alerts: usize,
}

fn shown(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M").to_string()
}

/// As a `datetime-local` input shows it.
fn local(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M").to_string()
}

fn row(outage: &Outage, zone: &TimeZone) -> Row {
    Row {
        id: outage.outage_id.to_string(),
        kind: crate::citizens::name_of(&outage.kind).replace('_', " "),
        start: shown(outage.window.start, zone),
        end: shown(outage.window.expected_end, zone),
        area: match &outage.area {
            OutageArea::NetworkSectors(sectors) => {
                let names: Vec<String> = sectors.iter().map(ToString::to_string).collect();
                format!("sectors {}", names.join(", "))
            }
            OutageArea::Polygon(_) => "an area drawn on the map".to_owned(),
        },
        status: outage.status.as_str(),
        waiting: outage.status == OutageStatus::AwaitingApproval,
        alerts: outage.alerts.len(),
    }
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Outages) {
        return app.pages.problem(403, session, "Your roles do not open the outages.");
    }
    let answer = match (request.method, request.segments().as_slice()) {
        ("GET", ["outages"]) => list(app, session).await,
        ("GET", ["outages", "new"]) => crate::outage_plan::form(app, session).await,
        ("POST", ["outages"]) => crate::outage_plan::plan(app, request, session, now).await,
        ("GET", ["outages", id]) => match OutageId::parse(id) {
            Ok(id) => page(app, session, &id, now, None).await,
            Err(_) => Ok(app.pages.problem(404, session, "Your tenant has no outage with this id.")),
        },
        ("GET", ["outages", id, "contracts.csv"]) => match OutageId::parse(id) {
            Ok(id) => crate::outage_plan::contracts_csv(app, session, &id).await,
            Err(_) => Ok(app.pages.problem(404, session, "Your tenant has no outage with this id.")),
        },
        ("POST", ["outages", id, action @ ("confirm" | "approve" | "reschedule" | "cancel" | "end")]) => {
            match OutageId::parse(id) {
                Ok(id) => crate::outage_plan::act(app, request, session, &id, action, now).await,
                Err(_) => Ok(app.pages.problem(404, session, "Your tenant has no outage with this id.")),
            }
        }
        _ => return app.pages.problem(404, session, "There is no such outages page."),
    };
    app.pages.or_unavailable(session, "The outages", answer)
}

async fn list(app: &App, session: &Session) -> Result<Response, Error> {
    let zone = crate::inbox::zone(app, session).await?;
    let mut outages = OutageStore::list(&app.chat.store, &session.member.tenant_id, LISTED).await?;
    // What may still reach citizens first, soonest first; then what is over, latest first.
    let over = |o: &Outage| matches!(o.status, OutageStatus::Cancelled | OutageStatus::Ended);
    outages.sort_by_key(|o| (over(o), if over(o) { -o.window.start.as_second() } else { o.window.start.as_second() }));
    let (done, ahead): (Vec<&Outage>, Vec<&Outage>) = outages.iter().partition(|o| over(o));
    let announcements = crate::announcements::listed(app, session, &zone).await?;
    let values = context! {
        ahead => Value::from(Serde(ahead.iter().map(|o| row(o, &zone)).collect::<Vec<_>>())),
        done => Value::from(Serde(done.iter().map(|o| row(o, &zone)).collect::<Vec<_>>())),
        announcements => Value::from(Serde(announcements)),
    };
    Ok(app.pages.page(200, "outages.html", Some(session), values))
}

pub(crate) async fn page(
    app: &App,
    session: &Session,
    id: &OutageId,
    now: Timestamp,
    refusal: Option<&str>,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Some(outage) = OutageStore::outage(&app.chat.store, tenant, id).await? else {
        return Ok(app.pages.problem(404, session, "Your tenant has no outage with this id."));
    };
    let settings = app.settings(tenant).await?;
    let zone = crate::inbox::zone_in(app, &settings);
    let alerts: Vec<(String, String, &str, bool)> =
        outage.alerts.iter().map(|a| (shown(a.at, &zone), a.label.clone(), a.stage.as_str(), a.at <= now)).collect();
    let changes: Vec<(String, String, String)> =
        outage.changes.iter().map(|c| (shown(c.at, &zone), c.by.clone(), c.action.replace('_', " "))).collect();
    let planned = if matches!(outage.status, OutageStatus::Planned | OutageStatus::AwaitingApproval) {
        Some(crate::outage_plan::dry_run_values(app, &outage, &settings).await?)
    } else {
        None
    };
    let area = match &outage.area {
        OutageArea::Polygon(polygon) => serde_json::to_string(polygon).ok(),
        OutageArea::NetworkSectors(_) => None,
    };
    let sends = crate::outage_plan::desk(app).sends(tenant, id).await?;
    let values = context! {
        sends => Value::from(Serde(crate::sends::rows(&sends, &zone))),
        outage => Value::from(Serde(row(&outage, &zone))),
        note => outage.note.as_ref().map(|n| n.as_str().to_owned()),
        revision => outage.revision,
        announced => outage.announced,
        previous => outage.previous_window.map(|w| format!("{} – {}", shown(w.start, &zone), shown(w.expected_end, &zone))),
        alerts,
        changes,
        planned,
        area,
        actions => crate::outage_plan::actions(&outage, session.member.name.as_str()),
        approval => outage.approval.as_ref().map(|a| context! {
            requested_by => a.requested_by.clone(),
            requested_at => shown(a.requested_at, &zone),
            recipients => a.recipients,
            threshold => a.threshold,
            approved_by => a.approved_by.clone(),
            approved_at => a.approved_at.map(|at| shown(at, &zone)),
            own => a.requested_by == session.member.name.as_str(),
        }),
        movable => !matches!(outage.status, OutageStatus::Cancelled | OutageStatus::Ended),
        window => (local(outage.window.start, &zone), local(outage.window.expected_end, &zone)),
        tiles => app.tile_url.clone(),
        center => crate::outage_plan::center(&settings),
        refusal,
    };
    Ok(app.pages.page(if refusal.is_some() { 409 } else { 200 }, "outage.html", Some(session), values))
}
