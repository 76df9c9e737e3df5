//! The operator's side: plan, look at the dry run, confirm, reschedule, cancel, end; and the
//! subscriptions of citizens without a contract.

use jiff::Timestamp;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::plan::check_window;
use super::{
    AlertStage, AlertSubscription, Approval, Audience, AudienceMember, DryRun, Outage, OutageChange, OutagePlan,
    OutageStatus, PlannedAlert, Reschedule, is_priority_only,
};
use crate::clock::Clock;
use crate::contact::{Email, Locale, PhoneE164};
use crate::error::{Error, RejectionCode};
use crate::ids::{ContractId, OutageId, SubscriberId, TenantId};
use crate::outage::ports::OutageStore;
use crate::ports::{NoticeRenderer, NoticeScheduler, Scheduled, ScheduledJob, TenantDirectory};
use crate::queues::ComposeMessage;
use crate::sends::{SendStatus, SendStatuses, settings_for_sending};
use crate::tenant::{SharedRates, TenantSettings};
use crate::text::Text;

/// The ports the operator's side needs.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct OutageDesk<'a> {
    pub outages: &'a dyn OutageStore,
    pub audience: Audience<'a>,
    pub renderer: &'a dyn NoticeRenderer,
    /// One-time schedules that put alerts on the compose queue.
    pub scheduler: &'a dyn NoticeScheduler,
    pub tenants: &'a dyn TenantDirectory,
    /// The alerts' sends, and how far they have got.
    pub sends: &'a dyn SendStatuses,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
    /// The providers' quotas the tenants share: a send's time is estimated at what it will get.
    pub shared_rates: SharedRates,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub outage: Outage,
    /// `false` when the outage was already in the state asked for (a repeated request).
    pub changed: bool,
}

/// `POST /subscriptions`: a citizen without a contract asks for a supply point's alerts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    pub tenant_id: TenantId,
    /// The contract of the supply point (a building's shared meter).
    pub contract_id: ContractId,
    #[serde(default)]
    pub name: Option<Text<200>>,
    #[serde(default)]
    pub mobile: Option<PhoneE164>,
    #[serde(default)]
    pub email: Option<Email>,
    pub language: Locale,
}

fn unknown(tenant_id: &TenantId, outage_id: &OutageId) -> Error {
    Error::rejected(RejectionCode::UnknownOutage, format!("outage {outage_id} of tenant {tenant_id} is not known"))
}

fn not_now(outage: &Outage, what: &str) -> Error {
    Error::rejected(
        RejectionCode::InvalidTransition,
        format!("outage {} is {}: it cannot be {what}", outage.outage_id, outage.status.as_str()),
    )
}

impl OutageDesk<'_> {
    /// The tenant's settings, its send rates as far as the deployment's shared quotas allow (the
    /// desk only estimates with them; it never writes settings back).
    async fn settings(&self, tenant_id: &TenantId) -> Result<TenantSettings, Error> {
        Ok(settings_for_sending(self.tenants, self.defaults, self.shared_rates, tenant_id).await?)
    }

    pub async fn outage(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Outage, Error> {
        self.outages.outage(tenant_id, outage_id).await?.ok_or_else(|| unknown(tenant_id, outage_id))
    }

    /// The sends of the outage's alerts that fired, oldest first, each with its progress and its
    /// estimated end at the tenant's current rates.
    pub async fn sends(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Vec<SendStatus>, Error> {
        self.outage(tenant_id, outage_id).await?;
        let settings = self.settings(tenant_id).await?;
        let records = self.sends.sends(tenant_id, &format!("outage/{outage_id}/")).await?;
        let now = self.clock.now();
        Ok(records.iter().map(|record| SendStatus::of(record, &settings.rate_limits, now)).collect())
    }

    /// The tenant's outages, the latest start first, at most `limit`.
    pub async fn list(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Outage>, Error> {
        Ok(self.outages.list(tenant_id, limit).await?)
    }

    /// Records a planned outage (nothing is sent or scheduled) and returns it with its dry run.
    /// The same plan sent twice by the same operator at the same instant is recorded once.
    pub async fn plan(&self, by: &str, plan: OutagePlan) -> Result<(Outage, DryRun), Error> {
        let now = self.clock.now();
        plan.check(now)?;
        let settings = self.settings(&plan.tenant_id).await?;
        let outage = Outage {
            outage_id: derive_id(&plan, by, now),
            tenant_id: plan.tenant_id,
            kind: plan.kind,
            window: super::Window { start: plan.start, expected_end: plan.expected_end },
            area: plan.area,
            note: plan.note,
            status: OutageStatus::Planned,
            revision: 1,
            alerts: Vec::new(),
            announced: false,
            previous_window: None,
            time_zone: settings.time_zone.clone(),
            changes: vec![OutageChange { at: now, by: by.to_owned(), action: "planned".to_owned() }],
            approval: None,
            version: 0,
        };
        let outage = if self.outages.create(&outage).await? {
            outage
        } else {
            self.outage(&outage.tenant_id, &outage.outage_id).await?
        };
        let dry_run = self.dry_run_with(&outage, &settings).await?;
        Ok((outage, dry_run))
    }

    pub async fn dry_run(&self, tenant_id: &TenantId, outage_id: &OutageId) -> Result<(Outage, DryRun), Error> {
        let (outage, dry_run, _) = self.dry_run_and_audience(tenant_id, outage_id).await?;
        Ok((outage, dry_run))
    }

    /// The dry run and who it counted (for a page that also maps or lists them).
    pub async fn dry_run_and_audience(
        &self,
        tenant_id: &TenantId,
        outage_id: &OutageId,
    ) -> Result<(Outage, DryRun, Vec<AudienceMember>), Error> {
        let outage = self.outage(tenant_id, outage_id).await?;
        let settings = self.settings(tenant_id).await?;
        let members = self.audience.members(&outage).await?;
        let dry_run = self.dry_run_of(&outage, &members, &settings).await?;
        Ok((outage, dry_run, members))
    }

    async fn dry_run_with(&self, outage: &Outage, settings: &TenantSettings) -> Result<DryRun, Error> {
        let members = self.audience.members(outage).await?;
        self.dry_run_of(outage, &members, settings).await
    }

    async fn dry_run_of(
        &self,
        outage: &Outage,
        members: &[AudienceMember],
        settings: &TenantSettings,
    ) -> Result<DryRun, Error> {
        let alerts = match outage.status {
            OutageStatus::Planned | OutageStatus::AwaitingApproval => {
                outage.advance_alerts(&settings.outages, self.clock.now())
            }
            _ => outage.alerts.clone(),
        };
        // What everyone is sent (the cost): the priority supply points' earlier alerts aside.
        let alerts = alerts.iter().filter(|a| a.stage == AlertStage::Advance && !is_priority_only(&a.label)).count();
        self.audience.dry_run(outage, members, settings, self.renderer, alerts).await
    }

    /// Schedules the advance alerts; or, when the outage reaches more people than the tenant lets
    /// one planner alert, asks for a second planner's approval first. Confirming twice changes nothing.
    pub async fn confirm(&self, by: &str, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Changed, Error> {
        let mut outage = self.outage(tenant_id, outage_id).await?;
        match outage.status {
            OutageStatus::Confirmed | OutageStatus::AwaitingApproval => return Ok(Changed { outage, changed: false }),
            OutageStatus::Cancelled | OutageStatus::Ended => return Err(not_now(&outage, "confirmed")),
            OutageStatus::Planned => {}
        }
        let now = self.clock.now();
        check_window(outage.window, now)?;
        let settings = self.settings(tenant_id).await?;
        if let Some(threshold) = settings.outages.approval_threshold {
            let recipients = self.audience.members(&outage).await?.len();
            if recipients > threshold as usize {
                outage.status = OutageStatus::AwaitingApproval;
                outage.approval = Some(Approval {
                    requested_by: by.to_owned(),
                    requested_at: now,
                    recipients,
                    threshold,
                    approved_by: None,
                    approved_at: None,
                });
                return self.save(outage, by, "approval_requested").await;
            }
        }
        self.announce_ahead(&mut outage, &settings, now).await?;
        self.save(outage, by, "confirmed").await
    }

    /// A second planner approves an outage awaiting approval: its alerts are scheduled. The one
    /// who confirmed it cannot; approving twice changes nothing.
    pub async fn approve(&self, by: &str, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Changed, Error> {
        let mut outage = self.outage(tenant_id, outage_id).await?;
        let Some(approval) = outage.approval.clone() else { return Err(not_now(&outage, "approved")) };
        match outage.status {
            OutageStatus::AwaitingApproval => {}
            OutageStatus::Confirmed if approval.approved_by.is_some() => return Ok(Changed { outage, changed: false }),
            _ => return Err(not_now(&outage, "approved")),
        }
        if approval.requested_by == by {
            return Err(Error::rejected(
                RejectionCode::SecondPersonRequired,
                format!(
                    "{by} confirmed outage {outage_id}: it reaches {} recipients (more than {}), so another \
                     planner must approve it",
                    approval.recipients, approval.threshold
                ),
            ));
        }
        let now = self.clock.now();
        check_window(outage.window, now)?;
        let settings = self.settings(tenant_id).await?;
        self.announce_ahead(&mut outage, &settings, now).await?;
        outage.approval = Some(Approval { approved_by: Some(by.to_owned()), approved_at: Some(now), ..approval });
        self.save(outage, by, "approved").await
    }

    async fn announce_ahead(
        &self,
        outage: &mut Outage,
        settings: &TenantSettings,
        now: Timestamp,
    ) -> Result<(), Error> {
        outage.alerts = outage.advance_alerts(&settings.outages, now);
        self.schedule(outage).await?;
        outage.status = OutageStatus::Confirmed;
        Ok(())
    }

    /// Moves the window: the old alerts go, the new ones are scheduled, and whoever was told
    /// already gets a correction at once.
    pub async fn reschedule(
        &self,
        by: &str,
        tenant_id: &TenantId,
        outage_id: &OutageId,
        to: Reschedule,
    ) -> Result<Changed, Error> {
        let mut outage = self.outage(tenant_id, outage_id).await?;
        let window = super::Window { start: to.start, expected_end: to.expected_end };
        if matches!(outage.status, OutageStatus::Cancelled | OutageStatus::Ended) {
            return Err(not_now(&outage, "rescheduled"));
        }
        if outage.window == window {
            return Ok(Changed { outage, changed: false });
        }
        let now = self.clock.now();
        check_window(window, now)?;
        let settings = self.settings(tenant_id).await?;
        self.unschedule(&outage).await?;
        outage.previous_window = Some(outage.window);
        outage.window = window;
        outage.revision += 1;
        if outage.status == OutageStatus::Confirmed {
            let mut alerts = outage.advance_alerts(&settings.outages, now);
            if outage.announced {
                // The correction says it all; no second message at the same moment.
                alerts.retain(|a| !a.label.ends_with("now"));
                alerts.insert(0, outage.one_off(AlertStage::Correction, now));
            }
            outage.alerts = alerts;
            self.schedule(&outage).await?;
        }
        self.save(outage, by, "rescheduled").await
    }

    /// Removes the alerts; whoever was told already gets a cancellation at once.
    pub async fn cancel(&self, by: &str, tenant_id: &TenantId, outage_id: &OutageId) -> Result<Changed, Error> {
        self.close(by, tenant_id, outage_id, OutageStatus::Cancelled, AlertStage::Cancellation, true).await
    }

    /// The works are over: remaining alerts go, and (if asked) those told hear the water is back.
    pub async fn end(
        &self,
        by: &str,
        tenant_id: &TenantId,
        outage_id: &OutageId,
        notify_restored: bool,
    ) -> Result<Changed, Error> {
        self.close(by, tenant_id, outage_id, OutageStatus::Ended, AlertStage::Restored, notify_restored).await
    }

    async fn close(
        &self,
        by: &str,
        tenant_id: &TenantId,
        outage_id: &OutageId,
        to: OutageStatus,
        stage: AlertStage,
        notify: bool,
    ) -> Result<Changed, Error> {
        let mut outage = self.outage(tenant_id, outage_id).await?;
        if outage.status == to {
            return Ok(Changed { outage, changed: false });
        }
        let allowed = match to {
            OutageStatus::Cancelled => {
                matches!(
                    outage.status,
                    OutageStatus::Planned | OutageStatus::AwaitingApproval | OutageStatus::Confirmed
                )
            }
            _ => outage.status == OutageStatus::Confirmed,
        };
        if !allowed {
            return Err(not_now(&outage, if to == OutageStatus::Ended { "ended" } else { "cancelled" }));
        }
        self.unschedule(&outage).await?;
        outage.revision += 1;
        outage.status = to;
        outage.alerts = Vec::new();
        if notify && outage.announced {
            outage.alerts = vec![outage.one_off(stage, self.clock.now())];
            self.schedule(&outage).await?;
        }
        self.save(outage, by, to.as_str()).await
    }

    async fn schedule(&self, outage: &Outage) -> Result<(), Error> {
        for alert in &outage.alerts {
            self.scheduler.schedule(&scheduled(outage, alert)).await?;
        }
        Ok(())
    }

    /// Cancels this revision's alerts still pending (a fired one is already gone).
    async fn unschedule(&self, outage: &Outage) -> Result<(), Error> {
        for alert in &outage.alerts {
            self.scheduler.cancel(&alert.schedule_name).await?;
        }
        Ok(())
    }

    async fn save(&self, mut outage: Outage, by: &str, action: &str) -> Result<Changed, Error> {
        outage.changes.push(OutageChange { at: self.clock.now(), by: by.to_owned(), action: action.to_owned() });
        if !self.outages.save(&outage).await? {
            return Err(Error::rejected(
                RejectionCode::ConcurrentChange,
                format!("outage {} was changed by someone else meanwhile: read it again and retry", outage.outage_id),
            ));
        }
        outage.version += 1;
        Ok(Changed { outage, changed: true })
    }

    /// Subscribes a citizen to the alerts of a contract's supply point.
    pub async fn subscribe(&self, request: Subscribe) -> Result<AlertSubscription, Error> {
        if request.mobile.is_none() && request.email.is_none() {
            return Err(Error::rejected(
                RejectionCode::InvalidField,
                "give a mobile number or an email to be alerted on",
            ));
        }
        if self.audience.accounts.holder(&request.tenant_id, &request.contract_id).await?.is_none() {
            return Err(Error::rejected(
                RejectionCode::UnknownContract,
                format!(
                    "contract {} is not known: subscribe to the contract of the building's meter",
                    request.contract_id
                ),
            ));
        }
        let subscription = AlertSubscription {
            subscriber_id: AlertSubscription::derive_id(
                &request.tenant_id,
                &request.contract_id,
                request.mobile.as_ref(),
                request.email.as_ref(),
            ),
            tenant_id: request.tenant_id,
            contract_id: request.contract_id,
            name: request.name,
            mobile: request.mobile,
            email: request.email,
            language: request.language,
            subscribed_at: self.clock.now(),
        };
        self.audience.subscriptions.subscribe(&subscription).await?;
        Ok(subscription)
    }

    pub async fn unsubscribe(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        subscriber_id: &SubscriberId,
    ) -> Result<bool, Error> {
        Ok(self.audience.subscriptions.unsubscribe(tenant_id, contract_id, subscriber_id).await?)
    }
}

fn scheduled(outage: &Outage, alert: &PlannedAlert) -> ScheduledJob {
    let zone = outage.time_zone.zone();
    ScheduledJob {
        name: alert.schedule_name.clone(),
        // Scheduler's `at()` is whole seconds of local time.
        at: alert.at.to_zoned(zone).datetime().round(jiff::Unit::Second).unwrap_or_default(),
        time_zone: outage.time_zone.as_str().to_owned(),
        job: Scheduled::Compose(ComposeMessage::OutageAlert(outage.due(alert))),
    }
}

/// `o-` and the date, then a digest of who planned what when: the same request relayed twice in
/// the same millisecond (a retried call) gets the same id.
fn derive_id(plan: &OutagePlan, by: &str, now: Timestamp) -> OutageId {
    let digest = Sha256::new()
        .chain_update(plan.tenant_id.as_str())
        .chain_update([0])
        .chain_update(by)
        .chain_update([0])
        .chain_update(now.as_millisecond().to_le_bytes())
        .chain_update(format!("{:?}", plan.area))
        .chain_update(plan.start.to_string())
        .finalize();
    let day = now.strftime("%Y%m%d");
    OutageId::parse(&format!("o-{day}-{}", &hex::encode(digest)[..10])).expect("hex is a valid outage id")
}
