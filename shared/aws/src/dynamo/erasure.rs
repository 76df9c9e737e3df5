//! Erasing a person: every item about one customer of one tenant, found through the table's keys
//! and indexes, deleted. What it removed is reported by kind.

use avisa_domain::PortError;
use avisa_domain::account::CustomerProfile;
use avisa_domain::ids::{CustomerId, TenantId};
use avisa_domain::ports::AccountStore;
use avisa_domain::privacy::{Erased, Erasure};
use aws_sdk_dynamodb::types::ReturnValue;

use avisa_domain::contact::PhoneE164;

use super::accounts::{contracts_of_pk, customer_pk};
use super::notices::phone_notices_pk;
use super::outages::{subscriber_pk, subscription_sk};
use super::{DynamoStore, Item, s, text};
use crate::error::classify;

const OPERATION: &str = "dynamodb.DeleteItem(erasure)";

/// A stored item's kind, as the erasure report names it.
fn kind_of(pk: &str, sk: &str) -> &'static str {
    match (pk.split('#').nth(2).unwrap_or(""), sk.split('#').next().unwrap_or(sk)) {
        ("CUST", "NAME") => "word of the name",
        ("CUST", _) => "profile",
        ("CONTRACT", "ACCOUNT") => "contract",
        ("CONTRACT", "INVOICE") => "invoice",
        ("CONTRACT", "PLAN") => "payment plan",
        ("CONTRACT", "ALERTSUB") => "outage alert subscription",
        ("SUBSCRIBER", _) => "number's subscription list entry",
        ("CONTRACT", _) => "contract record",
        ("NOTICE", "NOTICE") => "notice",
        ("NOTICE", "DELIVERY") => "delivery",
        ("CONV", _) => "conversation",
        ("INCIDENT", _) => "incident",
        ("APPOINTMENT", _) => "appointment",
        ("COMPLAINT", _) => "complaint",
        ("RATING", _) => "rating",
        _ if pk.starts_with("PROVIDER#") => "provider message id",
        _ if pk.starts_with("PRINT#") => "letter",
        _ => "other",
    }
}

impl DynamoStore {
    /// Deletes one item; counts it when it was there.
    async fn erase_item(&self, pk: &str, sk: &str, erased: &mut Erased) -> Result<(), PortError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        if let Some(old) = output.attributes {
            erased.count(kind_of(pk, sk));
            // A delivery's provider id leads to its own item (WhatsApp receipts find it by that id).
            if let Some(provider_id) = text(&old, "provider_message_id") {
                Box::pin(self.erase_item(&format!("PROVIDER#{provider_id}"), "DELIVERY", erased)).await?;
            }
        }
        Ok(())
    }

    /// Every item of a partition.
    async fn partition(&self, pk: &str) -> Result<Vec<Item>, PortError> {
        let query = self.query().key_condition_expression("pk = :pk").expression_attribute_values(":pk", s(pk));
        Self::query_all("dynamodb.Query(erasure)", query).await
    }

    async fn erase_partition(&self, pk: &str, erased: &mut Erased) -> Result<(), PortError> {
        for item in self.partition(pk).await? {
            if let Some(sk) = text(&item, "sk") {
                self.erase_item(pk, sk, erased).await?;
            }
        }
        Ok(())
    }

    /// Every item of a gsi list (`gsi{n}pk = pk`).
    async fn listed(&self, index: &str, pk: &str) -> Result<Vec<Item>, PortError> {
        self.query_index("dynamodb.Query(erasure)", index, pk.to_owned()).await
    }

    /// The notices of a list (a contract's history, a number's chat replies), each with its
    /// delivery records, provider ids and letter.
    async fn erase_notices(&self, tenant: &TenantId, list: &str, erased: &mut Erased) -> Result<(), PortError> {
        for notice in self.listed("gsi2", list).await? {
            let Some(notice_pk) = text(&notice, "pk") else { continue };
            let notice_id = notice_pk.rsplit('#').next().unwrap_or_default();
            // A letter sits in the partition of the day it was queued: that of the notice.
            if let Some(created) = text(&notice, "gsi2sk").and_then(super::notices::created_of_history_sk) {
                let day = created.to_zoned(jiff::tz::TimeZone::UTC).date();
                for day in [day.yesterday().ok(), Some(day), day.tomorrow().ok()].into_iter().flatten() {
                    self.erase_item(&format!("PRINT#{day}"), &format!("T#{tenant}#{notice_id}"), erased).await?;
                }
            }
            self.erase_partition(notice_pk, erased).await?;
        }
        Ok(())
    }

    /// Records `keep` says are about the person, in one of the tenant's gsi3 lists of cases.
    async fn erase_cases(
        &self,
        tenant: &TenantId,
        list: &str,
        about_them: impl Fn(&Item) -> bool,
        erased: &mut Erased,
    ) -> Result<(), PortError> {
        for item in self.listed("gsi3", &format!("T#{tenant}#{list}")).await? {
            if let (true, Some(pk)) = (about_them(&item), text(&item, "pk")) {
                self.erase_partition(pk, erased).await?;
            }
        }
        Ok(())
    }

    /// What is about a phone number: its conversations, the chat replies to it, the incidents
    /// and appointments reported from it, its ratings, its outage alert subscriptions.
    async fn erase_phone_records(
        &self,
        tenant: &TenantId,
        phone: &PhoneE164,
        erased: &mut Erased,
    ) -> Result<(), PortError> {
        let number = Some(phone.as_str());
        self.erase_notices(tenant, &phone_notices_pk(tenant, phone), erased).await?;
        self.erase_cases(tenant, "INCIDENTS", |item| text(item, "reporter") == number, erased).await?;
        self.erase_cases(tenant, "APPOINTMENTS", |item| text(item, "phone") == number, erased).await?;
        // Ratings carry a digest of the number, not the number: one a list of numbers would undo.
        let conversation = avisa_domain::chat::conversation_digest(tenant, phone);
        let rated = |item: &Item| text(item, "conversation") == Some(conversation.as_str());
        self.erase_cases(tenant, "RATINGS", rated, erased).await?;
        self.erase_partition(&format!("T#{tenant}#CONV#{}", phone.as_str()), erased).await?;
        self.erase_subscriptions_of(tenant, phone, erased).await
    }

    /// The outage alerts the number subscribed to, at any contract (found through its list), each
    /// taken off its contract's mark too; then the list.
    async fn erase_subscriptions_of(
        &self,
        tenant: &TenantId,
        phone: &PhoneE164,
        erased: &mut Erased,
    ) -> Result<(), PortError> {
        let list = subscriber_pk(tenant, phone);
        for entry in self.partition(&list).await? {
            if let (Some(holder_pk), Some(subscriber_id)) =
                (text(&entry, "subscription_pk"), text(&entry, "subscriber_id"))
            {
                self.erase_item(holder_pk, &subscription_sk(&subscriber_id), erased).await?;
                self.mark_subscriber(OPERATION, "DELETE", holder_pk.to_owned(), subscriber_id).await?;
            }
        }
        self.erase_partition(&list, erased).await
    }
}

#[async_trait::async_trait]
impl Erasure for DynamoStore {
    /// Removes every item about `customer` of `tenant`: the profile; each contract they hold with
    /// its invoices, plans and subscriptions; the notices about those contracts with their delivery
    /// records, provider ids and letters; the complaints about their contracts; and all that is
    /// about their mobile number (see `erase_phone`). What is kept, and why: the
    /// suppression of an address they opted out with (a digest, honoured so that nothing is sent
    /// to it again).
    async fn erase_customer(&self, tenant: &TenantId, customer: &CustomerId) -> Result<Erased, PortError> {
        let mut erased = Erased::default();
        let profile: Option<CustomerProfile> = self.customer(tenant, customer).await?;
        let contracts: Vec<String> = self
            .listed("gsi2", &contracts_of_pk(tenant, customer))
            .await?
            .iter()
            .filter_map(|item| text(item, "pk").map(str::to_owned))
            .collect();
        for contract_pk in &contracts {
            self.erase_notices(tenant, &format!("{contract_pk}#NOTICES"), &mut erased).await?;
            self.erase_partition(contract_pk, &mut erased).await?;
        }
        let contract_ids: Vec<&str> = contracts.iter().filter_map(|pk| pk.rsplit('#').next()).collect();
        let theirs = |item: &Item| text(item, "contract_id").is_some_and(|c| contract_ids.contains(&c));
        self.erase_cases(tenant, "COMPLAINTS", theirs, &mut erased).await?;
        if let Some(phone) = profile.as_ref().and_then(|p| p.mobile.as_ref()) {
            self.erase_phone_records(tenant, phone, &mut erased).await?;
        }
        self.erase_partition(&customer_pk(tenant, customer), &mut erased).await?;
        Ok(erased)
    }

    async fn mobile_of(&self, tenant: &TenantId, customer: &CustomerId) -> Result<Option<PhoneE164>, PortError> {
        Ok(self.customer(tenant, customer).await?.and_then(|profile| profile.mobile))
    }

    async fn incidents_of(&self, tenant: &TenantId, phone: &PhoneE164) -> Result<Vec<String>, PortError> {
        let incidents = self.listed("gsi3", &format!("T#{tenant}#INCIDENTS")).await?;
        let theirs = incidents.iter().filter(|item| text(item, "reporter") == Some(phone.as_str()));
        Ok(theirs.filter_map(|item| text(item, "reference").map(str::to_owned)).collect())
    }

    /// Removes what is about a citizen known only by their number (a chat user who is no
    /// customer): conversations, chat replies, incidents and appointments, ratings, outage alert
    /// subscriptions.
    async fn erase_phone(&self, tenant: &TenantId, phone: &PhoneE164) -> Result<Erased, PortError> {
        let mut erased = Erased::default();
        self.erase_phone_records(tenant, phone, &mut erased).await?;
        Ok(erased)
    }
}
