//! One platform's view of a citizen, for staff: who they are, each contract and where its account
//! stands, every notice sent about it with each delivery's status and the provider's reason, their
//! chat conversation, the incidents they reported and the complaints about their bills. Found by
//! phone, contract or name, within one tenant only.

use async_trait::async_trait;

use crate::PortError;
use crate::account::{ContractAccount, CustomerProfile};
use crate::chat::Conversation;
use crate::chat::Incident;
use crate::chat::ports::{ConversationStore, CustomerLookup, IncidentStore};
use crate::complaints::Complaint;
use crate::complaints::ports::ComplaintStore;
use crate::contact::PhoneE164;
use crate::deliveries::{DeliveryLedger, NoticeDeliveries};
use crate::error::Error;
use crate::ids::{ContractId, CustomerId, TenantId};
use crate::names::NameQuery;
use crate::ports::{AccountStore, NoticeStore};

/// How many notices of each contract the view shows, newest first.
pub const NOTICES_SHOWN: usize = 20;
/// How many customers a search by name shows; more asks for more of the name.
pub const NAMES_SHOWN: usize = 20;
/// How many index entries a search by name reads.
const NAME_CANDIDATES: usize = 50;
/// How many of the tenant's latest incidents are searched for the citizen's.
const INCIDENTS_SEARCHED: usize = 200;

/// One citizen, as staff name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitizenQuery {
    Phone(PhoneE164),
    Contract(ContractId),
    /// A customer picked from a search by name.
    Customer(CustomerId),
}

/// What staff typed in the search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    One(CitizenQuery),
    Name(NameQuery),
}

impl Search {
    /// A phone (international, `+34…`, or its digits), a contract number (it has digits) or a
    /// name (it has none); or why it is none of them.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            return NameQuery::parse(raw).map(Self::Name);
        }
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.')).collect();
        if digits.len() >= 8 && digits.trim_start_matches('+').chars().all(|c| c.is_ascii_digit()) {
            let international = format!("+{}", digits.trim_start_matches('+'));
            return PhoneE164::parse(&international)
                .map(|phone| Self::One(CitizenQuery::Phone(phone)))
                .map_err(|e| format!("{raw} is not a phone number: {e}"));
        }
        ContractId::parse(raw).map(|contract| Self::One(CitizenQuery::Contract(contract))).map_err(|_| {
            format!("{raw} is neither a phone number (+34600111001), a contract number (CT-0001) nor a name")
        })
    }
}

/// A tenant's customers by the words of their names.
#[async_trait]
pub trait CustomerNames: Send + Sync {
    /// Customers of `tenant_id` with a word of their name beginning with `word` (folded, see
    /// [`crate::names`]), at most `limit`. The index may hold a word of an older name: callers
    /// check the name itself.
    async fn customers_named(
        &self,
        tenant_id: &TenantId,
        word: &str,
        limit: usize,
    ) -> Result<Vec<CustomerId>, PortError>;
}

/// The customers a search by name found, by name; `more` when there were too many to show.
#[derive(Debug, Clone, Default)]
pub struct NameMatches {
    pub customers: Vec<CustomerProfile>,
    pub more: bool,
}

/// A contract, as the citizen view shows it.
#[derive(Debug, Clone)]
pub struct ContractFile {
    pub contract_id: ContractId,
    pub account: Option<ContractAccount>,
    pub notices: Vec<NoticeDeliveries>,
    pub complaints: Vec<Complaint>,
}

/// Everything the tenant holds about one citizen.
#[derive(Debug, Clone)]
pub struct CitizenFile {
    pub profile: CustomerProfile,
    pub contracts: Vec<ContractFile>,
    pub conversation: Option<Conversation>,
    pub incidents: Vec<Incident>,
}

/// The ports the citizen view reads.
pub struct CitizenRecords<'a> {
    pub customers: &'a dyn CustomerLookup,
    pub names: &'a dyn CustomerNames,
    pub accounts: &'a dyn AccountStore,
    pub notices: &'a dyn NoticeStore,
    pub ledger: &'a dyn DeliveryLedger,
    pub conversations: &'a dyn ConversationStore,
    pub incidents: &'a dyn IncidentStore,
    pub complaints: &'a dyn ComplaintStore,
}

impl std::fmt::Debug for CitizenRecords<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenRecords").finish_non_exhaustive()
    }
}

impl CitizenRecords<'_> {
    /// The citizen `query` finds in `tenant_id`, or `None`.
    pub async fn find(&self, tenant_id: &TenantId, query: &CitizenQuery) -> Result<Option<CitizenFile>, Error> {
        let customer_id = match query {
            CitizenQuery::Phone(phone) => self.customers.customer_by_phone(tenant_id, phone).await?,
            CitizenQuery::Contract(contract) => {
                self.accounts.holder(tenant_id, contract).await?.map(|holder| holder.customer_id)
            }
            CitizenQuery::Customer(customer) => Some(customer.clone()),
        };
        let Some(customer_id) = customer_id else { return Ok(None) };
        let Some(profile) = self.accounts.customer(tenant_id, &customer_id).await? else { return Ok(None) };
        let all_complaints = self.complaints.complaints(tenant_id).await?;
        let mut contracts = Vec::new();
        for contract_id in self.customers.contracts_of(tenant_id, &customer_id).await? {
            let history = self.notices.history(tenant_id, &contract_id, NOTICES_SHOWN).await?;
            let ids: Vec<_> = history.iter().map(|n| n.notice_id.clone()).collect();
            let mut notices = self.ledger.notices(tenant_id, &ids).await?;
            notices.sort_by_key(|n| std::cmp::Reverse(n.created_at));
            let complaints = all_complaints.iter().filter(|c| c.contract_id == contract_id).cloned().collect();
            let account = self.accounts.account(tenant_id, &contract_id).await?;
            contracts.push(ContractFile { contract_id, account, notices, complaints });
        }
        let (conversation, incidents) = match &profile.mobile {
            Some(mobile) => {
                let conversation = self.conversations.conversation(tenant_id, mobile).await?;
                let incidents = self.incidents.incidents(tenant_id, INCIDENTS_SEARCHED).await?;
                (conversation, incidents.into_iter().filter(|i| &i.reporter == mobile).collect())
            }
            None => (None, Vec::new()),
        };
        Ok(Some(CitizenFile { profile, contracts, conversation, incidents }))
    }

    /// The tenant's customers whose names match `query`, by name.
    pub async fn named(&self, tenant_id: &TenantId, query: &NameQuery) -> Result<NameMatches, Error> {
        let candidates = self.names.customers_named(tenant_id, query.lookup(), NAME_CANDIDATES).await?;
        let mut customers = Vec::new();
        for customer_id in &candidates {
            if let Some(profile) = self.accounts.customer(tenant_id, customer_id).await?
                && query.matches(profile.name.as_str())
            {
                customers.push(profile);
            }
        }
        // Alphabetical as people read it: "María" before "Mariano".
        customers.sort_by_cached_key(|p| crate::names::words(p.name.as_str()));
        let more = candidates.len() >= NAME_CANDIDATES || customers.len() > NAMES_SHOWN;
        customers.truncate(NAMES_SHOWN);
        Ok(NameMatches { customers, more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_find_a_citizen_by_phone_contract_or_name() {
        let phone = Search::parse("+34 600 111 001").unwrap();
        assert_eq!(phone, Search::One(CitizenQuery::Phone(PhoneE164::parse("+34600111001").unwrap())));
        assert_eq!(Search::parse("34600111001").unwrap(), phone);
        assert_eq!(
            Search::parse("CT-0001").unwrap(),
            Search::One(CitizenQuery::Contract(ContractId::parse("CT-0001").unwrap()))
        );
        assert_eq!(Search::parse("García Puig").unwrap(), Search::Name(NameQuery::parse("garcia puig").unwrap()));
        let refused = Search::parse("CT 0001; DROP").unwrap_err();
        assert!(refused.contains("nor a name"), "{refused}");
    }
}
