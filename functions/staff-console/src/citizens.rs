//! The citizen view: find a citizen by phone, contract or name, and see everything the tenant holds
//! about them in one page.

use avisa_domain::Error;
use avisa_domain::billing::PriorityKind;
use avisa_domain::deliveries::NoticeDeliveries;
use avisa_domain::ids::CustomerId;
use avisa_domain::staff::citizen::{CitizenFile, CitizenQuery, CitizenRecords, NameMatches, Search};
use avisa_domain::staff::{Area, Session};
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::App;
use crate::web::{Request, Response};

#[derive(Debug, Serialize)]
pub(crate) struct DeliveryRow {
    channel: String,
    state: &'static str,
    /// Why it did not reach the citizen, when it did not.
    reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct NoticeRow {
    at: String,
    kind: String,
    deliveries: Vec<DeliveryRow>,
}

#[derive(Debug, Serialize)]
struct ContractView {
    id: String,
    address: Option<String>,
    /// Why its supply point is alerted first, and who said so (`upstream` or a member of staff).
    priority: Option<(String, String)>,
    /// Staff's own mark, which staff may change (upstream's is upstream's).
    staff_mark: Option<String>,
    unpaid: Vec<String>,
    returned: Vec<String>,
    plans: Vec<String>,
    notices: Vec<NoticeRow>,
    complaints: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
struct CitizenView {
    name: String,
    customer_id: String,
    language: Option<String>,
    email: Option<String>,
    mobile: Option<String>,
    /// The digits of the mobile: the address of their conversation.
    conversation: Option<(String, String)>,
    channels: Vec<String>,
    marketing: bool,
    e_invoice: bool,
    contracts: Vec<ContractView>,
    incidents: Vec<(String, String, String)>,
}

pub(crate) fn name_of(value: &impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// An amount as staff read it on a page: "12.40 EUR".
pub(crate) fn money_text(money: &avisa_domain::money::Money) -> String {
    format!("{} {}", money.amount, name_of(&money.currency))
}

/// A notice with where each of its deliveries stands.
pub(crate) fn notice_row(notice: &NoticeDeliveries, zone: &TimeZone) -> NoticeRow {
    NoticeRow {
        at: notice.created_at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M").to_string(),
        kind: name_of(&notice.kind),
        deliveries: notice
            .deliveries
            .iter()
            .map(|d| DeliveryRow {
                channel: name_of(&d.channel),
                state: d.state.label(),
                reason: d.state.failure().map(str::to_owned),
            })
            .collect(),
    }
}

fn view(file: CitizenFile, zone: &TimeZone) -> CitizenView {
    let profile = file.profile;
    let contracts = file
        .contracts
        .into_iter()
        .map(|contract| {
            let account = contract.account.as_ref();
            let invoices = account.map(|a| a.invoices.as_slice()).unwrap_or_default();
            let unpaid = invoices
                .iter()
                .filter(|(_, state)| state.is_unpaid())
                .filter_map(|(number, state)| {
                    let issued = &state.issued.as_ref()?.value;
                    Some(format!("{number}: {} {} due {}", issued.amount, name_of(&issued.currency), issued.due_date))
                })
                .collect();
            let returned = invoices
                .iter()
                .filter_map(|(number, state)| {
                    let returned = &state.returned.as_ref()?.value;
                    Some(format!("{number}: returned on {} ({})", returned.returned_on, returned.reason.as_str()))
                })
                .collect();
            let plans = account
                .map(|a| a.plans.iter().map(|p| format!("{}: {}", p.value.plan_id, name_of(&p.value.status))).collect())
                .unwrap_or_default();
            let notices = contract.notices.iter().map(|notice| notice_row(notice, zone)).collect();
            ContractView {
                id: contract.contract_id.to_string(),
                address: account.map(|a| a.holder.supply_point.address.as_str().to_owned()),
                priority: account.and_then(|a| {
                    let kind = a.holder.priority()?;
                    let by = a.holder.staff_priority.as_ref().map_or_else(|| "upstream".to_owned(), |m| m.by.clone());
                    Some((kind.as_str().replace('_', " "), by))
                }),
                staff_mark: account.and_then(|a| a.holder.staff_priority.as_ref()).map(|m| m.kind.as_str().to_owned()),
                unpaid,
                returned,
                plans,
                notices,
                complaints: contract.complaints.iter().map(|c| (c.reference.clone(), name_of(&c.state))).collect(),
            }
        })
        .collect();
    CitizenView {
        name: profile.name.as_str().to_owned(),
        customer_id: profile.customer_id.to_string(),
        language: profile.language.map(|l| name_of(&l)),
        email: profile.email.as_ref().map(|e| e.as_str().to_owned()),
        mobile: profile.mobile.as_ref().map(|m| m.as_str().to_owned()),
        conversation: file
            .conversation
            .as_ref()
            .map(|c| (c.phone.as_str().trim_start_matches('+').to_owned(), c.state.name().replace('_', " "))),
        channels: profile.channels.iter().map(name_of).collect(),
        marketing: profile.consents.marketing,
        e_invoice: profile.e_invoice,
        contracts,
        incidents: file
            .incidents
            .iter()
            .map(|i| (i.reference.clone(), i.service_code.clone(), i.status.as_str().to_owned()))
            .collect(),
    }
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: jiff::Timestamp) -> Response {
    if !session.member.may_open(Area::Citizens) {
        return app.pages.problem(403, session, "Your roles do not open the citizen view.");
    }
    if request.method == "POST" {
        return crate::priority::mark(app, request, session, now).await;
    }
    let store = &app.chat.store;
    let records = CitizenRecords {
        customers: store,
        names: store,
        accounts: store,
        notices: store,
        ledger: store,
        conversations: store,
        incidents: store,
        complaints: store,
    };
    let tenant = &session.member.tenant_id;
    // A customer picked from the matches of a search by name.
    if let Some(picked) = request.query("customer") {
        let typed = request.query("q").unwrap_or_default().trim();
        return match CustomerId::parse(picked) {
            Ok(customer) => one(app, &records, session, typed, &CitizenQuery::Customer(customer), now).await,
            Err(_) => page(app, session, typed, Found::Nothing(&format!("{picked} is not a customer number."))),
        };
    }
    let typed = request.query("q").unwrap_or_default().trim();
    if typed.is_empty() {
        return page(app, session, typed, Found::Nothing(""));
    }
    match Search::parse(typed) {
        Ok(Search::One(query)) => one(app, &records, session, typed, &query, now).await,
        Ok(Search::Name(name)) => match records.named(tenant, &name).await {
            Ok(matches) if matches.customers.is_empty() => {
                page(app, session, typed, Found::Nothing("Nobody of yours has a name like this."))
            }
            Ok(matches) => page(app, session, typed, Found::Several(matches)),
            Err(error) => failed(app, session, &error),
        },
        Err(why) => page(app, session, typed, Found::Nothing(&why)),
    }
}

async fn one(
    app: &App,
    records: &CitizenRecords<'_>,
    session: &Session,
    typed: &str,
    query: &CitizenQuery,
    now: jiff::Timestamp,
) -> Response {
    match records.find(&session.member.tenant_id, query).await {
        Ok(Some(file)) => {
            let subject = format!("customer {}", file.profile.customer_id);
            crate::auth::audit(&app.chat.store, session, now, "viewed", &subject).await;
            let zone = crate::inbox::zone(app, session).await.unwrap_or(TimeZone::UTC);
            page(app, session, typed, Found::One(Box::new(view(file, &zone))))
        }
        Ok(None) => page(app, session, typed, Found::Nothing("Nobody of yours has this phone or contract number.")),
        Err(error) => failed(app, session, &error),
    }
}

/// What a search found.
enum Found<'a> {
    One(Box<CitizenView>),
    Several(NameMatches),
    /// Nobody, and why (empty before anything was asked).
    Nothing(&'a str),
}

#[derive(Debug, Serialize)]
struct NameMatch {
    name: String,
    customer_id: String,
    mobile: Option<String>,
}

fn failed(app: &App, session: &Session, error: &Error) -> Response {
    tracing::error!(error = avisa_runtime::redact::error_chain(error), "citizen view unavailable");
    app.pages.problem(503, session, "The citizen view is unavailable for a moment: try again.")
}

fn page(app: &App, session: &Session, typed: &str, found: Found<'_>) -> Response {
    let (mut citizen, mut matches, mut more, mut message) = (None, None, false, None);
    match found {
        Found::One(view) => citizen = Some(Value::from(Serde(view))),
        Found::Several(found) => {
            let listed: Vec<NameMatch> = found
                .customers
                .iter()
                .map(|p| NameMatch {
                    name: p.name.as_str().to_owned(),
                    customer_id: p.customer_id.to_string(),
                    mobile: p.mobile.as_ref().map(|m| m.as_str().to_owned()),
                })
                .collect();
            (matches, more) = (Some(Value::from(Serde(listed))), found.more);
        }
        Found::Nothing(why) => message = Some(why).filter(|why| !why.is_empty()),
    }
    let kinds: Vec<&str> = PriorityKind::ALL.iter().map(|k| k.as_str()).collect();
    let marks = session.member.may_open(Area::Outages);
    let values = context! { typed, citizen, matches, more, message, kinds, marks };
    app.pages.page(200, "citizen.html", Some(session), values)
}
