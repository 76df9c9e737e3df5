//! The delivery ledger: a tenant's notices by the day they were created (gsi5, in a few shards so
//! a city's billing run does not write one hot index partition; it holds only what the report
//! reads of a notice), each with its delivery records read in batches of a hundred.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::channel::Channel;
use avisa_domain::deliveries::{Delivery, DeliveryLedger, DeliveryState, NoticeDeliveries, without_addresses};
use avisa_domain::ids::{ContractId, NoticeId, TenantId};
use avisa_domain::notice::NoticeKind;
use avisa_domain::ports::DeliveryStatus;
use jiff::Timestamp;
use jiff::civil::Date;

use super::notices::notice_pk;
use super::{DynamoStore, from_item, s, text};

/// Index partitions per tenant and day: each takes a quarter of a day's notices.
pub(crate) const DAY_SHARDS: u8 = 4;

/// The index key of a notice created at `at`: its tenant, its UTC day, and a shard from its id.
pub(crate) fn day_keys(tenant_id: &TenantId, notice_id: &NoticeId, at: Timestamp) -> [(&'static str, String); 2] {
    let day = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let shard = notice_id.as_str().bytes().last().map_or(0, |b| b % DAY_SHARDS);
    [("gsi5pk", day_pk(tenant_id, day, shard)), ("gsi5sk", format!("{:015}#{notice_id}", at.as_millisecond()))]
}

fn day_pk(tenant_id: &TenantId, day: Date, shard: u8) -> String {
    format!("T#{tenant_id}#NOTICES#{day}#{shard}")
}

/// What the ledger reads of a notice item, all of it in the day index (the template's gsi5
/// projection): never its addresses or content.
#[derive(serde::Deserialize)]
struct NoticeHead {
    notice_id: NoticeId,
    kind: NoticeKind,
    #[serde(default)]
    contract_id: Option<ContractId>,
    created_at: Timestamp,
    /// The channel of each of its messages, in order.
    channels: Vec<Channel>,
}

/// A delivery record's fields (see the claims adapter).
#[derive(serde::Deserialize)]
struct DeliveryItem {
    sk: String,
    status: String,
    #[serde(default)]
    rejection_code: Option<String>,
    #[serde(default)]
    rejection_detail: Option<String>,
    #[serde(default)]
    delivery_status: Option<DeliveryStatus>,
    #[serde(default)]
    status_detail: Option<String>,
}

impl DeliveryItem {
    fn state(self) -> DeliveryState {
        match (self.status.as_str(), self.delivery_status) {
            (_, Some(status)) => {
                DeliveryState::Reported { status, detail: without_addresses(&self.status_detail.unwrap_or_default()) }
            }
            ("SENT", None) => DeliveryState::Sent,
            ("REJECTED", None) => DeliveryState::Refused {
                reason: without_addresses(&match (self.rejection_code, self.rejection_detail) {
                    (Some(code), Some(detail)) => format!("{code}: {detail}"),
                    (code, detail) => detail.or(code).unwrap_or_default(),
                }),
            },
            // Being sent, given back to be retried, or its outcome not known yet.
            _ => DeliveryState::Pending,
        }
    }
}

#[async_trait]
impl DeliveryLedger for DynamoStore {
    async fn notices_of_day(&self, tenant_id: &TenantId, day: Date) -> Result<Vec<NoticeDeliveries>, PortError> {
        const OPERATION: &str = "dynamodb.Query(notices of a day)";
        let mut heads = Vec::new();
        for shard in 0..DAY_SHARDS {
            let query = self
                .query()
                .index_name("gsi5")
                .key_condition_expression("gsi5pk = :pk")
                .expression_attribute_values(":pk", s(day_pk(tenant_id, day, shard)));
            for item in Self::query_all(OPERATION, query).await? {
                heads.push(from_item::<NoticeHead>(OPERATION, item)?);
            }
        }
        heads.sort_by(|a, b| (a.created_at, &a.notice_id).cmp(&(b.created_at, &b.notice_id)));
        self.with_deliveries(tenant_id, heads).await
    }

    async fn notices(&self, tenant_id: &TenantId, notice_ids: &[NoticeId]) -> Result<Vec<NoticeDeliveries>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(notices)";
        let keys = notice_ids.iter().map(|id| (notice_pk(tenant_id, id), "NOTICE".to_owned())).collect();
        let heads = self
            .batch_get(OPERATION, keys)
            .await?
            .into_iter()
            .map(|item| from_item::<NoticeHead>(OPERATION, item))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_deliveries(tenant_id, heads).await
    }
}

impl DynamoStore {
    /// Each notice with the record of each of its channels (a channel with none is pending; paper
    /// goes to the print batch, which keeps no delivery record).
    async fn with_deliveries(
        &self,
        tenant_id: &TenantId,
        heads: Vec<NoticeHead>,
    ) -> Result<Vec<NoticeDeliveries>, PortError> {
        const OPERATION: &str = "dynamodb.BatchGetItem(deliveries)";
        let keys = heads
            .iter()
            .flat_map(|head| {
                head.channels
                    .iter()
                    .filter(|channel| **channel != Channel::Paper)
                    .map(|channel| (notice_pk(tenant_id, &head.notice_id), format!("DELIVERY#{}", channel.as_str())))
            })
            .collect();
        let mut records: std::collections::HashMap<(String, String), DeliveryItem> = std::collections::HashMap::new();
        for item in self.batch_get(OPERATION, keys).await? {
            let pk = text(&item, "pk").unwrap_or_default().to_owned();
            let record: DeliveryItem = from_item(OPERATION, item)?;
            records.insert((pk, record.sk.clone()), record);
        }
        Ok(heads
            .into_iter()
            .map(|head| {
                let pk = notice_pk(tenant_id, &head.notice_id);
                let deliveries = head
                    .channels
                    .iter()
                    .map(|&channel| {
                        let state = match channel {
                            Channel::Paper => DeliveryState::Letter,
                            _ => records
                                .remove(&(pk.clone(), format!("DELIVERY#{}", channel.as_str())))
                                .map_or(DeliveryState::Pending, DeliveryItem::state),
                        };
                        Delivery { channel, state }
                    })
                    .collect();
                NoticeDeliveries {
                    notice_id: head.notice_id,
                    kind: head.kind,
                    contract_id: head.contract_id,
                    created_at: head.created_at,
                    deliveries,
                }
            })
            .collect())
    }
}
