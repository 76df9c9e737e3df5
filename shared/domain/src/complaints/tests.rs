use jiff::SignedDuration;

use super::*;
use crate::clock::Clock;
use crate::error::{Error, RejectionCode};
use crate::fakes::{self, Fakes};
use crate::ids::{ContractId, InvoiceNumber};
use crate::money::{Amount, Currency};
use crate::notice::NoticeSubject;
use crate::ports::{AccountStore, Scheduled};
use crate::queues::{ComplaintDeadlineDue, ComposeMessage};

fn euros(minor: i64) -> Money {
    Money { amount: Amount::from_minor(minor), currency: Currency::parse("EUR").unwrap() }
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::parse(s).unwrap()
}

fn request() -> FileComplaint {
    FileComplaint {
        tenant_id: fakes::tenant(),
        contract_id: fakes::contract(),
        invoice_number: fakes::invoice_number(),
        reason: text("The consumption is three times the usual; I think there is a leak"),
    }
}

fn code(error: &Error) -> RejectionCode {
    match error {
        Error::Rejected(r) => r.code,
        other => panic!("{other:?}"),
    }
}

/// Every action, by name, with the values it needs.
fn action(name: &str) -> Action {
    match name {
        "schedule_inspection" => Action::ScheduleInspection { at: text("2026-11-26 10:00") },
        "record_inspection" => Action::RecordInspection { finding: Finding::LeakFound, notes: None },
        "propose_conciliation" => Action::ProposeConciliation {
            proposal: text("We refund the leaked water"),
            corrected_amount: Some(euros(2410)),
        },
        "accept_conciliation" => Action::AcceptConciliation,
        "reject_conciliation" => Action::RejectConciliation,
        "resolve" => Action::Resolve { outcome: Outcome::PartlyUpheld, corrected_amount: Some(euros(3000)) },
        "request_reconsideration" => Action::RequestReconsideration,
        "reconsider" => Action::Reconsider { outcome: Outcome::Rejected, corrected_amount: None },
        "appeal" => Action::Appeal,
        _ => Action::Close { how: text("regulator upheld the resolution") },
    }
}

const ACTIONS: [&str; 10] = [
    "schedule_inspection",
    "record_inspection",
    "propose_conciliation",
    "accept_conciliation",
    "reject_conciliation",
    "resolve",
    "request_reconsideration",
    "reconsider",
    "appeal",
    "close",
];

fn states() -> Vec<ComplaintState> {
    use ComplaintState as S;
    vec![
        S::Filed,
        S::InspectionScheduled { at: text("2026-11-26 10:00") },
        S::Inspected { finding: Finding::NoLeak },
        S::ConciliationProposed { proposal: text("x"), corrected_amount: None },
        S::ConciliationRejected,
        S::Resolved { outcome: Outcome::Rejected, corrected_amount: None },
        S::ReconsiderationRequested,
        S::Reconsidered { outcome: Outcome::Rejected, corrected_amount: None },
        S::Appealed,
        S::Closed { how: text("conciliated") },
    ]
}

#[test]
fn every_transition_is_allowed_or_refused_with_the_reason() {
    let allowed: &[(&str, &str, &str)] = &[
        ("filed", "schedule_inspection", "inspection_scheduled"),
        ("inspection_scheduled", "schedule_inspection", "inspection_scheduled"),
        ("inspection_scheduled", "record_inspection", "inspected"),
        ("inspected", "propose_conciliation", "conciliation_proposed"),
        ("conciliation_proposed", "accept_conciliation", "closed"),
        ("conciliation_proposed", "reject_conciliation", "conciliation_rejected"),
        ("conciliation_rejected", "resolve", "resolved"),
        ("resolved", "request_reconsideration", "reconsideration_requested"),
        ("resolved", "appeal", "appealed"),
        ("resolved", "close", "closed"),
        ("reconsideration_requested", "reconsider", "reconsidered"),
        ("reconsidered", "appeal", "appealed"),
        ("reconsidered", "close", "closed"),
        ("appealed", "close", "closed"),
    ];
    let mut checked = 0;
    for state in states() {
        for name in ACTIONS {
            let expected = allowed.iter().find(|(from, act, _)| *from == state.name() && *act == name);
            match (transition(&state, &action(name)), expected) {
                (Ok(next), Some((_, _, to))) => assert_eq!(next.name(), *to, "{} + {name}", state.name()),
                (Err(reason), None) => {
                    assert!(reason.contains(state.name()) && reason.contains(name), "{reason}");
                }
                (got, expected) => panic!("{} + {name}: got {got:?}, expected {expected:?}", state.name()),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 100, "every state with every action");
}

#[test]
fn an_upheld_resolution_must_say_the_amount_and_a_rejected_one_must_not() {
    let from = ComplaintState::ConciliationRejected;
    let upheld = Action::Resolve { outcome: Outcome::Upheld, corrected_amount: None };
    assert!(transition(&from, &upheld).unwrap_err().contains("corrected_amount"));
    let rejected = Action::Resolve { outcome: Outcome::Rejected, corrected_amount: Some(euros(1)) };
    assert!(transition(&from, &rejected).unwrap_err().contains("corrects no amount"));
}

#[test]
fn a_state_offers_exactly_the_actions_its_transition_accepts() {
    for state in states() {
        let accepted: Vec<&str> =
            ACTIONS.into_iter().filter(|name| transition(&state, &action(name)).is_ok()).collect();
        let mut offered = state.actions().to_vec();
        offered.sort_by_key(|name| ACTIONS.iter().position(|a| a == name));
        assert_eq!(offered, accepted, "{}", state.name());
    }
}

async fn filed(f: &Fakes) -> Complaint {
    f.complaint_desk().file("chat", "chat", request()).await.unwrap()
}

#[tokio::test]
async fn filing_acknowledges_with_a_reference_and_schedules_staffs_reminder() {
    let f = Fakes::with_invoice(|_| {}).await;
    let complaint = filed(&f).await;
    assert!(complaint.reference.starts_with("CLM-2611-"), "{}", complaint.reference);
    assert_eq!(complaint.deadline, Some(f.clock.now() + SignedDuration::from_hours(24 * 10)));
    let jobs = f.compose.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].subject, NoticeSubject::Complaint { reference: complaint.reference.clone(), step: 1 });
    let reminders = f.scheduler.scheduled();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].at.to_string(), "2026-11-28T10:00:00", "two days before the 10-day deadline, Madrid time");
    assert!(
        matches!(&reminders[0].job, Scheduled::Compose(ComposeMessage::ComplaintDeadline(complaint_deadline)) if complaint_deadline.version == 0)
    );
    // filed again (a double tap): the same complaint, acknowledged once
    let again = filed(&f).await;
    assert_eq!(again.reference, complaint.reference);
    assert_eq!(f.compose.jobs().len(), 1);
}

#[tokio::test]
async fn a_complaint_about_an_unknown_contract_or_unissued_invoice_is_refused() {
    let f = Fakes::with_invoice(|_| {}).await;
    let desk = f.complaint_desk();
    let unknown = FileComplaint { contract_id: ContractId::parse("CT-9").unwrap(), ..request() };
    assert_eq!(code(&desk.file("op", "operator", unknown).await.unwrap_err()), RejectionCode::UnknownContract);
    let unissued = FileComplaint { invoice_number: InvoiceNumber::parse("F-0").unwrap(), ..request() };
    assert_eq!(code(&desk.file("op", "operator", unissued).await.unwrap_err()), RejectionCode::InvalidField);
}

#[tokio::test]
async fn every_step_is_recorded_with_who_and_tells_the_citizen_and_an_upheld_amount_corrects_the_invoice() {
    let f = Fakes::with_invoice(|_| {}).await;
    let desk = f.complaint_desk();
    let complaint = filed(&f).await;
    let steps = ["schedule_inspection", "record_inspection", "propose_conciliation", "reject_conciliation", "resolve"];
    let mut last = complaint.clone();
    for name in steps {
        last = desk.act("anna", &fakes::tenant(), &complaint.reference, action(name)).await.unwrap();
    }
    assert_eq!(last.state.name(), "resolved");
    assert_eq!(last.steps.len(), 6);
    assert!(last.steps[1..].iter().all(|s| s.by == "anna"));
    assert_eq!(f.compose.jobs().len(), 6, "a notice per step");
    // the resolution corrected the invoice: the account now asks for 30.00
    let account = f.accounts.account(&fakes::tenant(), &fakes::contract()).await.unwrap().unwrap();
    let invoice = account.invoice(&fakes::invoice_number()).unwrap();
    assert_eq!(invoice.amount_due(), Some(euros(3000)));
    assert_eq!(account.summary().unpaid_totals, vec![euros(3000)]);
    // an illegal move is refused with the reason, and nothing changes
    let error =
        desk.act("anna", &fakes::tenant(), &complaint.reference, action("record_inspection")).await.unwrap_err();
    assert_eq!(code(&error), RejectionCode::InvalidTransition);
    assert!(error.to_string().contains("resolved"), "{error}");
    assert_eq!(f.compose.jobs().len(), 6);
}

#[tokio::test]
async fn a_steps_notice_composed_after_the_next_step_tells_that_steps_news() {
    // GIVEN two steps taken before the composer got to the first one's notice
    let f = Fakes::with_invoice(|_| {}).await;
    let desk = f.complaint_desk();
    let complaint = filed(&f).await;
    for name in ["schedule_inspection", "record_inspection"] {
        desk.act("anna", &fakes::tenant(), &complaint.reference, action(name)).await.unwrap();
    }
    let now = desk.complaint(&fakes::tenant(), &complaint.reference).await.unwrap();
    // WHEN each step's notice reads the complaint THEN it reads it as that step left it
    let zone = &f.defaults.time_zone;
    let scheduled = template_values(&now.as_of_step(2), zone);
    assert_eq!(
        (scheduled["step"].as_str(), scheduled["inspection_at"].as_str()),
        (Some("inspection_scheduled"), Some("2026-11-26 10:00"))
    );
    let inspected = template_values(&now.as_of_step(3), zone);
    assert_eq!((inspected["step"].as_str(), inspected["finding"].as_str()), (Some("inspected"), Some("leak_found")));
    assert_eq!(now.as_of_step(1).state, ComplaintState::Filed);
}

#[tokio::test]
async fn an_accepted_conciliation_closes_it_with_the_proposed_amount() {
    let f = Fakes::with_invoice(|_| {}).await;
    let desk = f.complaint_desk();
    let reference = filed(&f).await.reference;
    for name in ["schedule_inspection", "record_inspection", "propose_conciliation", "accept_conciliation"] {
        desk.act("anna", &fakes::tenant(), &reference, action(name)).await.unwrap();
    }
    let closed = desk.complaint(&fakes::tenant(), &reference).await.unwrap();
    assert_eq!(closed.state.name(), "closed");
    assert_eq!(closed.corrected_amount, Some(euros(2410)));
    let account = f.accounts.account(&fakes::tenant(), &fakes::contract()).await.unwrap().unwrap();
    assert_eq!(account.invoice(&fakes::invoice_number()).unwrap().amount_due(), Some(euros(2410)));
}

#[tokio::test]
async fn a_reminder_is_due_only_while_the_complaint_waits_for_staff_at_that_step() {
    let f = Fakes::with_invoice(|_| {}).await;
    let desk = f.complaint_desk();
    let complaint = filed(&f).await;
    let due = ComplaintDeadlineDue { tenant_id: fakes::tenant(), reference: complaint.reference.clone(), version: 0 };
    assert!(matches!(desk.remind(&due).await.unwrap(), Reminded::Due(_)));
    desk.act("anna", &fakes::tenant(), &complaint.reference, action("schedule_inspection")).await.unwrap();
    assert_eq!(desk.remind(&due).await.unwrap(), Reminded::NotDue, "it moved on");
}

#[tokio::test]
async fn staff_are_emailed_once_when_a_step_is_about_to_be_late() {
    use crate::ports::TenantDirectory;
    let f = Fakes::with_invoice(|_| {}).await;
    let mut settings = fakes::default_settings();
    settings.complaints.staff_email = Some(Email::parse("reclamacions@aigues-reus.cat").unwrap());
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    let complaint = filed(&f).await;
    let reminders = f.complaint_reminders();
    let due = ComplaintDeadlineDue { tenant_id: fakes::tenant(), reference: complaint.reference.clone(), version: 0 };
    assert_eq!(reminders.remind(&due).await.unwrap(), "sent");
    assert_eq!(reminders.remind(&due).await.unwrap(), "already_sent");
    assert_eq!(f.email.sent().len(), 1);
    assert!(f.email.sent()[0].0.contains("reclamacions"));
}

#[tokio::test]
async fn complaints_are_listed_by_state_and_age() {
    let f = Fakes::with_invoice(|_| {}).await;
    let desk = f.complaint_desk();
    filed(&f).await;
    f.clock.advance(SignedDuration::from_hours(24 * 5));
    let young = desk.file("op", "operator", FileComplaint { reason: text("Another"), ..request() }).await.unwrap();
    desk.act("op", &fakes::tenant(), &young.reference, action("schedule_inspection")).await.unwrap();
    let week = SignedDuration::from_hours(24 * 3);
    assert_eq!(desk.list(&fakes::tenant(), None, SignedDuration::ZERO).await.unwrap().len(), 2);
    assert_eq!(desk.list(&fakes::tenant(), Some("filed"), SignedDuration::ZERO).await.unwrap().len(), 1);
    assert_eq!(desk.list(&fakes::tenant(), None, week).await.unwrap().len(), 1, "only the older one");
}
