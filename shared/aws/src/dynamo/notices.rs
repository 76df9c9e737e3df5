use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::contact::PhoneE164;
use avisa_domain::ids::{ContractId, NoticeId, TenantId};
use avisa_domain::notice::{Destination, Notice};
use avisa_domain::ports::NoticeStore;

use super::notice_item::{notice_item, notice_of};
use super::{DynamoStore, s, text};
use crate::error::classify;

pub(crate) fn history_pk(tenant_id: &TenantId, contract_id: &ContractId) -> String {
    format!("T#{tenant_id}#CONTRACT#{contract_id}#NOTICES")
}

/// The notices to a number that are about no contract (chat replies).
pub(crate) fn phone_notices_pk(tenant_id: &TenantId, phone: &PhoneE164) -> String {
    format!("T#{tenant_id}#PHONE#{}#NOTICES", phone.as_str())
}

/// A notice's place in its list: fixed-width milliseconds sort as time does (RFC 3339 with
/// varying fractions would not), then its id.
fn history_sk(notice: &Notice) -> String {
    format!("{:015}#{}", notice.created_at.as_millisecond(), notice.notice_id)
}

/// When a notice was created, from its place in a list (see [`history_sk`]).
pub(crate) fn created_of_history_sk(sk: &str) -> Option<jiff::Timestamp> {
    let (millis, _) = sk.split_once('#')?;
    jiff::Timestamp::from_millisecond(millis.parse().ok()?).ok()
}

pub(crate) fn notice_pk(tenant_id: &TenantId, notice_id: &NoticeId) -> String {
    format!("T#{tenant_id}#NOTICE#{notice_id}")
}

#[async_trait]
impl NoticeStore for DynamoStore {
    async fn create(&self, notice: &Notice) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(notice)";
        let mut keys = vec![("pk", notice_pk(&notice.tenant_id, &notice.notice_id)), ("sk", "NOTICE".to_owned())];
        // A contract's history; a chat reply to someone with no contract is listed by their
        // number, so that erasing them finds it.
        let listed = match &notice.contract_id {
            Some(contract_id) => Some(history_pk(&notice.tenant_id, contract_id)),
            None => notice.messages.iter().find_map(|m| match &m.destination {
                Destination::Whatsapp(phone) | Destination::Sms(phone) => {
                    Some(phone_notices_pk(&notice.tenant_id, phone))
                }
                _ => None,
            }),
        };
        if let Some(list) = listed {
            // Listed by key only (gsi2): a history reads its few notices from the table.
            keys.push(("gsi2pk", list));
            keys.push(("gsi2sk", history_sk(notice)));
        }
        // The tenant's notices by day, for the delivery report (gsi5, with the channels it reads).
        keys.extend(super::ledger::day_keys(&notice.tenant_id, &notice.notice_id, notice.created_at));
        self.put_new(OPERATION, notice_item(OPERATION, notice, &keys)?).await
    }

    async fn notice(&self, tenant_id: &TenantId, notice_id: &NoticeId) -> Result<Option<Notice>, PortError> {
        const OPERATION: &str = "dynamodb.GetItem(notice)";
        let item = self.get_item(OPERATION, &notice_pk(tenant_id, notice_id), "NOTICE").await?;
        item.map(|item| notice_of(OPERATION, item)).transpose()
    }

    async fn notices_among(&self, tenant_id: &TenantId, notice_ids: &[NoticeId]) -> Result<Vec<Notice>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(notices)";
        let keys = notice_ids.iter().map(|id| (notice_pk(tenant_id, id), "NOTICE".to_owned())).collect();
        self.batch_get(OPERATION, keys).await?.into_iter().map(|item| notice_of(OPERATION, item)).collect()
    }

    async fn history(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        limit: usize,
    ) -> Result<Vec<Notice>, PortError> {
        const OPERATION: &str = "dynamodb.Query(history)";
        const READ: &str = "dynamodb.BatchGetItem(history)";
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi2")
            .key_condition_expression("gsi2pk = :pk")
            .expression_attribute_values(":pk", s(history_pk(tenant_id, contract_id)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        let newest_first: Vec<&str> = output.items().iter().filter_map(|entry| text(entry, "pk")).collect();
        let keys = newest_first.iter().map(|pk| ((*pk).to_owned(), "NOTICE".to_owned())).collect();
        let mut found = self.batch_get(READ, keys).await?;
        found.sort_by_key(|item| text(item, "pk").and_then(|pk| newest_first.iter().position(|p| *p == pk)));
        found.into_iter().map(|item| notice_of(READ, item)).collect()
    }
}
