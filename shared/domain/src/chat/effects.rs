//! What a step does besides replying: the records it files (incidents and their photos,
//! appointments, complaints, subscriptions, ratings), the conversation's own changes, its timers.

use jiff::SignedDuration;

use super::machine::{Context, Effect};
use super::records::{self, Appointment, AppointmentStatus, Incident, IncidentStatus, Photo, PhotoCopy};
use super::{ChatLine, Conversation, Rating};
use crate::complaints::FileComplaint;
use crate::error::{Error, RejectionCode};
use crate::outage::AlertSubscription;
use crate::ports::{Scheduled, ScheduledJob};
use crate::queues::{ChatJob, ChatTimerDue, NoReply, PhotoDue};
use crate::tenant::TenantSettings;
use crate::text::Text;

impl ChatLine<'_> {
    /// Files an incident, and has its photo copied at once: WhatsApp keeps it only for a while.
    async fn file_incident(
        &self,
        conversation: &Conversation,
        (category, description, location): (String, Text<1000>, records::IncidentLocation),
        media_id: Option<String>,
        ctx: &Context<'_>,
    ) -> Result<(), Error> {
        let (tenant_id, now) = (&conversation.tenant_id, ctx.now);
        let photo = |media_id: &String| Photo {
            media_id: media_id.clone(),
            copy: PhotoCopy::Fetching { attempts: 0, last_error: None },
        };
        let incident = Incident {
            tenant_id: tenant_id.clone(),
            reference: records::incident_reference(&ctx.reference),
            service_code: category,
            description,
            location,
            photos: media_id.iter().map(photo).collect(),
            media_ids: media_id.into_iter().collect(),
            status: IncidentStatus::Open,
            reporter: conversation.phone.clone(),
            locale: conversation.locale,
            requested_at: now,
            updates: Vec::new(),
            version: 0,
        };
        self.filings.incidents.file(&incident).await?;
        for photo in &incident.photos {
            let due = PhotoDue {
                tenant_id: tenant_id.clone(),
                reference: incident.reference.clone(),
                media_id: photo.media_id.clone(),
                received_at: now,
                attempt: 0,
            };
            self.jobs.send(&ChatJob::KeepPhoto(due)).await?;
        }
        Ok(())
    }

    pub(super) async fn carry_out(
        &self,
        conversation: &mut Conversation,
        effect: Effect,
        ctx: &Context<'_>,
        settings: &TenantSettings,
    ) -> Result<(), Error> {
        let (tenant_id, now) = (&conversation.tenant_id, ctx.now);
        match effect {
            Effect::FileIncident { category, description, location, media_id } => {
                self.file_incident(conversation, (category, description, location), media_id, ctx).await?;
            }
            Effect::RequestAppointment { service, preferred } => {
                let appointment = Appointment {
                    tenant_id: tenant_id.clone(),
                    reference: records::appointment_reference(&ctx.reference),
                    service,
                    preferred,
                    phone: conversation.phone.clone(),
                    locale: conversation.locale,
                    status: AppointmentStatus::Requested,
                    requested_at: now,
                    version: 0,
                };
                self.filings.appointments.request(&appointment).await?;
            }
            Effect::FileComplaint { contract_id, invoice_number, reason } => {
                let request = FileComplaint { tenant_id: tenant_id.clone(), contract_id, invoice_number, reason };
                self.complaint_desk().file_at("citizen", "chat", request, now).await?;
            }
            Effect::SubscribeAlerts { contract_id } => {
                let subscription = AlertSubscription {
                    subscriber_id: AlertSubscription::derive_id(
                        tenant_id,
                        &contract_id,
                        Some(&conversation.phone),
                        None,
                    ),
                    tenant_id: tenant_id.clone(),
                    contract_id,
                    name: conversation.name.as_ref().and_then(|n| Text::parse(n.as_str()).ok()),
                    mobile: Some(conversation.phone.clone()),
                    email: None,
                    language: conversation.locale,
                    subscribed_at: now,
                };
                self.filings.subscriptions.subscribe(&subscription).await?;
            }
            Effect::SetLanguage(locale) => conversation.locale = locale,
            Effect::SetOptOut(opted_out) => conversation.opted_out = opted_out,
            Effect::SetName(name) => conversation.name = Some(name),
            Effect::SetTeam(team) => conversation.team = Some(team),
            Effect::Rate { agent, asked_at, score } => {
                self.filings.ratings.rate(&Rating::of(conversation, agent, asked_at, score, now)).await?;
            }
            Effect::HandOff => {}
            Effect::StartTimer { asked_at, stage } => {
                let due =
                    ChatTimerDue { tenant_id: tenant_id.clone(), phone: conversation.phone.clone(), asked_at, stage };
                let minutes = match stage {
                    NoReply::Recontact | NoReply::Close => ctx.settings.no_reply_minutes,
                    NoReply::Nudge | NoReply::Quiet => ctx.settings.agent_silence_minutes,
                };
                let at = now.checked_add(SignedDuration::from_mins(i64::from(minutes))).map_err(|e| {
                    Error::rejected(RejectionCode::InvalidField, format!("a chat timer {minutes} minutes ahead: {e}"))
                })?;
                let local =
                    at.to_zoned(settings.time_zone.zone()).datetime().round(jiff::Unit::Second).unwrap_or_default();
                let job = ScheduledJob {
                    name: due.schedule_name(),
                    at: local,
                    time_zone: settings.time_zone.as_str().to_owned(),
                    job: Scheduled::Chat(ChatJob::ChatTimer(due)),
                };
                self.timers.schedule(&job).await?;
            }
            Effect::CancelTimers { asked_at, stages } => {
                for stage in stages {
                    let due = ChatTimerDue {
                        tenant_id: tenant_id.clone(),
                        phone: conversation.phone.clone(),
                        asked_at,
                        stage,
                    };
                    self.timers.cancel(&due.schedule_name()).await?;
                }
            }
        }
        Ok(())
    }
}
