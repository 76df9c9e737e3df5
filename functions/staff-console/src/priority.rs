//! Planners mark a supply point priority (a hospital, a care home, a medically dependent
//! household): it is listed first in an outage's dry run and alerted earlier.

use avisa_domain::account::StaffPriority;
use avisa_domain::billing::PriorityKind;
use avisa_domain::ids::ContractId;
use avisa_domain::ports::PriorityMarks;
use avisa_domain::staff::{Area, Session};
use jiff::Timestamp;

use crate::App;
use crate::web::{Request, Response};

/// `POST /citizens`: `contract` and `priority` (a kind, or `none` to remove staff's mark).
pub(crate) async fn mark(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Outages) {
        return app.pages.problem(403, session, "Only planners and administrators mark priority supply points.");
    }
    let Ok(contract) = ContractId::parse(request.form("contract").unwrap_or_default()) else {
        return app.pages.problem(400, session, "The form named no contract: open the citizen again.");
    };
    let mark = match request.form("priority").unwrap_or_default() {
        "none" => None,
        raw => match PriorityKind::parse(raw) {
            Some(kind) => Some(StaffPriority { kind, by: session.member.name.as_str().to_owned(), at: now }),
            None => return app.pages.problem(400, session, &format!("{raw} is not a kind of priority supply point.")),
        },
    };
    match app.chat.store.mark_priority(&session.member.tenant_id, &contract, mark.as_ref()).await {
        Ok(true) => {
            let what = mark.as_ref().map_or("unmarked_priority", |_| "marked_priority");
            crate::auth::audit(&app.chat.store, session, now, what, &format!("contract {contract}")).await;
            Response::see_other(&format!("/citizens?q={contract}"))
        }
        Ok(false) => app.pages.problem(404, session, "Your tenant has no contract with this number."),
        Err(error) => {
            tracing::error!(error = avisa_runtime::redact::error_chain(&error), "priority mark failed");
            app.pages.problem(503, session, "The mark could not be saved for a moment: try again.")
        }
    }
}
