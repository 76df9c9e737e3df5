//! Filing and moving complaints: each step recorded, its deadline set (and staff's reminder
//! scheduled), the citizen told through the composer, and a corrected amount put on the account.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{Action, Complaint, ComplaintSettings, ComplaintState, ComplaintStep, StepResult, transition};
use crate::account::{AccountFact, Fact, InvoiceCorrection};
use crate::clock::Clock;
use crate::complaints::ports::ComplaintStore;
use crate::error::{Error, RejectionCode};
use crate::ids::{ContractId, EventId, InvoiceNumber, NoticeId, TenantId};
use crate::notice::{NoticeKind, NoticeSubject};
use crate::ports::{AccountStore, ComposeQueue, NoticeScheduler, Scheduled, ScheduledJob, TenantDirectory};
use crate::queues::{ComplaintDeadlineDue, ComposeJob, ComposeMessage};
use crate::staff_mail::{StaffEmail, StaffMail};
use crate::tenant::TenantSettings;
use crate::text::Text;

/// `POST /complaints`, or the chat line's "dispute a bill".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileComplaint {
    pub tenant_id: TenantId,
    pub contract_id: ContractId,
    pub invoice_number: InvoiceNumber,
    pub reason: Text<1000>,
}

/// What a deadline reminder did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminded {
    /// Staff should hear of it (the complaint is still at the step that is due).
    Due(Box<Complaint>),
    /// The complaint moved on since, or it is the citizen's move: nothing to say.
    NotDue,
}

/// The ports complaints need.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct ComplaintDesk<'a> {
    pub complaints: &'a dyn ComplaintStore,
    pub accounts: &'a dyn AccountStore,
    /// The notice of each step goes through the composer.
    pub compose: &'a dyn ComposeQueue,
    /// Staff's deadline reminders (one-time schedules on the compose queue).
    pub reminders: &'a dyn NoticeScheduler,
    pub tenants: &'a dyn TenantDirectory,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
}

fn refused(code: RejectionCode, detail: impl Into<String>) -> Error {
    Error::rejected(code, detail)
}

impl ComplaintDesk<'_> {
    async fn settings(&self, tenant_id: &TenantId) -> Result<TenantSettings, Error> {
        Ok(self.tenants.settings(tenant_id).await?.unwrap_or_else(|| self.defaults.clone()))
    }

    /// Files a complaint about an issued invoice of the contract, and acknowledges it.
    pub async fn file(&self, by: &str, via: &str, request: FileComplaint) -> Result<Complaint, Error> {
        self.file_at(by, via, request, self.clock.now()).await
    }

    /// As [`ComplaintDesk::file`], at `now` (the chat line tells the reference in the same step).
    pub async fn file_at(
        &self,
        by: &str,
        via: &str,
        request: FileComplaint,
        now: Timestamp,
    ) -> Result<Complaint, Error> {
        let FileComplaint { tenant_id, contract_id, invoice_number, reason } = request;
        let account =
            self.accounts.account(&tenant_id, &contract_id).await?.ok_or_else(|| {
                refused(RejectionCode::UnknownContract, format!("contract {contract_id} is not known"))
            })?;
        if account.invoice(&invoice_number).and_then(|i| i.issued.as_ref()).is_none() {
            return Err(refused(
                RejectionCode::InvalidField,
                format!("invoice {invoice_number} of contract {contract_id} has not been issued"),
            ));
        }
        let settings = self.settings(&tenant_id).await?;
        let reference = Complaint::derive_reference(&tenant_id, &invoice_number, reason.as_str(), now);
        let state = ComplaintState::Filed;
        let due = deadline(&settings.complaints, &state, now);
        let became = StepResult { state: state.clone(), deadline: due, corrected_amount: None };
        let complaint = Complaint {
            tenant_id: tenant_id.clone(),
            reference: reference.clone(),
            contract_id,
            invoice_number,
            reason,
            filed_via: via.to_owned(),
            deadline: due,
            state,
            filed_at: now,
            steps: vec![ComplaintStep {
                at: now,
                by: by.to_owned(),
                action: "file".into(),
                to: "filed".into(),
                notes: None,
                became: Some(became),
            }],
            corrected_amount: None,
            version: 0,
        };
        if !self.complaints.file(&complaint).await? {
            // Filed before (the same words, the same day): acknowledged then.
            return self.complaint(&tenant_id, &reference).await;
        }
        self.follow_up(&complaint, &settings).await?;
        Ok(complaint)
    }

    pub async fn complaint(&self, tenant_id: &TenantId, reference: &str) -> Result<Complaint, Error> {
        self.complaints
            .complaint(tenant_id, reference)
            .await?
            .ok_or_else(|| refused(RejectionCode::NotFound, format!("complaint {reference} is not known")))
    }

    /// Complaints in `state` (any, when `None`) filed at least `older_than` ago, oldest first.
    pub async fn list(
        &self,
        tenant_id: &TenantId,
        state: Option<&str>,
        older_than: SignedDuration,
    ) -> Result<Vec<Complaint>, Error> {
        let now = self.clock.now();
        let mut complaints: Vec<Complaint> = self
            .complaints
            .complaints(tenant_id)
            .await?
            .into_iter()
            .filter(|c| state.is_none_or(|s| c.state.name() == s) && now.duration_since(c.filed_at) >= older_than)
            .collect();
        complaints.sort_by_key(|c| c.filed_at);
        Ok(complaints)
    }

    /// Moves a complaint on; refused, with the reason, when the action does not apply now.
    pub async fn act(
        &self,
        by: &str,
        tenant_id: &TenantId,
        reference: &str,
        action: Action,
    ) -> Result<Complaint, Error> {
        let mut complaint = self.complaint(tenant_id, reference).await?;
        let next = transition(&complaint.state, &action)
            .map_err(|reason| refused(RejectionCode::InvalidTransition, reason))?;
        let now = self.clock.now();
        let settings = self.settings(tenant_id).await?;
        let notes = match &action {
            Action::RecordInspection { notes, .. } => notes.clone(),
            _ => None,
        };
        if let Some(amount) = corrected_by(&complaint.state, &action) {
            complaint.corrected_amount = Some(amount);
        }
        complaint.deadline = deadline(&settings.complaints, &next, now);
        let became = StepResult {
            state: next.clone(),
            deadline: complaint.deadline,
            corrected_amount: complaint.corrected_amount.clone(),
        };
        complaint.steps.push(ComplaintStep {
            at: now,
            by: by.to_owned(),
            action: action.name().into(),
            to: next.name().into(),
            notes,
            became: Some(became),
        });
        complaint.state = next;
        if !self.complaints.update(&complaint).await? {
            return Err(refused(
                RejectionCode::ConcurrentChange,
                format!("complaint {reference} changed meanwhile: read it again"),
            ));
        }
        complaint.version += 1;
        if corrected_by_step(&complaint) {
            self.correct_invoice(&complaint, now).await?;
        }
        self.follow_up(&complaint, &settings).await?;
        Ok(complaint)
    }

    /// A staff reminder fired: due when the complaint is still at that step and it is staff's.
    pub async fn remind(&self, due: &ComplaintDeadlineDue) -> Result<Reminded, Error> {
        reminded(self.complaints, due).await
    }

    /// The citizen's notice of the step just taken, and staff's reminder of the next.
    async fn follow_up(&self, complaint: &Complaint, settings: &TenantSettings) -> Result<(), Error> {
        let subject = NoticeSubject::Complaint { reference: complaint.reference.clone(), step: complaint.steps.len() };
        let cause = EventId::parse(&format!("complaint:{}:{}", complaint.reference, complaint.steps.len()))
            .map_err(|e| refused(RejectionCode::InvalidField, e.to_string()))?;
        let job = ComposeJob::new(complaint.tenant_id.clone(), complaint.contract_id.clone(), subject, cause);
        self.compose.enqueue(&job).await?;
        let Some(deadline) = complaint.deadline.filter(|_| complaint.state.staff_to_act()) else { return Ok(()) };
        let remind_at = deadline - SignedDuration::from_hours(24 * i64::from(settings.complaints.remind_days_before));
        let remind_at = remind_at.max(self.clock.now() + SignedDuration::from_mins(1));
        let zone = settings.time_zone.zone();
        let due = ComplaintDeadlineDue {
            tenant_id: complaint.tenant_id.clone(),
            reference: complaint.reference.clone(),
            version: complaint.version,
        };
        let job = ScheduledJob {
            // One per complaint: each step moves it.
            name: format!("complaint-{}-{}", complaint.tenant_id, complaint.reference),
            at: remind_at.to_zoned(zone).datetime().round(jiff::Unit::Second).unwrap_or_default(),
            time_zone: settings.time_zone.as_str().to_owned(),
            job: Scheduled::Compose(ComposeMessage::ComplaintDeadline(due)),
        };
        self.reminders.schedule(&job).await?;
        Ok(())
    }

    async fn correct_invoice(&self, complaint: &Complaint, now: Timestamp) -> Result<(), Error> {
        let Some(amount) = complaint.corrected_amount.clone() else { return Ok(()) };
        let fact = AccountFact {
            tenant_id: complaint.tenant_id.clone(),
            contract_id: complaint.contract_id.clone(),
            as_of: now,
            fact: Fact::InvoiceCorrected(InvoiceCorrection {
                number: complaint.invoice_number.clone(),
                amount,
                complaint: complaint.reference.clone(),
            }),
        };
        Ok(self.accounts.record_fact(&fact).await?)
    }
}

/// The amount an action settles on, if it corrects one.
fn corrected_by(state: &ComplaintState, action: &Action) -> Option<crate::money::Money> {
    match (state, action) {
        (ComplaintState::ConciliationProposed { corrected_amount, .. }, Action::AcceptConciliation)
        | (_, Action::Resolve { corrected_amount, .. } | Action::Reconsider { corrected_amount, .. }) => {
            corrected_amount.clone()
        }
        _ => None,
    }
}

/// Whether the step just taken settled a corrected amount (the account is updated then).
fn corrected_by_step(complaint: &Complaint) -> bool {
    complaint.corrected_amount.is_some()
        && matches!(
            complaint.steps.last().map(|s| s.action.as_str()),
            Some("accept_conciliation" | "resolve" | "reconsider")
        )
}

async fn reminded(complaints: &dyn ComplaintStore, due: &ComplaintDeadlineDue) -> Result<Reminded, Error> {
    let complaint = complaints
        .complaint(&due.tenant_id, &due.reference)
        .await?
        .ok_or_else(|| refused(RejectionCode::NotFound, format!("complaint {} is not known", due.reference)))?;
    if complaint.version != due.version || !complaint.state.staff_to_act() {
        return Ok(Reminded::NotDue);
    }
    Ok(Reminded::Due(Box::new(complaint)))
}

/// Staff's reminders of complaints about to be late (on the compose queue, by the composer).
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct ComplaintReminders<'a> {
    pub complaints: &'a dyn ComplaintStore,
    pub tenants: &'a dyn TenantDirectory,
    pub staff: StaffMail<'a>,
    pub defaults: &'a TenantSettings,
}

impl ComplaintReminders<'_> {
    /// `sent`, `already_sent`, `not_due` (it moved on), or `no_staff_address`.
    pub async fn remind(&self, due: &ComplaintDeadlineDue) -> Result<String, Error> {
        let Reminded::Due(complaint) = reminded(self.complaints, due).await? else { return Ok("not_due".to_owned()) };
        let settings = self.tenants.settings(&due.tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        let Some(to) = settings.complaints.staff_email.as_ref() else { return Ok("no_staff_address".to_owned()) };
        let key = format!("complaint/{}/v{}/reminder", complaint.reference, complaint.version);
        let mail = StaffEmail {
            tenant_id: &due.tenant_id,
            notice_id: NoticeId::derived(&due.tenant_id, &key, NoticeKind::ComplaintReminder),
            kind: NoticeKind::ComplaintReminder,
            to,
            values: serde_json::json!({
                "locale": settings.default_locale,
                "contract_id": complaint.contract_id,
                "complaint": super::template_values(&complaint, &settings.time_zone),
            }),
        };
        self.staff.send_once(mail, &settings).await
    }
}

fn deadline(settings: &ComplaintSettings, state: &ComplaintState, now: Timestamp) -> Option<Timestamp> {
    settings.days_for(state).map(|days| now + SignedDuration::from_hours(24 * i64::from(days)))
}
