//! When an alert's schedule fires: every citizen the outage reaches gets the alert through the
//! composer (and so the dispatcher's exactly-once), and the call centre gets a briefing.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};
use serde_json::json;

use super::audience::{CONCURRENCY, template_values};
use super::{Audience, AudienceMember, Outage, OutageArea, OutageStatus, PriorityContract, is_priority_only};
use crate::applies::{Applies, applies_or_return};
use crate::channel::Channel;
use crate::compose::{Compose, Composed};
use crate::error::{Error, RejectionCode};
use crate::ids::{EventId, NoticeId};
use crate::notice::{AlertStage, NoticeKind, NoticeSubject};
use crate::outage::ports::OutageStore;
use crate::ports::{Claims, EmailSender, RejectedMessage, RejectionLog};
use crate::queues::{ComposeJob, OutageAlertDue};
use crate::staff_mail::{StaffEmail, StaffMail};
use crate::tenant::TenantSettings;

/// The ports firing an alert needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct OutageAlerts<'a> {
    pub compose: Compose<'a>,
    pub audience: Audience<'a>,
    pub outages: &'a dyn OutageStore,
    pub claims: &'a dyn Claims,
    pub email: &'a dyn EmailSender,
    /// Where a citizen's alert that cannot be written is recorded, with why.
    pub rejections: &'a dyn RejectionLog,
}

/// What one firing did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertsFired {
    pub recipients: usize,
    pub by_channel: BTreeMap<Channel, usize>,
    /// Reached by no channel (no consent, no contact, every address suppressed).
    pub unreachable: usize,
    /// Whose alert could not be written (recorded with the reason among the rejections).
    pub failed: usize,
    /// `sent`, `already_sent`, `no_call_centre_address` or `refused: …`.
    pub briefing: String,
}

/// Why an alert no longer applies, if it does not: the outage moved on since it was scheduled.
pub(crate) fn stale(outage: &Outage, revision: u32, stage: AlertStage) -> Option<String> {
    if outage.revision != revision {
        return Some(format!(
            "alert of revision {revision}; outage {} is at revision {}",
            outage.outage_id, outage.revision
        ));
    }
    let expected = match stage {
        AlertStage::Advance | AlertStage::Correction => OutageStatus::Confirmed,
        AlertStage::Cancellation => OutageStatus::Cancelled,
        AlertStage::Restored => OutageStatus::Ended,
    };
    (outage.status != expected)
        .then(|| format!("a {} alert, but outage {} is {}", stage.as_str(), outage.outage_id, outage.status.as_str()))
}

impl OutageAlerts<'_> {
    /// Composes the alert for everyone the outage reaches, then briefs the call centre. Firing
    /// twice composes the same notices (their ids come from the alert), so nobody is told twice.
    pub async fn fire(&self, due: &OutageAlertDue) -> Result<Applies<AlertsFired>, Error> {
        // The label comes off the queue: one that cannot be part of an id refuses the alert, with why.
        let cause = EventId::parse(&due.key().replace('/', ":")).map_err(|e| {
            Error::rejected(RejectionCode::InvalidField, format!("outage alert label {:?}: {e}", due.label))
        })?;
        let outage = applies_or_return!(self.announce(due).await?);
        let mut members = self.audience.members(&outage).await?;
        if is_priority_only(&due.label) {
            members.retain(|m| m.priority().is_some());
        }
        let jobs: Vec<ComposeJob> = members.iter().map(|member| alert_job(&outage, due, member, &cause)).collect();
        let compose = self.compose;
        // Each citizen's alert stands alone: one that fails never holds back the others.
        let composed: Vec<(ComposeJob, Result<Composed, Error>)> = stream::iter(jobs)
            .map(|job| async move {
                let outcome = compose.handle(&job).await;
                (job, outcome)
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let mut by_channel = BTreeMap::new();
        let (mut unreachable, mut failed, mut retry) = (0, 0, None);
        for (job, outcome) in composed {
            let channels = match outcome {
                Ok(Composed::New { channels } | Composed::AlreadyComposed { channels }) => channels,
                Ok(Composed::NotApplicable { .. }) => Vec::new(),
                // The others are written: the retry of this firing finds them done.
                Err(error) if error.is_retryable() => {
                    retry.get_or_insert(error);
                    continue;
                }
                Err(error) => {
                    failed += 1;
                    self.record_failure(&job, due, error).await?;
                    continue;
                }
            };
            if channels.is_empty() {
                unreachable += 1;
            }
            for channel in channels {
                *by_channel.entry(channel).or_insert(0) += 1;
            }
        }
        if let Some(error) = retry {
            return Err(error);
        }
        let mut fired =
            AlertsFired { recipients: members.len(), by_channel, unreachable, failed, briefing: String::new() };
        fired.briefing = self.brief(&outage, due, &fired, &PriorityContract::of(&members)).await?;
        Ok(Applies::Yes(fired))
    }

    /// The outage, once it is recorded as announced (before anyone is told, so that an operator
    /// who cancels meanwhile knows to send a cancellation); or why the alert no longer applies.
    async fn announce(&self, due: &OutageAlertDue) -> Result<Applies<Outage>, Error> {
        for _ in 0..3 {
            let mut outage = self.outages.outage(&due.tenant_id, &due.outage_id).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::UnknownOutage, format!("outage {} is not known", due.outage_id))
            })?;
            if let Some(reason) = stale(&outage, due.revision, due.stage) {
                return Ok(Applies::No(reason));
            }
            if due.stage != AlertStage::Advance || outage.announced {
                return Ok(Applies::Yes(outage));
            }
            outage.announced = true;
            if self.outages.save(&outage).await? {
                outage.version += 1;
                return Ok(Applies::Yes(outage));
            }
        }
        Err(Error::InProgress { key: due.key() })
    }

    async fn settings(&self, outage: &Outage) -> Result<TenantSettings, Error> {
        let stored = self.compose.tenants.settings(&outage.tenant_id).await?;
        Ok(stored.unwrap_or_else(|| self.compose.defaults.clone()))
    }

    /// Emails the call centre what went out, once per alert.
    async fn brief(
        &self,
        outage: &Outage,
        due: &OutageAlertDue,
        fired: &AlertsFired,
        priority: &[PriorityContract],
    ) -> Result<String, Error> {
        let settings = self.settings(outage).await?;
        let Some(to) = settings.outages.call_centre_email.as_ref() else {
            return Ok("no_call_centre_address".to_owned());
        };
        let locale = settings.default_locale;
        let mut values = template_values(outage, due.stage, locale)?;
        values["alert"] = json!(due.label);
        values["notified"] = json!({
            "recipients": fired.recipients,
            "sms": fired.by_channel.get(&Channel::Sms).copied().unwrap_or(0),
            "email": fired.by_channel.get(&Channel::Email).copied().unwrap_or(0),
            "unreachable": fired.unreachable,
            "failed": fired.failed,
        });
        // Who the call centre phones first: the hospitals and households the cut reaches.
        values["priority"] = json!(priority);
        values["priority_only"] = json!(is_priority_only(&due.label));
        values["area"] = match &outage.area {
            OutageArea::NetworkSectors(sectors) => json!({ "sectors": sectors, "polygon": false }),
            OutageArea::Polygon(_) => json!({ "sectors": [], "polygon": true }),
        };
        let mail = StaffEmail {
            tenant_id: &outage.tenant_id,
            notice_id: NoticeId::derived(
                &outage.tenant_id,
                &format!("{}/briefing", due.key()),
                NoticeKind::OutageBriefing,
            ),
            kind: NoticeKind::OutageBriefing,
            to,
            values,
        };
        self.staff_mail().send_once(mail, &settings).await
    }

    /// Records why one citizen's alert could not be written, against that citizen's notice.
    async fn record_failure(&self, job: &ComposeJob, due: &OutageAlertDue, error: Error) -> Result<(), Error> {
        let rejection = match error {
            Error::Rejected(rejection) => rejection,
            other => crate::Rejection::new(RejectionCode::RenderFailed, other.to_string()),
        };
        let rejected = RejectedMessage {
            body: rejection.code.redrivable().then(|| serde_json::to_string(job).unwrap_or_default()),
            redriven_at: None,
            source: "outage-alert".to_owned(),
            message_id: job.notice_id.to_string(),
            tenant_id: Some(job.tenant_id.to_string()),
            event_id: Some(format!("{}/{}", due.key(), job.contract_id)),
            rejection,
            at: self.compose.clock.now(),
        };
        Ok(self.rejections.record(&rejected).await?)
    }

    fn staff_mail(&self) -> StaffMail<'_> {
        StaffMail { claims: self.claims, email: self.email, renderer: self.compose.renderer, clock: self.compose.clock }
    }
}

fn alert_job(outage: &Outage, due: &OutageAlertDue, member: &AudienceMember, cause: &EventId) -> ComposeJob {
    let subject = NoticeSubject::OutageAlert {
        outage_id: outage.outage_id.clone(),
        revision: due.revision,
        stage: due.stage,
        label: due.label.clone(),
        subscriber: member.subscriber.as_ref().map(|s| s.subscriber_id.clone()),
    };
    ComposeJob::new(outage.tenant_id.clone(), member.contract_id.clone(), subject, cause.clone())
}
