use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::chat::ports::{AppointmentStore, ConversationStore, CustomerLookup, IncidentStore};
use avisa_domain::chat::{Appointment, Conversation, Incident, State};
use avisa_domain::complaints::Complaint;
use avisa_domain::complaints::ports::ComplaintStore;
use avisa_domain::contact::PhoneE164;
use avisa_domain::ids::{ContractId, CustomerId, TenantId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::accounts::{contracts_of_pk, customer_pk};
use super::{DynamoStore, Item, from_item, s, to_item};

fn conversation_pk(tenant_id: &TenantId, phone: &PhoneE164) -> String {
    format!("T#{tenant_id}#CONV#{}", phone.as_str())
}

/// A record listed newest first through gsi3 (`{list}`, `{at ms}#{reference}`).
pub(super) fn listed(tenant_id: &TenantId, list: &str, at_ms: i64, reference: &str) -> [(&'static str, String); 2] {
    [("gsi3pk", format!("T#{tenant_id}#{list}")), ("gsi3sk", format!("{at_ms:015}#{reference}"))]
}

impl DynamoStore {
    /// The newest `limit` records of a gsi3 list.
    async fn newest<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        pk: String,
        limit: usize,
        ascending: bool,
    ) -> Result<Vec<T>, PortError> {
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .scan_index_forward(ascending)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let items = query.send().await.map_err(|e| crate::error::classify(operation, e))?.items.unwrap_or_default();
        items.into_iter().map(|item| from_item(operation, item)).collect()
    }

    /// Saves a versioned record over the version read (`None`: none stored yet); the stored
    /// version is one more.
    async fn save_record<T: Serialize>(
        &self,
        operation: &'static str,
        record: &T,
        keys: &[(&str, String)],
        read: Option<u32>,
    ) -> Result<bool, PortError> {
        let mut item: Item = to_item(operation, record, keys)?;
        item.insert("version".to_owned(), super::n(i64::from(read.unwrap_or(0)) + 1));
        self.put_versioned(operation, item, read).await
    }

    /// Files a new record as it is (version 0); `false` when one with its key exists.
    pub(super) async fn file_record<T: Serialize>(
        &self,
        operation: &'static str,
        record: &T,
        keys: &[(&str, String)],
    ) -> Result<bool, PortError> {
        self.put_versioned(operation, to_item(operation, record, keys)?, None).await
    }
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn conversation(&self, tenant_id: &TenantId, phone: &PhoneE164) -> Result<Option<Conversation>, PortError> {
        self.get("dynamodb.GetItem(conversation)", &conversation_pk(tenant_id, phone), "STATE").await
    }

    async fn save(&self, conversation: &Conversation) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(conversation)";
        let mut keys =
            vec![("pk", conversation_pk(&conversation.tenant_id, &conversation.phone)), ("sk", "STATE".to_owned())];
        // Only conversations waiting for staff are in the waiting list.
        if let State::WaitingForAgent { since } = conversation.state {
            keys.extend(listed(
                &conversation.tenant_id,
                "WAITING",
                since.as_millisecond(),
                conversation.phone.as_str(),
            ));
        }
        // Nor are conversations in an agent's hands in any but theirs.
        if let State::WithAgent { .. } = conversation.state {
            keys.extend(listed(
                &conversation.tenant_id,
                "WITH_AGENT",
                conversation.updated_at.as_millisecond(),
                conversation.phone.as_str(),
            ));
        }
        // A conversation at version 0 has not been stored yet.
        let read = (conversation.version > 0).then_some(conversation.version);
        self.save_record(OPERATION, conversation, &keys, read).await
    }

    async fn waiting(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, PortError> {
        self.newest("dynamodb.Query(waiting conversations)", format!("T#{tenant_id}#WAITING"), 100, true).await
    }

    async fn with_agent(&self, tenant_id: &TenantId) -> Result<Vec<Conversation>, PortError> {
        self.newest("dynamodb.Query(conversations with agents)", format!("T#{tenant_id}#WITH_AGENT"), 200, false).await
    }
}

fn incident_keys(incident: &Incident) -> Vec<(&'static str, String)> {
    let mut keys =
        vec![("pk", format!("T#{}#INCIDENT#{}", incident.tenant_id, incident.reference)), ("sk", "META".to_owned())];
    keys.extend(listed(&incident.tenant_id, "INCIDENTS", incident.requested_at.as_millisecond(), &incident.reference));
    keys
}

#[async_trait]
impl IncidentStore for DynamoStore {
    async fn file(&self, incident: &Incident) -> Result<bool, PortError> {
        self.file_record("dynamodb.PutItem(incident)", incident, &incident_keys(incident)).await
    }

    async fn incident(&self, tenant_id: &TenantId, reference: &str) -> Result<Option<Incident>, PortError> {
        self.get("dynamodb.GetItem(incident)", &format!("T#{tenant_id}#INCIDENT#{reference}"), "META").await
    }

    async fn incidents(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Incident>, PortError> {
        self.newest("dynamodb.Query(incidents)", format!("T#{tenant_id}#INCIDENTS"), limit, false).await
    }

    async fn update(&self, incident: &Incident) -> Result<bool, PortError> {
        self.save_record(
            "dynamodb.PutItem(incident update)",
            incident,
            &incident_keys(incident),
            Some(incident.version),
        )
        .await
    }
}

fn appointment_keys(appointment: &Appointment) -> Vec<(&'static str, String)> {
    let mut keys = vec![
        ("pk", format!("T#{}#APPOINTMENT#{}", appointment.tenant_id, appointment.reference)),
        ("sk", "META".to_owned()),
    ];
    keys.extend(listed(
        &appointment.tenant_id,
        "APPOINTMENTS",
        appointment.requested_at.as_millisecond(),
        &appointment.reference,
    ));
    keys
}

#[async_trait]
impl AppointmentStore for DynamoStore {
    async fn request(&self, appointment: &Appointment) -> Result<bool, PortError> {
        self.file_record("dynamodb.PutItem(appointment)", appointment, &appointment_keys(appointment)).await
    }

    async fn appointment(&self, tenant_id: &TenantId, reference: &str) -> Result<Option<Appointment>, PortError> {
        self.get("dynamodb.GetItem(appointment)", &format!("T#{tenant_id}#APPOINTMENT#{reference}"), "META").await
    }

    async fn appointments(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<Appointment>, PortError> {
        self.newest("dynamodb.Query(appointments)", format!("T#{tenant_id}#APPOINTMENTS"), limit, false).await
    }

    async fn update(&self, appointment: &Appointment) -> Result<bool, PortError> {
        self.save_record(
            "dynamodb.PutItem(appointment update)",
            appointment,
            &appointment_keys(appointment),
            Some(appointment.version),
        )
        .await
    }
}

fn complaint_keys(complaint: &Complaint) -> Vec<(&'static str, String)> {
    let mut keys =
        vec![("pk", format!("T#{}#COMPLAINT#{}", complaint.tenant_id, complaint.reference)), ("sk", "META".to_owned())];
    keys.extend(listed(&complaint.tenant_id, "COMPLAINTS", complaint.filed_at.as_millisecond(), &complaint.reference));
    keys
}

#[async_trait]
impl ComplaintStore for DynamoStore {
    async fn file(&self, complaint: &Complaint) -> Result<bool, PortError> {
        self.file_record("dynamodb.PutItem(complaint)", complaint, &complaint_keys(complaint)).await
    }

    async fn complaint(&self, tenant_id: &TenantId, reference: &str) -> Result<Option<Complaint>, PortError> {
        self.get("dynamodb.GetItem(complaint)", &format!("T#{tenant_id}#COMPLAINT#{reference}"), "META").await
    }

    async fn complaints(&self, tenant_id: &TenantId) -> Result<Vec<Complaint>, PortError> {
        self.newest("dynamodb.Query(complaints)", format!("T#{tenant_id}#COMPLAINTS"), 1000, false).await
    }

    async fn update(&self, complaint: &Complaint) -> Result<bool, PortError> {
        self.save_record(
            "dynamodb.PutItem(complaint update)",
            complaint,
            &complaint_keys(complaint),
            Some(complaint.version),
        )
        .await
    }
}

/// The table's key of an index entry (gsi2 projects keys only).
fn key_of(item: &Item, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

#[async_trait]
impl CustomerLookup for DynamoStore {
    async fn customer_by_phone(
        &self,
        tenant_id: &TenantId,
        phone: &PhoneE164,
    ) -> Result<Option<CustomerId>, PortError> {
        const OPERATION: &str = "dynamodb.Query(gsi2 phone)";
        let items = self.query_index(OPERATION, "gsi2", format!("T#{tenant_id}#PHONE#{}", phone.as_str())).await?;
        let prefix = customer_pk(tenant_id, &CustomerId::parse("x").map_err(|e| PortError::permanent(OPERATION, e))?);
        let prefix = prefix.trim_end_matches('x');
        Ok(items
            .iter()
            .find_map(|item| key_of(item, "pk").strip_prefix(prefix).and_then(|id| CustomerId::parse(id).ok())))
    }

    async fn contracts_of(&self, tenant_id: &TenantId, customer_id: &CustomerId) -> Result<Vec<ContractId>, PortError> {
        const OPERATION: &str = "dynamodb.Query(gsi2 customer contracts)";
        let items = self.query_index(OPERATION, "gsi2", contracts_of_pk(tenant_id, customer_id)).await?;
        let prefix = format!("T#{tenant_id}#CONTRACT#");
        Ok(items
            .iter()
            .filter_map(|item| key_of(item, "pk").strip_prefix(&prefix).and_then(|id| ContractId::parse(id).ok()))
            .collect())
    }
}
