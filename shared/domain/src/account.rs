//! What avisa knows about a contract and its holder, kept current by billing events.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::{Consents, CustomerUpserted, Document, InvoiceIssued, Period, SupplyPoint};
use crate::contact::{Email, Locale, PhoneE164};
use crate::ids::{ContractId, CustomerId, InvoiceNumber, TenantId};
use crate::money::Money;
use crate::notice::Channel;

/// The contract holder and how to reach them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub tenant_id: TenantId,
    pub customer_id: CustomerId,
    pub name: String,
    pub language: Option<Locale>,
    pub email: Option<Email>,
    pub mobile: Option<PhoneE164>,
    pub channels: Vec<Channel>,
    pub consents: Consents,
    pub e_invoice: bool,
    /// When upstream said this; an older event never overwrites a newer one.
    pub as_of: Timestamp,
}

impl CustomerProfile {
    pub fn from_event(tenant_id: &TenantId, data: &CustomerUpserted, as_of: Timestamp) -> Self {
        Self {
            tenant_id: tenant_id.clone(),
            customer_id: data.customer_id.clone(),
            name: data.name.clone(),
            language: data.language,
            email: data.email.clone(),
            mobile: data.mobile.clone(),
            channels: data.channels.clone(),
            consents: data.consents,
            e_invoice: data.e_invoice,
            as_of,
        }
    }
}

/// Who holds a contract and where it is supplied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractHolder {
    pub tenant_id: TenantId,
    pub contract_id: ContractId,
    pub customer_id: CustomerId,
    pub supply_point: SupplyPoint,
    pub as_of: Timestamp,
}

/// An invoice as avisa keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub tenant_id: TenantId,
    pub contract_id: ContractId,
    pub number: InvoiceNumber,
    pub period: Period,
    pub issue_date: Date,
    pub due_date: Date,
    pub total: Money,
    pub direct_debit: bool,
    pub pdf: Option<Document>,
}

impl Invoice {
    pub fn from_event(tenant_id: &TenantId, contract_id: &ContractId, data: &InvoiceIssued) -> Self {
        Self {
            tenant_id: tenant_id.clone(),
            contract_id: contract_id.clone(),
            number: data.number.clone(),
            period: data.period,
            issue_date: data.issue_date,
            due_date: data.due_date,
            total: data.total(),
            direct_debit: data.direct_debit,
            pdf: data.pdf.clone(),
        }
    }
}
