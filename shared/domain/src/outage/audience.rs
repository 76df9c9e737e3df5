//! Who an outage reaches, how each of them would be told, and the dry run that shows it.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::{Value, json};

use super::{AlertSubscription, Outage, OutageArea};
use crate::account::ContractHolder;
use crate::billing::PriorityKind;
use crate::channel::Channel;
use crate::channels::Chooser;
use crate::compose::{Fit, Prefetched, render_fitting};
use crate::contact::Locale;
use crate::error::Error;
use crate::ids::{ContractId, TenantId};
use crate::money::Money;
use crate::notice::{AlertStage, NoticeKind};
use crate::outage::ports::{AlertSubscriptions, NetworkIndex};
use crate::ports::{AccountStore, NoticeRenderer, Suppressions, TemplateKey};
use crate::tenant::TenantSettings;

/// How many index queries or profile reads run at once.
const CONCURRENCY: usize = 16;
/// Members whose customers and addresses a dry run reads together (a batch read takes 100 keys).
const READ_TOGETHER: usize = 100;

/// One person an outage reaches: a contract's holder, or a subscriber at its supply point.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceMember {
    pub contract_id: ContractId,
    /// The contract's holder and supply point, as the network index has them.
    pub holder: ContractHolder,
    pub subscriber: Option<AlertSubscription>,
}

impl AudienceMember {
    /// Why this member is alerted first: the supply point's priority, told to its holder (a
    /// subscriber behind a hospital's meter is not the hospital).
    pub fn priority(&self) -> Option<PriorityKind> {
        self.subscriber.is_none().then(|| self.holder.priority()).flatten()
    }
}

/// A priority supply point an outage reaches, as the dry run and the call centre's briefing list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PriorityContract {
    pub contract_id: ContractId,
    pub kind: PriorityKind,
    pub address: String,
}

impl PriorityContract {
    /// The members' priority contracts, hospitals first, then by contract.
    pub fn of(members: &[AudienceMember]) -> Vec<Self> {
        Self::listed(members.iter().filter(|m| m.subscriber.is_none()).map(|m| &m.holder))
    }

    /// The holders' priority contracts, hospitals first, then by contract.
    pub fn listed<'h>(holders: impl Iterator<Item = &'h ContractHolder>) -> Vec<Self> {
        let mut listed: Vec<Self> = holders
            .filter_map(|h| {
                h.priority().map(|kind| Self {
                    contract_id: h.contract_id.clone(),
                    kind,
                    address: h.supply_point.address.as_str().to_owned(),
                })
            })
            .collect();
        listed.sort_by(|a, b| (a.kind, &a.contract_id).cmp(&(b.kind, &b.contract_id)));
        listed
    }
}

/// The ports that find an outage's audience.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Audience<'a> {
    pub index: &'a dyn NetworkIndex,
    pub subscriptions: &'a dyn AlertSubscriptions,
    pub accounts: &'a dyn AccountStore,
    pub suppressions: &'a dyn Suppressions,
}

/// How one member would be told.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reach {
    channel: Option<Channel>,
    locale: Locale,
    has_mobile: bool,
    consents: bool,
}

/// What confirming would do: who is reached on which channel, who is not and why, what the SMS
/// says in each language, and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRun {
    /// Everyone the outage reaches: contract holders and subscribers.
    pub recipients: usize,
    pub contracts: usize,
    pub subscribers: usize,
    pub by_channel: BTreeMap<Channel, usize>,
    /// No channel at all (no consent, no contact, or every address suppressed).
    pub unreachable: usize,
    pub without_mobile: usize,
    pub without_consent: usize,
    /// The advance SMS in each language it goes out in.
    pub sms: Vec<SmsPreview>,
    /// Hospitals, care homes, medically dependent households… reached: listed first, alerted
    /// earlier (the tenant's `outages.priority_alert_hours_before`).
    pub priority: Vec<PriorityContract>,
    /// More recipients than the tenant's `outages.approval_threshold`: a second planner approves
    /// before anything is scheduled.
    pub needs_approval: bool,
    /// SMS parts per alert time (what SMS providers bill).
    pub sms_parts_per_alert: usize,
    pub alerts_planned: usize,
    /// Parts × alert times × the tenant's price per part; `None` when the tenant set no price.
    pub estimated_cost: Option<Money>,
    /// How long each alert takes to send at the tenant's current rates (its slowest channel);
    /// `None` when a channel it needs is paused.
    pub send_seconds_per_alert: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsPreview {
    pub locale: Locale,
    /// Who would be texted in this language.
    pub recipients: usize,
    pub text: String,
    pub parts: usize,
    /// Why the alert does not fit the tenant's SMS in this language: its readers are counted on
    /// their next channel (email), or as unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub does_not_fit: Option<String>,
}

impl Audience<'_> {
    /// Everyone the outage reaches, contract by contract, found through the sector or grid index.
    pub async fn members(&self, outage: &Outage) -> Result<Vec<AudienceMember>, Error> {
        let holders = self.holders(outage).await?;
        self.members_of(&outage.tenant_id, holders).await
    }

    /// The contracts the outage reaches, once each, in contract order: index queries only.
    pub async fn holders(&self, outage: &Outage) -> Result<Vec<ContractHolder>, Error> {
        let tenant_id = &outage.tenant_id;
        let holders: Vec<ContractHolder> = match &outage.area {
            OutageArea::NetworkSectors(sectors) => self.index.contracts_in_sectors(tenant_id, sectors).await?,
            OutageArea::Polygon(polygon) => {
                let cells = polygon
                    .cells()
                    .map_err(|reason| Error::rejected(crate::error::RejectionCode::InvalidField, reason))?;
                let points = self.index.supply_points_in_cells(tenant_id, &cells).await?;
                points
                    .into_iter()
                    .filter(|h| h.supply_point.coordinates.is_some_and(|at| polygon.contains(at)))
                    .collect()
            }
        };
        // One per contract, in contract order, however many index entries name it.
        let holders: BTreeMap<ContractId, ContractHolder> =
            holders.into_iter().map(|h| (h.contract_id.clone(), h)).collect();
        Ok(holders.into_values().collect())
    }

    /// The holders of these contracts, each followed by the subscribers at its supply point.
    pub async fn members_of(
        &self,
        tenant_id: &TenantId,
        holders: Vec<ContractHolder>,
    ) -> Result<Vec<AudienceMember>, Error> {
        let contracts: Vec<ContractId> = holders.iter().map(|h| h.contract_id.clone()).collect();
        // The futures made first: a stream mapping borrowed ids is not `Send` for every lifetime.
        let reading: Vec<_> = contracts
            .chunks(READ_TOGETHER)
            .map(|contracts| self.subscriptions.subscribers_of(tenant_id, contracts))
            .collect();
        let found: Vec<BTreeMap<ContractId, Vec<AlertSubscription>>> =
            stream::iter(reading).buffered(CONCURRENCY).try_collect().await?;
        let mut subscribers: BTreeMap<ContractId, Vec<AlertSubscription>> = found.into_iter().flatten().collect();
        let mut members = Vec::with_capacity(holders.len());
        for holder in holders {
            let contract_id = holder.contract_id.clone();
            let theirs = subscribers.remove(&contract_id).unwrap_or_default();
            members.push(AudienceMember { contract_id: contract_id.clone(), holder: holder.clone(), subscriber: None });
            for subscriber in theirs {
                members.push(AudienceMember {
                    contract_id: contract_id.clone(),
                    holder: holder.clone(),
                    subscriber: Some(subscriber),
                });
            }
        }
        Ok(members)
    }

    /// How each of `members` would be told, their customers and addresses read in a few batch
    /// requests rather than a few reads each (an outage may reach tens of thousands).
    async fn reach_all(
        &self,
        tenant_id: &TenantId,
        members: &[AudienceMember],
        default: Locale,
    ) -> Result<Vec<Reach>, Error> {
        let contracts: Vec<ContractId> = members.iter().map(|m| m.contract_id.clone()).collect();
        let read = Prefetched::read(self.accounts, self.suppressions, tenant_id, &contracts).await?;
        let audience = Audience { accounts: &read, suppressions: &read, ..*self };
        let mut reaches = Vec::with_capacity(members.len());
        for member in members {
            reaches.push(audience.reach(tenant_id, member, default, &[]).await?);
        }
        Ok(reaches)
    }

    async fn reach(
        &self,
        tenant_id: &TenantId,
        member: &AudienceMember,
        default: Locale,
        unusable: &[(Channel, String)],
    ) -> Result<Reach, Error> {
        let customer = match &member.subscriber {
            Some(subscription) => Some(subscription.as_profile()),
            None => self.accounts.customer(tenant_id, &member.holder.customer_id).await?,
        };
        let Some(customer) = customer else {
            return Ok(Reach { channel: None, locale: default, has_mobile: false, consents: false });
        };
        let holder = &member.holder;
        let chooser = Chooser {
            tenant_id,
            whatsapp: false,
            customer: &customer,
            postal_address: holder.supply_point.address.as_str(),
            kind: NoticeKind::OutageAlert,
            suppressions: self.suppressions,
            unusable,
        };
        let choice = chooser.choose().await?;
        Ok(Reach {
            channel: choice.destinations.first().map(crate::notice::Destination::channel),
            locale: customer.language.unwrap_or(default),
            has_mobile: customer.mobile.is_some(),
            consents: customer.consents.service,
        })
    }

    /// What confirming `outage` would do for its `members`, without doing any of it.
    pub async fn dry_run(
        &self,
        outage: &Outage,
        members: &[AudienceMember],
        settings: &TenantSettings,
        renderer: &dyn NoticeRenderer,
        alerts_planned: usize,
    ) -> Result<DryRun, Error> {
        let tenant_id = &outage.tenant_id;
        let default_locale = settings.default_locale;
        // The futures made first: a stream mapping borrowed members is not `Send` for every lifetime.
        let reaching: Vec<_> =
            members.chunks(READ_TOGETHER).map(|members| self.reach_all(tenant_id, members, default_locale)).collect();
        let reaches: Vec<Vec<Reach>> = stream::iter(reaching).buffered(CONCURRENCY).try_collect().await?;
        let mut reaches: Vec<Reach> = reaches.into_iter().flatten().collect();
        let mut sms = Vec::new();
        let sms_locales: BTreeSet<Locale> =
            reaches.iter().filter(|r| r.channel == Some(Channel::Sms)).map(|r| r.locale).collect();
        for locale in sms_locales {
            let key = TemplateKey { kind: NoticeKind::OutageAlert, channel: Channel::Sms, locale };
            let values = template_values(outage, AlertStage::Advance, locale)?;
            let texted = reaches.iter().filter(|r| r.channel == Some(Channel::Sms) && r.locale == locale).count();
            match render_fitting(renderer, key, &values.into(), settings.sms)? {
                Fit::Fits { content: message, .. } => sms.push(SmsPreview {
                    locale,
                    recipients: texted,
                    parts: message.parts.unwrap_or(1),
                    text: message.text,
                    does_not_fit: None,
                }),
                // Too long in this language: its readers go by their next channel, as the alert will.
                Fit::TooLong(why) => {
                    let unusable = [(Channel::Sms, why.clone())];
                    for (reach, member) in reaches.iter_mut().zip(members) {
                        if reach.channel == Some(Channel::Sms) && reach.locale == locale {
                            *reach = self.reach(tenant_id, member, default_locale, &unusable).await?;
                        }
                    }
                    sms.push(SmsPreview {
                        locale,
                        recipients: texted,
                        parts: 0,
                        text: String::new(),
                        does_not_fit: Some(why),
                    });
                }
            }
        }
        let mut by_channel = BTreeMap::new();
        for channel in reaches.iter().filter_map(|r| r.channel) {
            *by_channel.entry(channel).or_insert(0) += 1;
        }
        let sms_parts_per_alert: usize = sms.iter().map(|p| p.recipients * p.parts).sum();
        let estimated_cost =
            settings.outages.sms_part_price.as_ref().map(|price| price.times(sms_parts_per_alert * alerts_planned));
        let rates = &settings.rate_limits;
        let send_seconds_per_alert = [
            rates.seconds_for(Channel::Sms, sms_parts_per_alert as u64),
            rates.seconds_for(Channel::Email, by_channel.get(&Channel::Email).copied().unwrap_or(0) as u64),
            rates.seconds_for(Channel::Whatsapp, by_channel.get(&Channel::Whatsapp).copied().unwrap_or(0) as u64),
        ]
        .into_iter()
        .try_fold(0, |longest: u64, s| s.map(|s| longest.max(s)));
        let needs_approval = settings.outages.approval_threshold.is_some_and(|limit| members.len() > limit as usize);
        Ok(DryRun {
            priority: PriorityContract::of(members),
            needs_approval,
            recipients: members.len(),
            contracts: members.iter().filter(|m| m.subscriber.is_none()).count(),
            subscribers: members.iter().filter(|m| m.subscriber.is_some()).count(),
            by_channel,
            unreachable: reaches.iter().filter(|r| r.channel.is_none()).count(),
            without_mobile: reaches.iter().filter(|r| !r.has_mobile).count(),
            without_consent: reaches.iter().filter(|r| !r.consents).count(),
            sms,
            sms_parts_per_alert,
            alerts_planned,
            estimated_cost,
            send_seconds_per_alert,
        })
    }
}

/// What an outage alert's templates get: the window in the tenant's local time, already split
/// into dates and hours, and the window it replaced for a correction.
pub fn template_values(outage: &Outage, stage: AlertStage, locale: Locale) -> Result<Value, Error> {
    let zone = outage.time_zone.zone();
    let window = |window: super::Window| -> Result<Value, Error> {
        let start = window.start.to_zoned(zone.clone());
        let end = window.expected_end.to_zoned(zone.clone());
        Ok(json!({
            "start_date": start.date(),
            "start_time": start.strftime("%H:%M").to_string(),
            "end_date": end.date(),
            "end_time": end.strftime("%H:%M").to_string(),
            "same_day": start.date() == end.date(),
        }))
    };
    Ok(json!({
        "locale": locale,
        "stage": stage.as_str(),
        "outage": {
            "outage_id": outage.outage_id,
            "type": outage.kind,
            "note": outage.note,
            "window": window(outage.window)?,
        },
        "previous": outage.previous_window.map(window).transpose()?,
    }))
}
