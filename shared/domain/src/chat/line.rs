//! The chat line over its ports: inbound messages (deduplicated by WhatsApp's message id), the
//! no-reply timers, and staff's actions all step the conversation's state machine; its replies
//! become notices for the dispatcher.

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::machine::{self, Billing, Context, Event, Handover, State, Step};
use super::records;
use super::settings::ChatSettings;
use super::{Answered, Conversation, Inbound, refused, reply_notice};
use crate::chat::feeds::FeedCopies;
use crate::chat::ports::{
    AppointmentStore, ChatJobs, ChatPhrases, ConversationStore, CustomerLookup, IncidentStore, RatingStore,
};
use crate::clock::Clock;
use crate::complaints::ComplaintDesk;
use crate::contact::PhoneE164;
use crate::error::{Error, RejectionCode};
use crate::ids::{NoticeId, TenantId};
use crate::once::Once;
use crate::outage::ports::AlertSubscriptions;
use crate::ports::{AccountStore, ClaimKey, Claims, DispatchQueue, NoticeScheduler, NoticeStore, TenantDirectory};
use crate::queues::{ChatTimerDue, DeliveryJob};
use crate::tenant::TenantSettings;

/// How long an inbound message's claim holds while it is answered.
const LEASE: SignedDuration = SignedDuration::from_secs(60);

/// The ports the chat line needs, grouped by what uses them.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct ChatLine<'a> {
    pub conversations: &'a dyn ConversationStore,
    pub replies: Replies<'a>,
    pub filings: Filings<'a>,
    pub citizens: Citizens<'a>,
    /// One-time schedules on the chat timer queue.
    pub timers: &'a dyn NoticeScheduler,
    /// The chat timer queue itself, for work to do at once (a photo to keep).
    pub jobs: &'a dyn ChatJobs,
    /// The copies of the tenants' information feeds.
    pub feeds: &'a dyn FeedCopies,
    pub tenants: &'a dyn TenantDirectory,
    pub claims: &'a dyn Claims,
    pub clock: &'a dyn Clock,
    pub defaults: &'a TenantSettings,
}

/// What the line's replies need: the phrases they are said in, the notices they become, and the
/// dispatch queue they leave by.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Replies<'a> {
    pub phrases: &'a dyn ChatPhrases,
    pub notices: &'a dyn NoticeStore,
    pub dispatch: &'a dyn DispatchQueue,
}

/// What a conversation files: incident reports, appointment requests, outage alert
/// subscriptions, billing complaints ("dispute a bill"), which the staff desk moves on, and the
/// citizen's rating of the help received.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Filings<'a> {
    pub incidents: &'a dyn IncidentStore,
    pub appointments: &'a dyn AppointmentStore,
    pub subscriptions: &'a dyn AlertSubscriptions,
    pub complaints: ComplaintDesk<'a>,
    pub ratings: &'a dyn RatingStore,
}

/// Who a phone number is, and their bills.
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Citizens<'a> {
    pub customers: &'a dyn CustomerLookup,
    pub accounts: &'a dyn AccountStore,
}

/// What receiving one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Answered {
        state: &'static str,
        replies: usize,
    },
    /// Seen before (Meta redelivers): nothing new was done.
    Duplicate,
    /// Sent to a business number no tenant has.
    UnknownNumber,
}

/// What staff do with a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction<'a> {
    Take,
    Reply(&'a str),
    Resolve,
    Transfer(Handover<'a>),
}

impl ChatLine<'_> {
    /// Complaints filed from the chat (the staff desk moves them on).
    pub fn complaint_desk(&self) -> ComplaintDesk<'_> {
        self.filings.complaints
    }

    pub(super) async fn settings(&self, tenant_id: &TenantId) -> Result<(TenantSettings, ChatSettings), Error> {
        let settings = self.tenants.settings(tenant_id).await?.unwrap_or_else(|| self.defaults.clone());
        let chat = settings.chat.clone().unwrap_or_default();
        Ok((settings, chat))
    }

    /// Answers one inbound message, once however often it is delivered.
    pub async fn receive(&self, inbound: &Inbound) -> Result<Received, Error> {
        let Some(tenant_id) = self.tenants.tenant_by_whatsapp_number(&inbound.phone_number_id).await? else {
            return Ok(Received::UnknownNumber);
        };
        let key = ClaimKey::Inbound { tenant_id: tenant_id.clone(), message_id: inbound.message_id.clone() };
        let once = Once { claims: self.claims, clock: self.clock };
        let answered = once.run(&key, LEASE, false, self.answer(&tenant_id, inbound)).await?;
        Ok(answered.unwrap_or(Received::Duplicate))
    }

    async fn answer(&self, tenant_id: &TenantId, inbound: &Inbound) -> Result<Received, Error> {
        let (settings, chat) = self.settings(tenant_id).await?;
        let now = self.clock.now();
        let mut conversation = match self.conversations.conversation(tenant_id, &inbound.from).await? {
            Some(conversation) => conversation,
            None => self.new_conversation(tenant_id, &inbound.from, &settings, &chat, now).await?,
        };
        if let Some(sent) = self.resend_if_answered(&conversation, &inbound.message_id).await? {
            return Ok(Received::Answered { state: conversation.state.name(), replies: sent });
        }
        conversation.last_inbound_at = Some(inbound.at);
        conversation.log(inbound.at, "citizen", &inbound.said.transcript());
        let billing = if machine::needs_billing(&conversation.state, &inbound.said, &chat) {
            self.billing(tenant_id, &inbound.from).await?
        } else {
            Billing::NotLoaded
        };
        let reference_seed = inbound.message_id.as_str();
        let mut ctx = self.context(&chat, &settings, tenant_id, reference_seed, billing);
        if let (State::AlertContract, Some(contract_id)) = (&conversation.state, machine::typed_contract(&inbound.said))
        {
            ctx.contract_known = Some(self.citizens.accounts.holder(tenant_id, &contract_id).await?.is_some());
        }
        if let Some(item_id) = machine::feed_item(&conversation.state, &inbound.said, &chat) {
            ctx.feed = self.feed(tenant_id, item_id, &settings).await?;
        }
        let step = machine::step(&conversation.state, &Event::Said(&inbound.said), &ctx)
            .map_err(|not_now| refused(RejectionCode::InvalidTransition, not_now.0))?;
        // An answer to a message just received is inside its 24-hour window by definition.
        let replies = self.apply(&mut conversation, step, &inbound.message_id, &ctx, &settings, ("bot", false)).await?;
        Ok(Received::Answered { state: conversation.state.name(), replies })
    }

    /// A first conversation with a number: in the language its customer reads notices in, when the
    /// number is a customer's and the line speaks it; else the line's first. A language chosen in
    /// the chat is kept on the conversation and wins from then on.
    pub(super) async fn new_conversation(
        &self,
        tenant_id: &TenantId,
        phone: &PhoneE164,
        settings: &TenantSettings,
        chat: &ChatSettings,
        now: jiff::Timestamp,
    ) -> Result<Conversation, Error> {
        let mut locale = chat.first_language(settings.default_locale);
        if let Some(customer_id) = self.citizens.customers.customer_by_phone(tenant_id, phone).await? {
            let profile = self.citizens.accounts.customer(tenant_id, &customer_id).await?;
            if let Some(known) = profile.and_then(|p| p.language).filter(|l| chat.languages.contains(l)) {
                locale = known;
            }
        }
        Ok(Conversation::new(tenant_id.clone(), phone.clone(), locale, now))
    }

    /// A no-reply timer fired: re-contact once, then close. Stale timers change nothing.
    pub async fn timer(&self, due: &ChatTimerDue) -> Result<Option<&'static str>, Error> {
        let Some(mut conversation) = self.conversations.conversation(&due.tenant_id, &due.phone).await? else {
            return Ok(None);
        };
        let cause = due.schedule_name();
        if self.resend_if_answered(&conversation, &cause).await?.is_some() {
            return Ok(Some(conversation.state.name()));
        }
        let (settings, chat) = self.settings(&due.tenant_id).await?;
        let ctx = self.context(&chat, &settings, &due.tenant_id, &cause, Billing::NotLoaded);
        let step = machine::step(&conversation.state, &Event::Timer { asked_at: due.asked_at, stage: due.stage }, &ctx)
            .map_err(|not_now| refused(RejectionCode::InvalidTransition, not_now.0))?;
        if step.replies.is_empty() && step.state == conversation.state {
            return Ok(None);
        }
        let follow_up = !conversation.in_window(ctx.now);
        self.apply(&mut conversation, step, &cause, &ctx, &settings, ("bot", follow_up)).await?;
        Ok(Some(conversation.state.name()))
    }

    pub(super) fn context<'c>(
        &self,
        chat: &'c ChatSettings,
        settings: &TenantSettings,
        tenant_id: &'c TenantId,
        cause: &str,
        billing: Billing,
    ) -> Context<'c> {
        let now = self.clock.now();
        let local = now.to_zoned(settings.time_zone.zone()).datetime();
        let next = chat.office_hours.next_opening(local);
        Context {
            tenant_id,
            settings: chat,
            now,
            office_open: chat.office_hours.is_open(local),
            back_at: json!({
                "date": next.map(jiff::civil::DateTime::date),
                "time": next.map(|n| n.time().strftime("%H:%M").to_string()),
                "today": next.is_some_and(|n| n.date() == local.date()),
            }),
            reference: records::reference_stem(tenant_id, cause, now),
            billing,
            contract_known: None,
            feed: None,
        }
    }

    /// An information item's copy as the answer lists it; `None` before its first good fetch.
    async fn feed(
        &self,
        tenant_id: &TenantId,
        item_id: &str,
        settings: &TenantSettings,
    ) -> Result<Option<Value>, Error> {
        let Some(copy) = self.feeds.copy(tenant_id, item_id).await? else { return Ok(None) };
        let Some(fetched_at) = copy.fetched_at.filter(|_| !copy.items.is_empty()) else { return Ok(None) };
        let local = fetched_at.to_zoned(settings.time_zone.zone());
        Ok(Some(json!({
            "items": copy.items,
            "updated": { "date": local.date(), "time": local.time().strftime("%H:%M").to_string() },
        })))
    }

    /// A known customer's unpaid invoices and next instalment, per contract.
    pub(super) async fn billing(&self, tenant_id: &TenantId, phone: &PhoneE164) -> Result<Billing, Error> {
        let Some(customer_id) = self.citizens.customers.customer_by_phone(tenant_id, phone).await? else {
            return Ok(Billing::Unknown);
        };
        let mut contracts = Vec::new();
        for contract_id in self.citizens.customers.contracts_of(tenant_id, &customer_id).await? {
            let Some(account) = self.citizens.accounts.account(tenant_id, &contract_id).await? else { continue };
            let summary = account.summary();
            let next = summary.active_plans.iter().filter_map(|p| p.next_milestone.clone()).min_by_key(|m| m.due_date);
            // The latest invoices, to dispute one.
            let mut issued: Vec<_> = account
                .invoices
                .iter()
                .filter_map(|(n, s)| s.issued.as_ref().map(|i| (i.value.issue_date, n)))
                .collect();
            issued.sort_by(|a, b| b.cmp(a));
            let invoices: Vec<&str> = issued.iter().take(5).map(|(_, n)| n.as_str()).collect();
            contracts.push(json!({
                "contract_id": contract_id,
                "unpaid_count": summary.unpaid_count,
                "unpaid_totals": summary.unpaid_totals,
                "next_milestone": next,
                "invoices": invoices,
            }));
        }
        Ok(if contracts.is_empty() { Billing::Unknown } else { Billing::Known(Value::Array(contracts)) })
    }

    /// When the conversation already answered `cause` (a retry after a partial failure): queues
    /// the same replies again, which the dispatcher's claims make harmless.
    pub(super) async fn resend_if_answered(
        &self,
        conversation: &Conversation,
        cause: &str,
    ) -> Result<Option<usize>, Error> {
        let Some(answered) = conversation.answered.as_ref().filter(|a| a.cause == cause) else { return Ok(None) };
        for notice_id in &answered.replies {
            self.enqueue(&conversation.tenant_id, notice_id).await?;
        }
        Ok(Some(answered.replies.len()))
    }

    pub(super) async fn enqueue(&self, tenant_id: &TenantId, notice_id: &NoticeId) -> Result<(), Error> {
        let job = DeliveryJob::new(tenant_id.clone(), notice_id.clone(), crate::channel::Channel::Whatsapp, true);
        Ok(self.replies.dispatch.enqueue(&job).await?)
    }

    /// Carries out a step: records and timers, the new state, the replies as notices (recorded
    /// before the conversation, queued after it is saved); `follow_up` when they must be the
    /// tenant's template because the 24-hour window is closed.
    pub(super) async fn apply(
        &self,
        conversation: &mut Conversation,
        step: Step,
        cause: &str,
        ctx: &Context<'_>,
        settings: &TenantSettings,
        (speaker, follow_up): (&str, bool),
    ) -> Result<usize, Error> {
        let now = ctx.now;
        for effect in step.effects {
            self.carry_out(conversation, effect, ctx, settings).await?;
        }
        conversation.state = step.state;
        let mut replies = Vec::with_capacity(step.replies.len());
        for (i, reply) in step.replies.iter().enumerate() {
            let (text, interactive) =
                self.render(conversation, reply, (ctx.settings, &settings.voice), &ctx.billing)?;
            conversation.log(now, speaker, &text);
            let notice = reply_notice(conversation, &format!("{cause}/{i}"), text, interactive, follow_up, now);
            self.replies.notices.create(&notice).await?;
            replies.push(notice.notice_id);
        }
        conversation.answered = Some(Answered { cause: cause.to_owned(), replies: replies.clone() });
        conversation.updated_at = now;
        if !self.conversations.save(conversation).await? {
            return Err(Error::InProgress { key: format!("conversation of {}", conversation.tenant_id) });
        }
        conversation.version += 1;
        for notice_id in &replies {
            self.enqueue(&conversation.tenant_id, notice_id).await?;
        }
        Ok(replies.len())
    }
}
