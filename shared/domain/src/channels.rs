//! Which channels a notice goes by, and why.
//!
//! Electronic channels need consent to service messages, a contact detail and an address that is
//! not suppressed; they follow the citizen's order of preference (email, then SMS, when none is
//! given). A notice that carries the invoice goes by email only to those who opted in to
//! e-invoicing, and on paper to everyone else. Nothing electronic left → paper.

use crate::PortError;
use crate::account::CustomerProfile;
use crate::applies::Applies;
use crate::channel::Channel;
use crate::ids::TenantId;
use crate::notice::{Destination, NoticeKind};
use crate::ports::Suppressions;

/// The destinations chosen and the reason, as recorded on the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelChoice {
    pub destinations: Vec<Destination>,
    pub reason: String,
}

/// Chooses and explains, for one citizen and one kind of notice.
#[allow(missing_debug_implementations)] // trait objects only
pub struct Chooser<'a> {
    pub tenant_id: &'a TenantId,
    /// Whether the tenant has a WhatsApp template for this kind.
    pub whatsapp: bool,
    pub customer: &'a CustomerProfile,
    pub postal_address: &'a str,
    pub kind: NoticeKind,
    pub suppressions: &'a dyn Suppressions,
    /// Channels found unusable for this very notice (its SMS does not fit), with why.
    pub unusable: &'a [(Channel, String)],
}

impl Chooser<'_> {
    fn paper(&self) -> Destination {
        Destination::Paper(self.postal_address.to_owned())
    }

    /// The citizen's order of preference (email, then SMS, when unset), unless the kind has its own.
    fn preference(&self) -> Vec<Channel> {
        if let Some(order) = self.kind.fixed_order() {
            return order.to_vec();
        }
        if self.customer.channels.is_empty() {
            vec![Channel::Email, Channel::Sms]
        } else {
            self.customer.channels.clone()
        }
    }

    /// The destination for `channel`, or why it cannot be used.
    async fn candidate(&self, channel: Channel) -> Result<Applies<Destination>, PortError> {
        let skip = |why: &str| Ok(Applies::No(format!("{} ({why})", channel.as_str())));
        if let Some((_, why)) = self.unusable.iter().find(|(unusable, _)| *unusable == channel) {
            return skip(why);
        }
        // WhatsApp carries what an SMS would say.
        let written_as = if channel == Channel::Whatsapp { Channel::Sms } else { channel };
        if channel != Channel::Paper && !self.kind.channels().contains(&written_as) {
            return skip(&format!("not used for {}", self.kind.as_str()));
        }
        let destination = match channel {
            Channel::Email if self.kind.carries_invoice() && !self.customer.e_invoice => {
                return skip("no e-invoice opt-in");
            }
            Channel::Email => self.customer.email.clone().map(Destination::Email),
            Channel::Sms => self.customer.mobile.clone().map(Destination::Sms),
            Channel::Whatsapp if !self.whatsapp => return skip("no WhatsApp template of the tenant's"),
            Channel::Whatsapp => self.customer.mobile.clone().map(Destination::Whatsapp),
            Channel::Paper if self.kind.paper_fallback() => Some(self.paper()),
            Channel::Paper => return skip(&format!("not used for {}", self.kind.as_str())),
        };
        let Some(destination) = destination else { return skip("no contact") };
        if channel != Channel::Paper && self.suppressions.is_suppressed(self.tenant_id, &destination).await? {
            return skip("suppressed");
        }
        Ok(Applies::Yes(destination))
    }
}

fn explain(chosen: &[Destination], skipped: &[String]) -> String {
    let names: Vec<&str> = chosen.iter().map(|d| d.channel().as_str()).collect();
    let mut reason = if names.is_empty() { "chosen: none".to_owned() } else { format!("chosen: {}", names.join(", ")) };
    if !skipped.is_empty() {
        reason = format!("{reason}; skipped: {}", skipped.join(", "));
    }
    reason
}

impl Chooser<'_> {
    /// The channels of a new notice.
    pub async fn choose(&self) -> Result<ChannelChoice, PortError> {
        let (chooser, customer, kind) = (self, self.customer, self.kind);
        if !customer.consents.service {
            let (destinations, reason) = if kind.paper_fallback() {
                (vec![chooser.paper()], "paper: no consent to service messages on electronic channels")
            } else {
                (vec![], "none: no consent to service messages on electronic channels")
            };
            return Ok(ChannelChoice { destinations, reason: reason.to_owned() });
        }
        let mut chosen: Vec<Destination> = Vec::new();
        let mut skipped: Vec<String> = Vec::new();
        for channel in chooser.preference() {
            if kind.single_channel() && !chosen.is_empty() {
                break;
            }
            match chooser.candidate(channel).await? {
                Applies::Yes(destination) if !chosen.contains(&destination) => chosen.push(destination),
                Applies::Yes(_) => {}
                Applies::No(why) => skipped.push(why),
            }
        }
        let invoice_by_email = chosen.iter().any(|d| d.channel() == Channel::Email);
        let needs_paper = chosen.is_empty() || (kind.carries_invoice() && !invoice_by_email);
        if kind.paper_fallback() && needs_paper && !chosen.contains(&chooser.paper()) {
            chosen.push(chooser.paper());
        }
        let reason = explain(&chosen, &skipped);
        Ok(ChannelChoice { destinations: chosen, reason })
    }

    /// After `failed` refused a notice for good: the next usable channel in the citizen's order
    /// (then paper, for kinds that fall back to it), skipping those the notice already used.
    pub async fn choose_fallback(&self, failed: Channel, already: &[Channel]) -> Result<ChannelChoice, PortError> {
        let chooser = self;
        let mut order = chooser.preference();
        order.push(Channel::Paper);
        let after_failed = order.iter().position(|c| *c == failed).map_or(0, |i| i + 1);
        let mut skipped = Vec::new();
        for channel in order.into_iter().skip(after_failed) {
            if already.contains(&channel) {
                skipped.push(format!("{} (already used)", channel.as_str()));
                continue;
            }
            match chooser.candidate(channel).await? {
                Applies::Yes(destination) => {
                    let destinations = vec![destination];
                    let reason =
                        format!("fallback after {} failed; {}", failed.as_str(), explain(&destinations, &skipped));
                    return Ok(ChannelChoice { destinations, reason });
                }
                Applies::No(why) => skipped.push(why),
            }
        }
        let reason = format!("fallback after {} failed; {}", failed.as_str(), explain(&[], &skipped));
        Ok(ChannelChoice { destinations: vec![], reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, InMemorySuppressions};

    async fn choice(customize: impl FnOnce(&mut CustomerProfile), suppressed: &[Destination]) -> ChannelChoice {
        choice_for(NoticeKind::InvoiceAvailable, customize, suppressed).await
    }

    async fn choice_for(
        kind: NoticeKind,
        customize: impl FnOnce(&mut CustomerProfile),
        suppressed: &[Destination],
    ) -> ChannelChoice {
        let mut customer = fakes::customer_profile();
        customize(&mut customer);
        let suppressions = InMemorySuppressions::default();
        for destination in suppressed {
            suppressions
                .suppress(&fakes::tenant(), destination, "bounce", "2026-11-01T00:00:00Z".parse().unwrap())
                .await
                .unwrap();
        }
        Chooser {
            tenant_id: &fakes::tenant(),
            whatsapp: false,
            customer: &customer,
            postal_address: "Carrer Major 1",
            kind,
            suppressions: &suppressions,
            unusable: &[],
        }
        .choose()
        .await
        .unwrap()
    }

    fn channels(choice: &ChannelChoice) -> Vec<Channel> {
        choice.destinations.iter().map(Destination::channel).collect()
    }

    #[tokio::test]
    async fn an_e_invoice_customer_gets_email_and_sms_in_their_order() {
        let c = choice(|c| c.channels = vec![Channel::Sms, Channel::Email], &[]).await;
        assert_eq!(channels(&c), [Channel::Sms, Channel::Email]);
        assert_eq!(c.reason, "chosen: sms, email");
    }

    #[tokio::test]
    async fn without_e_invoice_the_invoice_goes_on_paper_and_the_sms_still_goes() {
        let c = choice(|c| c.e_invoice = false, &[]).await;
        assert_eq!(channels(&c), [Channel::Sms, Channel::Paper]);
        assert_eq!(c.reason, "chosen: sms, paper; skipped: email (no e-invoice opt-in)");
    }

    #[tokio::test]
    async fn a_suppressed_email_is_skipped_and_the_invoice_goes_on_paper() {
        let email = Destination::Email(fakes::customer_profile().email.unwrap());
        let c = choice(|_| {}, &[email]).await;
        assert_eq!(channels(&c), [Channel::Sms, Channel::Paper]);
        assert!(c.reason.contains("email (suppressed)"), "{}", c.reason);
    }

    #[tokio::test]
    async fn without_consent_everything_goes_on_paper() {
        let c = choice(|c| c.consents.service = false, &[]).await;
        assert_eq!(channels(&c), [Channel::Paper]);
        assert!(c.reason.starts_with("paper: no consent"));
    }

    #[tokio::test]
    async fn without_any_contact_the_notice_goes_on_paper() {
        let c = choice(
            |c| {
                c.email = None;
                c.mobile = None;
            },
            &[],
        )
        .await;
        assert_eq!(channels(&c), [Channel::Paper]);
        assert_eq!(c.reason, "chosen: paper; skipped: email (no contact), sms (no contact)");
    }

    #[tokio::test]
    async fn a_pre_notice_goes_by_sms_only_and_never_on_paper() {
        let c = choice_for(NoticeKind::InvoiceUpcoming, |_| {}, &[]).await;
        assert_eq!(channels(&c), [Channel::Sms]);
        assert_eq!(c.reason, "chosen: sms; skipped: email (not used for invoice_upcoming)");
        let none = choice_for(NoticeKind::InvoiceUpcoming, |c| c.mobile = None, &[]).await;
        assert!(none.destinations.is_empty(), "{none:?}");
    }

    #[tokio::test]
    async fn a_reminder_goes_by_the_first_usable_channel_only() {
        let c = choice_for(NoticeKind::DirectDebitReturned, |c| c.e_invoice = false, &[]).await;
        assert_eq!(channels(&c), [Channel::Email], "no e-invoice needed: it does not carry the invoice");
        let email = Destination::Email(fakes::customer_profile().email.unwrap());
        let c = choice_for(NoticeKind::DirectDebitReturned, |_| {}, &[email]).await;
        assert_eq!(channels(&c), [Channel::Sms]);
    }

    async fn fallback(kind: NoticeKind, failed: Channel, already: &[Channel]) -> ChannelChoice {
        let customer = fakes::customer_profile();
        let chooser = Chooser {
            tenant_id: &fakes::tenant(),
            whatsapp: false,
            customer: &customer,
            postal_address: "Carrer Major 1",
            kind,
            suppressions: &InMemorySuppressions::default(),
            unusable: &[],
        };
        chooser.choose_fallback(failed, already).await.unwrap()
    }

    #[tokio::test]
    async fn the_fallback_is_the_next_usable_channel_in_the_citizens_order() {
        let kind = NoticeKind::DirectDebitReturned;
        let after_email = fallback(kind, Channel::Email, &[Channel::Email]).await;
        assert_eq!(channels(&after_email), [Channel::Sms]);
        assert_eq!(after_email.reason, "fallback after email failed; chosen: sms");
        let after_sms = fallback(kind, Channel::Sms, &[Channel::Email, Channel::Sms]).await;
        assert_eq!(channels(&after_sms), [Channel::Paper]);
        let nothing_left =
            fallback(NoticeKind::PaymentPlanMilestone, Channel::Sms, &[Channel::Email, Channel::Sms]).await;
        assert!(nothing_left.destinations.is_empty(), "{nothing_left:?}");
    }
}
