//! The complaints board (`complaints`, `admin`): a tenant's billing complaints by state with their
//! due dates, late ones first; one complaint with each step, who took it and the notice it sent
//! the citizen; and only the steps that apply now, as forms.

use avisa_domain::Error;
use avisa_domain::complaints::ports::ComplaintStore;
use avisa_domain::complaints::{Action, Board, Complaint};
use avisa_domain::deliveries::DeliveryLedger;
use avisa_domain::notice::NoticeSubject;
use avisa_domain::ports::{AccountStore, NoticeStore};
use avisa_domain::staff::{Area, Session};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::citizens::{NoticeRow, name_of, notice_row};
use crate::web::{Request, Response};

/// How many of a contract's notices are searched for a complaint's.
const NOTICES_SEARCHED: usize = 100;
/// How many closed complaints the board shows.
const CLOSED_SHOWN: usize = 20;

#[derive(Debug, Serialize)]
struct Row {
    reference: String,
    contract: String,
    invoice: String,
    state: String,
    due: Option<String>,
    overdue: bool,
    /// Whose move it is: staff's, or the citizen's.
    staff_to_act: bool,
    filed: String,
}

#[derive(Debug, Serialize)]
struct Step {
    at: String,
    by: String,
    action: String,
    to: String,
    notes: Option<String>,
    notice: Option<NoticeRow>,
}

fn words(code: &str) -> String {
    code.replace('_', " ")
}

fn row(complaint: &Complaint, now: Timestamp, zone: &TimeZone) -> Row {
    Row {
        reference: complaint.reference.clone(),
        contract: complaint.contract_id.to_string(),
        invoice: complaint.invoice_number.to_string(),
        state: words(complaint.state.name()),
        due: complaint.deadline.map(|due| shown(due, zone)),
        overdue: complaint.overdue(now),
        staff_to_act: complaint.state.staff_to_act(),
        filed: shown(complaint.filed_at, zone),
    }
}

fn shown(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M").to_string()
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Complaints) {
        return app.pages.problem(403, session, "Your roles do not open the complaints board.");
    }
    let answer = match (request.method, request.segments().as_slice()) {
        ("GET", ["complaints"]) => board(app, session, now).await,
        ("GET", ["complaints", reference]) => complaint(app, session, reference, now, None).await,
        ("POST", ["complaints", reference]) => act(app, request, session, reference, now).await,
        _ => return app.pages.problem(404, session, "There is no such complaints page."),
    };
    app.pages.or_unavailable(session, "The complaints", answer)
}

async fn board(app: &App, session: &Session, now: Timestamp) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let zone = crate::inbox::zone(app, session).await?;
    let complaints = app.chat.line().complaint_desk().list(tenant, None, jiff::SignedDuration::ZERO).await?;
    let board = Board::of(complaints, now);
    let open: Vec<Row> = board.open.iter().map(|c| row(c, now, &zone)).collect();
    let closed: Vec<Row> = board.closed.iter().take(CLOSED_SHOWN).map(|c| row(c, now, &zone)).collect();
    let overdue = open.iter().filter(|r| r.overdue).count();
    let values = context! { open => Value::from(Serde(open)), closed => Value::from(Serde(closed)), overdue };
    Ok(app.pages.page(200, "complaints.html", Some(session), values))
}

async fn complaint(
    app: &App,
    session: &Session,
    reference: &str,
    now: Timestamp,
    refusal: Option<&str>,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Some(complaint) = ComplaintStore::complaint(&app.chat.store, tenant, reference).await? else {
        return Ok(app.pages.problem(404, session, "Your tenant has no complaint with this reference."));
    };
    let zone = crate::inbox::zone(app, session).await?;
    // The notice each step sent the citizen, found among the contract's.
    let history = app.chat.store.history(tenant, &complaint.contract_id, NOTICES_SEARCHED).await?;
    let theirs: Vec<_> = history
        .iter()
        .filter_map(|notice| match &notice.subject {
            NoticeSubject::Complaint { reference: r, step } if *r == complaint.reference => {
                Some((*step, notice.notice_id.clone()))
            }
            _ => None,
        })
        .collect();
    let ids: Vec<_> = theirs.iter().map(|(_, id)| id.clone()).collect();
    let deliveries = app.chat.store.notices(tenant, &ids).await?;
    let steps: Vec<Step> = complaint
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let sent = theirs.iter().find(|(n, _)| *n == index + 1).map(|(_, id)| id);
            Step {
                at: shown(step.at, &zone),
                by: step.by.clone(),
                action: words(&step.action),
                to: words(&step.to),
                notes: step.notes.as_ref().map(|n| n.as_str().to_owned()),
                notice: sent
                    .and_then(|id| deliveries.iter().find(|d| &d.notice_id == id))
                    .map(|d| notice_row(d, &zone)),
            }
        })
        .collect();
    let values = context! {
        complaint => Value::from(Serde(row(&complaint, now, &zone))),
        reason => complaint.reason.as_str(),
        corrected => complaint.corrected_amount.as_ref().map(|m| format!("{} {}", m.amount, name_of(&m.currency))),
        version => complaint.version,
        steps => Value::from(Serde(steps)),
        actions => complaint.state.actions().to_vec(),
        refusal,
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "complaint.html", Some(session), values))
}

async fn act(
    app: &App,
    request: &Request<'_>,
    session: &Session,
    reference: &str,
    now: Timestamp,
) -> Result<Response, Error> {
    let tenant = &session.member.tenant_id;
    let Some(current) = ComplaintStore::complaint(&app.chat.store, tenant, reference).await? else {
        return Ok(app.pages.problem(404, session, "Your tenant has no complaint with this reference."));
    };
    if request.is_stale(current.version) {
        let why = "This complaint changed since you opened it (a colleague, or a second click): here it is now.";
        return complaint(app, session, reference, now, Some(why)).await;
    }
    let currency = app
        .chat
        .store
        .account(tenant, &current.contract_id)
        .await?
        .and_then(|a| {
            a.invoice(&current.invoice_number).and_then(|i| i.issued.as_ref()).map(|i| json!(i.value.currency))
        })
        .unwrap_or_else(|| json!("EUR"));
    let action = match action_of(request, &currency) {
        Ok(action) => action,
        Err(why) => return complaint(app, session, reference, now, Some(&why)).await,
    };
    let name = action.name();
    match app.chat.line().complaint_desk().act(session.member.name.as_str(), tenant, reference, action).await {
        Ok(_) => {
            let subject = format!("complaint {reference}: {}", words(name));
            crate::auth::audit(&app.chat.store, session, now, "moved_complaint", &subject).await;
            Ok(Response::see_other(&format!("/complaints/{reference}")))
        }
        Err(Error::Rejected(rejection)) => complaint(app, session, reference, now, Some(&rejection.detail)).await,
        Err(error) => Err(error),
    }
}

/// The action a step's form asks for, or what to correct in it.
fn action_of(request: &Request<'_>, currency: &serde_json::Value) -> Result<Action, String> {
    let given = |name: &str| request.form(name).map(str::trim).filter(|v| !v.is_empty());
    let mut body = json!({ "action": given("action").unwrap_or_default() });
    for field in ["at", "finding", "notes", "proposal", "outcome", "how"] {
        if let Some(value) = given(field) {
            body[field] = json!(value);
        }
    }
    if let Some(amount) = given("amount") {
        body["corrected_amount"] = json!({ "amount": amount.replace(',', "."), "currency": currency });
    }
    serde_path_to_error::deserialize::<_, Action>(body).map_err(|e| {
        let inner = e.inner().to_string();
        let field = match e.path().to_string().as_str() {
            // A missing field is reported at the top: its name is in the message.
            "." => inner.split('`').nth(1).unwrap_or_default().to_owned(),
            path => path.split('.').next().unwrap_or_default().to_owned(),
        };
        match field.as_str() {
            "at" => "Say when the inspection is (at most 100 characters).".to_owned(),
            "finding" => "Choose what the inspection found.".to_owned(),
            "notes" => "The notes are at most 1000 characters.".to_owned(),
            "proposal" => "Write the proposal the citizen will read (at most 500 characters).".to_owned(),
            "outcome" => "Choose the outcome.".to_owned(),
            "how" => "Say how the complaint ended (at most 200 characters).".to_owned(),
            "corrected_amount" => "The corrected amount is in euros and cents, such as 48.20.".to_owned(),
            _ => format!("This step could not be read: {inner}."),
        }
    })
}
