//! Which channels a notice goes by, and why.
//!
//! Electronic channels need consent to service messages, a contact detail and an address that is
//! not suppressed; they follow the citizen's order of preference (email, then SMS, when none is
//! given). A notice that carries the invoice goes by email only to those who opted in to
//! e-invoicing, and on paper to everyone else. Nothing electronic left → paper.

use crate::PortError;
use crate::account::CustomerProfile;
use crate::ids::TenantId;
use crate::notice::{Channel, Destination, NoticeKind};
use crate::ports::Suppressions;

/// The destinations chosen and the reason, as recorded on the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelChoice {
    pub destinations: Vec<Destination>,
    pub reason: String,
}

pub async fn choose(
    tenant_id: &TenantId,
    customer: &CustomerProfile,
    postal_address: &str,
    kind: NoticeKind,
    suppressions: &dyn Suppressions,
) -> Result<ChannelChoice, PortError> {
    let paper = || Destination::Paper(postal_address.to_owned());
    if !customer.consents.service {
        let (destinations, reason) = if kind.paper_fallback() {
            (vec![paper()], "paper: no consent to service messages on electronic channels")
        } else {
            (vec![], "none: no consent to service messages on electronic channels")
        };
        return Ok(ChannelChoice { destinations, reason: reason.to_owned() });
    }
    let preference =
        if customer.channels.is_empty() { vec![Channel::Email, Channel::Sms] } else { customer.channels.clone() };
    let mut chosen: Vec<Destination> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for channel in preference {
        if channel != Channel::Paper && !kind.channels().contains(&channel) {
            skipped.push(format!("{} (not used for {})", channel.as_str(), kind.as_str()));
            continue;
        }
        let candidate = match channel {
            Channel::Email if kind.carries_invoice() && !customer.e_invoice => {
                skipped.push("email (no e-invoice opt-in)".to_owned());
                continue;
            }
            Channel::Email => customer.email.clone().map(Destination::Email),
            Channel::Sms => customer.mobile.clone().map(Destination::Sms),
            Channel::Whatsapp => {
                skipped.push("whatsapp (not available yet)".to_owned());
                continue;
            }
            Channel::Paper if kind.paper_fallback() => Some(paper()),
            Channel::Paper => continue,
        };
        let Some(destination) = candidate else {
            skipped.push(format!("{} (no contact)", channel.as_str()));
            continue;
        };
        if chosen.contains(&destination) {
            continue;
        }
        if destination.channel() != Channel::Paper && suppressions.is_suppressed(tenant_id, &destination).await? {
            skipped.push(format!("{} (suppressed)", channel.as_str()));
            continue;
        }
        chosen.push(destination);
    }
    let invoice_by_email = chosen.iter().any(|d| d.channel() == Channel::Email);
    let needs_paper = chosen.is_empty() || (kind.carries_invoice() && !invoice_by_email);
    if kind.paper_fallback() && needs_paper && !chosen.contains(&paper()) {
        chosen.push(paper());
    }
    let names: Vec<&str> = chosen.iter().map(|d| d.channel().as_str()).collect();
    let mut reason = if names.is_empty() { "chosen: none".to_owned() } else { format!("chosen: {}", names.join(", ")) };
    if !skipped.is_empty() {
        reason = format!("{reason}; skipped: {}", skipped.join(", "));
    }
    Ok(ChannelChoice { destinations: chosen, reason })
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
        choose(&fakes::tenant(), &customer, "Carrer Major 1", kind, &suppressions).await.unwrap()
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
    async fn a_returned_debit_reaches_citizens_without_e_invoice_by_email_too() {
        let c = choice_for(NoticeKind::DirectDebitReturned, |c| c.e_invoice = false, &[]).await;
        assert_eq!(channels(&c), [Channel::Email, Channel::Sms]);
    }
}
