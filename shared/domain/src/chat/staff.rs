//! What staff do on the chat line: take, answer and resolve conversations; move incidents on and
//! confirm appointments, telling the citizen of each.

use serde_json::json;

use super::machine::{self, Billing, Event, Handover};
use super::records::{Appointment, AppointmentStatus, Incident, IncidentStatus, IncidentUpdate};
use super::{ChatLine, Conversation, StaffAction, refused};
use crate::contact::PhoneE164;
use crate::error::{Error, RejectionCode};
use crate::ids::TenantId;
use crate::text::Text;

impl ChatLine<'_> {
    /// Staff take, answer or resolve a conversation; refused when it is not in their hands.
    /// With an `idempotency_key`, a request repeated after it succeeded (a client's retry) sends
    /// nothing new.
    pub async fn staff(
        &self,
        tenant_id: &TenantId,
        phone: &PhoneE164,
        agent: &str,
        action: StaffAction<'_>,
        idempotency_key: Option<&str>,
    ) -> Result<Conversation, Error> {
        let mut conversation = self.existing(tenant_id, phone).await?;
        let cause = match idempotency_key {
            Some(key) => format!("staff/{agent}/key/{key}"),
            None => format!("staff/{agent}/v{}", conversation.version),
        };
        if self.resend_if_answered(&conversation, &cause).await?.is_some() {
            return Ok(conversation);
        }
        let (settings, chat) = self.settings(tenant_id).await?;
        let ctx = self.context(&chat, &settings, tenant_id, &cause, Billing::NotLoaded);
        let event = match action {
            StaffAction::Take => Event::AgentTakes { agent },
            StaffAction::Reply(text) => Event::AgentReplies { agent, text },
            StaffAction::Resolve => Event::AgentResolves { agent },
            StaffAction::Transfer(to) => Event::AgentTransfers { agent, to },
        };
        let step = machine::step(&conversation.state, &event, &ctx)
            .map_err(|not_now| refused(RejectionCode::InvalidTransition, not_now.0))?;
        match action {
            StaffAction::Take => conversation.agent = Text::parse(agent).ok(),
            StaffAction::Transfer(Handover::Colleague(colleague)) => conversation.agent = Text::parse(colleague).ok(),
            StaffAction::Transfer(Handover::Team(_)) => conversation.agent = None,
            StaffAction::Reply(_) | StaffAction::Resolve => {}
        }
        let follow_up = !conversation.in_window(ctx.now);
        self.apply(&mut conversation, step, &cause, &ctx, &settings, (agent, follow_up)).await?;
        Ok(conversation)
    }

    pub async fn waiting(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, Error> {
        Ok(self.conversations.waiting(tenant_id).await?)
    }

    /// The conversation with `phone`, or the refusal that says there is none.
    async fn existing(&self, tenant_id: &TenantId, phone: &PhoneE164) -> Result<Conversation, Error> {
        self.conversations
            .conversation(tenant_id, phone)
            .await?
            .ok_or_else(|| refused(RejectionCode::NotFound, "no conversation with this number"))
    }

    /// Leaves a note on a conversation for colleagues; nothing is sent to the citizen.
    pub async fn note(
        &self,
        tenant_id: &TenantId,
        phone: &PhoneE164,
        by: &str,
        text: Text<2000>,
    ) -> Result<Conversation, Error> {
        let mut conversation = self.existing(tenant_id, phone).await?;
        conversation.notes.push(super::StaffNote { at: self.clock.now(), by: by.to_owned(), text });
        if !self.conversations.save(&conversation).await? {
            return Err(refused(RejectionCode::ConcurrentChange, "the conversation changed meanwhile: note it again"));
        }
        conversation.version += 1;
        Ok(conversation)
    }

    /// Conversations an agent has taken and not resolved, most recently changed first.
    pub async fn with_agent(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, Error> {
        Ok(self.conversations.with_agent(tenant_id).await?)
    }

    pub async fn conversation(&self, tenant_id: &TenantId, phone: &PhoneE164) -> Result<Option<Conversation>, Error> {
        Ok(self.conversations.conversation(tenant_id, phone).await?)
    }

    /// Moves an incident on and tells whoever reported it.
    pub async fn update_incident(
        &self,
        tenant_id: &TenantId,
        reference: &str,
        by: &str,
        status: IncidentStatus,
        note: Option<Text<500>>,
    ) -> Result<Incident, Error> {
        let mut incident = self
            .filings
            .incidents
            .incident(tenant_id, reference)
            .await?
            .ok_or_else(|| refused(RejectionCode::NotFound, format!("incident {reference} is not known")))?;
        if incident.status == IncidentStatus::Closed {
            return Err(refused(RejectionCode::InvalidTransition, format!("incident {reference} is closed")));
        }
        let now = self.clock.now();
        incident.status = status;
        incident.updates.push(IncidentUpdate { at: now, by: by.to_owned(), status, note: note.clone() });
        if !self.filings.incidents.update(&incident).await? {
            return Err(refused(RejectionCode::ConcurrentChange, format!("incident {reference} changed meanwhile")));
        }
        incident.version += 1;
        let values = json!({ "reference": reference, "status": status.as_str(), "note": note });
        let cause = format!("incident/{reference}/{}", incident.updates.len());
        self.notify(tenant_id, &incident.reporter, "incident_status", values, &cause).await?;
        Ok(incident)
    }

    /// Confirms an appointment slot and tells the citizen.
    pub async fn confirm_appointment(
        &self,
        tenant_id: &TenantId,
        reference: &str,
        by: &str,
        slot: Text<200>,
    ) -> Result<Appointment, Error> {
        let mut appointment = self
            .filings
            .appointments
            .appointment(tenant_id, reference)
            .await?
            .ok_or_else(|| refused(RejectionCode::NotFound, format!("appointment {reference} is not known")))?;
        if appointment.status != AppointmentStatus::Requested {
            return Err(refused(
                RejectionCode::InvalidTransition,
                format!("appointment {reference} is confirmed already"),
            ));
        }
        appointment.status = AppointmentStatus::Confirmed { slot: slot.clone(), by: by.to_owned() };
        if !self.filings.appointments.update(&appointment).await? {
            return Err(refused(RejectionCode::ConcurrentChange, format!("appointment {reference} changed meanwhile")));
        }
        appointment.version += 1;
        let values = json!({ "reference": reference, "slot": slot });
        self.notify(
            tenant_id,
            &appointment.phone,
            "appointment_confirmed",
            values,
            &format!("appointment/{reference}"),
        )
        .await?;
        Ok(appointment)
    }
}
