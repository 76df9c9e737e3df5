//! Planning an outage in the console: the area drawn on the map (or network sectors), the window
//! in the tenant's local time; then the dry run — who is reached on which channel, each language's
//! SMS with its parts, the cost, the supply points on the map, the contracts as CSV for the call
//! centre — before anything is scheduled; then confirm, cancel or end it.

use avisa_domain::Error;
use avisa_domain::billing::PriorityKind;
use avisa_domain::ids::OutageId;
use avisa_domain::outage::{Audience, Outage, OutageDesk, OutagePlan, OutageStatus, Reschedule};
use avisa_domain::staff::Session;
use avisa_domain::tenant::TenantSettings;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::web::{Request, Response};

/// At most this many supply points are drawn on a dry run's map.
const POINTS_SHOWN: usize = 2000;
/// Where a tenant's map opens when its settings name no centre (Catalonia).
const FALLBACK_CENTER: (f64, f64) = (41.59, 1.52);

pub(crate) fn desk(app: &App) -> OutageDesk<'_> {
    let store = &app.chat.store;
    OutageDesk {
        outages: store,
        audience: Audience { index: store, subscriptions: store, accounts: store, suppressions: store },
        renderer: &app.chat.templates,
        scheduler: &app.chat.reminders,
        tenants: store,
        sends: store,
        clock: &app.chat.clock,
        defaults: &app.chat.defaults,
        shared_rates: app.shared_rates,
    }
}

/// A `datetime-local` input's value, in the tenant's zone.
fn local_instant(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    let local = text.trim().parse::<jiff::civil::DateTime>().ok()?;
    local.to_zoned(zone.clone()).ok().map(|zoned| zoned.timestamp())
}

/// What the planner typed, kept when the form comes back to be corrected.
#[derive(Debug, Default, Serialize)]
struct Typed {
    kind: String,
    start: String,
    end: String,
    note: String,
    sectors: String,
    polygon: String,
}

impl Typed {
    fn of(request: &Request<'_>) -> Self {
        let field = |name: &str| request.form(name).unwrap_or_default().trim().to_owned();
        Self {
            kind: field("kind"),
            start: field("start"),
            end: field("end"),
            note: field("note"),
            sectors: field("sectors"),
            polygon: field("polygon"),
        }
    }

    /// The plan, or what to correct.
    fn plan(&self, session: &Session, zone: &TimeZone) -> Result<OutagePlan, String> {
        let at = |text: &str, what: &str| {
            local_instant(text, zone)
                .map(|at| at.to_string())
                .ok_or_else(|| format!("Give the {what} as a date and time."))
        };

        let area = match (self.polygon.is_empty(), self.sectors.is_empty()) {
            (false, true) => json!({ "polygon": serde_json::from_str::<serde_json::Value>(&self.polygon)
                .map_err(|_| "The area drawn is not GeoJSON: clear it and draw it again.".to_owned())? }),
            (true, false) => {
                let sectors: Vec<&str> = self.sectors.split([',', ' ']).filter(|s| !s.is_empty()).collect();
                json!({ "network_sectors": sectors })
            }
            (true, true) => return Err("Draw the area on the map, or give its network sectors.".into()),
            (false, false) => return Err("Give the area one way: drawn on the map, or as network sectors.".into()),
        };
        let mut body = json!({
            "tenant_id": session.member.tenant_id,
            "type": if self.kind.is_empty() { "interruption" } else { self.kind.as_str() },
            "start": at(&self.start, "start")?,
            "expected_end": at(&self.end, "expected end")?,
            "area": area,
        });
        if !self.note.is_empty() {
            body["note"] = json!(self.note);
        }
        OutagePlan::parse(body.to_string().as_bytes()).map_err(|e| match e {
            Error::Rejected(rejection) => rejection.detail,
            other => other.to_string(),
        })
    }
}

/// Where the tenant's map opens.
pub(crate) fn center(settings: &TenantSettings) -> (f64, f64) {
    settings.outages.map_center.map_or(FALLBACK_CENTER, |c| (c.0.lat, c.0.lon))
}

pub(crate) async fn form(app: &App, session: &Session) -> Result<Response, Error> {
    form_with(app, session, &Typed::default(), None).await
}

async fn form_with(app: &App, session: &Session, typed: &Typed, refusal: Option<&str>) -> Result<Response, Error> {
    let (lat, lon) = center(&app.settings(&session.member.tenant_id).await?);
    let values = context! {
        typed => Value::from(Serde(typed)),
        lat, lon,
        tiles => app.tile_url.clone(),
        refusal,
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "outage_new.html", Some(session), values))
}

pub(crate) async fn plan(
    app: &App,
    request: &Request<'_>,
    session: &Session,
    now: Timestamp,
) -> Result<Response, Error> {
    let typed = Typed::of(request);
    let zone = crate::inbox::zone(app, session).await?;
    let plan = match typed.plan(session, &zone) {
        Ok(plan) => plan,
        Err(why) => return form_with(app, session, &typed, Some(&why)).await,
    };
    match desk(app).plan(session.member.name.as_str(), plan).await {
        Ok((outage, _)) => {
            crate::auth::audit(
                &app.chat.store,
                session,
                now,
                "planned_outage",
                &format!("outage {}", outage.outage_id),
            )
            .await;
            Ok(Response::see_other(&format!("/outages/{}", outage.outage_id)))
        }
        Err(Error::Rejected(rejection)) => form_with(app, session, &typed, Some(&rejection.detail)).await,
        Err(error) => Err(error),
    }
}

/// The dry run of an outage not yet scheduled, as its page shows it.
pub(crate) async fn dry_run_values(app: &App, outage: &Outage, settings: &TenantSettings) -> Result<Value, Error> {
    let (_, dry_run, members) = desk(app).dry_run_and_audience(&outage.tenant_id, &outage.outage_id).await?;
    let points: Vec<[f64; 2]> = members
        .iter()
        .filter(|m| m.subscriber.is_none())
        .filter_map(|m| m.holder.supply_point.coordinates)
        .take(POINTS_SHOWN)
        .map(|at| [at.lat, at.lon])
        .collect();
    let cost = dry_run.estimated_cost.as_ref().map(crate::citizens::money_text);
    let hours = |hours: &[u32]| hours.iter().map(|h| format!("{h} h")).collect::<Vec<_>>().join(", ");
    Ok(context! {
        dry_run => Value::from(Serde(&dry_run)),
        cost,
        points => serde_json::to_string(&points).unwrap_or_default(),
        priority_hours => hours(&settings.outages.priority_alert_hours_before),
        threshold => settings.outages.approval_threshold,
    })
}

/// The contracts an outage reaches, priority supply points first, for the call centre.
pub(crate) async fn contracts_csv(app: &App, session: &Session, id: &OutageId) -> Result<Response, Error> {
    let outage = desk(app).outage(&session.member.tenant_id, id).await?;
    let mut members = desk(app).audience.members(&outage).await?;
    members.sort_by_key(|m| m.priority().is_none());
    let mut csv = String::from("contract,priority,address,sector,subscriber\n");
    let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    for member in &members {
        let point = &member.holder.supply_point;
        let subscriber = member.subscriber.as_ref().map(|s| s.subscriber_id.to_string()).unwrap_or_default();
        let priority = member.priority().map(PriorityKind::as_str).unwrap_or_default();
        let sector = point.network_sector.to_string();
        let line =
            [member.contract_id.as_str(), priority, point.address.as_str(), &sector, &subscriber].map(quoted).join(",");
        csv.push_str(&line);
        csv.push('\n');
    }
    Ok(Response::csv(&format!("outage-{id}-contracts.csv"), csv))
}

/// Confirm, approve, reschedule, cancel or end (`restored`: those told hear the water is back).
pub(crate) async fn act(
    app: &App,
    request: &Request<'_>,
    session: &Session,
    id: &OutageId,
    action: &str,
    now: Timestamp,
) -> Result<Response, Error> {
    let (tenant, by) = (&session.member.tenant_id, session.member.name.as_str());
    let done = match action {
        "confirm" => desk(app).confirm(by, tenant, id).await,
        "approve" => desk(app).approve(by, tenant, id).await,
        "cancel" => desk(app).cancel(by, tenant, id).await,
        "reschedule" => match moved_to(app, request, session).await? {
            Ok(to) => desk(app).reschedule(by, tenant, id, to).await,
            Err(why) => return crate::outages::page(app, session, id, now, Some(&why)).await,
        },
        _ => desk(app).end(by, tenant, id, request.form("restored").is_some()).await,
    };
    match done {
        Ok(changed) => {
            if changed.changed {
                let what = format!("{action}_outage");
                crate::auth::audit(&app.chat.store, session, now, &what, &format!("outage {id}")).await;
            }
            Ok(Response::see_other(&format!("/outages/{id}")))
        }
        Err(Error::Rejected(rejection)) => crate::outages::page(app, session, id, now, Some(&rejection.detail)).await,
        Err(error) => Err(error),
    }
}

/// The new window typed in the tenant's local time, or what to correct.
async fn moved_to(app: &App, request: &Request<'_>, session: &Session) -> Result<Result<Reschedule, String>, Error> {
    let zone = crate::inbox::zone(app, session).await?;
    let at = |name: &str, what: &str| {
        local_instant(request.form(name).unwrap_or_default(), &zone)
            .ok_or_else(|| format!("Give the new {what} as a date and time."))
    };
    Ok(at("start", "start").and_then(|start| Ok(Reschedule { start, expected_end: at("end", "expected end")? })))
}

/// What can be done to an outage now; `approve` only by someone other than who confirmed it.
pub(crate) fn actions(outage: &Outage, member: &str) -> Vec<&'static str> {
    let own_request = outage.approval.as_ref().is_some_and(|a| a.requested_by == member);
    match outage.status {
        OutageStatus::Planned => vec!["confirm", "cancel"],
        OutageStatus::AwaitingApproval if own_request => vec!["cancel"],
        OutageStatus::AwaitingApproval => vec!["approve", "cancel"],
        OutageStatus::Confirmed => vec!["end", "cancel"],
        OutageStatus::Cancelled | OutageStatus::Ended => vec![],
    }
}
