//! Idempotency claims: a conditional write claims a business key before the side effect.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::notice::Channel;
use avisa_domain::ports::{Claim, ClaimKey, ClaimOutcome, Claims, DeliveryRecords, DeliveryStatus};
use jiff::{SignedDuration, Timestamp};

use super::{DynamoStore, Item, n, s};
use crate::error::{classify, is_condition_failure};

const IN_PROGRESS: &str = "IN_PROGRESS";
/// Billing-event and inbound-message claims are kept this long, so a replay within the window is
/// recognised (Meta retries a webhook for days).
const EVENT_RETENTION: SignedDuration = SignedDuration::from_hours(35 * 24);

fn keys(key: &ClaimKey) -> (String, String) {
    match key {
        ClaimKey::Event { tenant_id, event_id } => (format!("T#{tenant_id}#EVENT#{event_id}"), "EVENT".to_owned()),
        ClaimKey::Delivery { tenant_id, notice_id, channel } => {
            (format!("T#{tenant_id}#NOTICE#{notice_id}"), format!("DELIVERY#{}", channel.as_str()))
        }
        ClaimKey::Inbound { tenant_id, message_id } => {
            (format!("T#{tenant_id}#INBOUND#{message_id}"), "INBOUND".to_owned())
        }
    }
}

#[async_trait]
impl Claims for DynamoStore {
    async fn acquire(&self, key: &ClaimKey, now: Timestamp, lease: SignedDuration) -> Result<Claim, PortError> {
        const OPERATION: &str = "dynamodb.PutItem(claim)";
        let (pk, sk) = keys(key);
        let lease_until = now.checked_add(lease).map_err(|e| PortError::permanent(OPERATION, e))?;
        let mut item = Item::from([
            ("pk".to_owned(), s(&pk)),
            ("sk".to_owned(), s(&sk)),
            ("status".to_owned(), s(IN_PROGRESS)),
            ("claimed_at".to_owned(), s(now.to_string())),
            ("lease_until".to_owned(), n(lease_until.as_second())),
        ]);
        if let ClaimKey::Event { .. } | ClaimKey::Inbound { .. } = key {
            let expires = now.checked_add(EVENT_RETENTION).map_err(|e| PortError::permanent(OPERATION, e))?;
            item.insert("expires_at".to_owned(), n(expires.as_second()));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR (#status = :in_progress AND lease_until < :now)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .expression_attribute_values(":now", n(now.as_second()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(e) if is_condition_failure(&e) => {
                #[derive(serde::Deserialize)]
                struct Status {
                    status: String,
                }
                let held: Option<Status> = self.get("dynamodb.GetItem(claim)", &pk, &sk).await?;
                Ok(match held {
                    Some(Status { status }) if status != IN_PROGRESS => Claim::Completed,
                    // Still held, or released in between: either way, try again later.
                    _ => Claim::HeldElsewhere,
                })
            }
            Err(e) => Err(classify(OPERATION, e)),
        }
    }

    async fn complete(&self, key: &ClaimKey, now: Timestamp, outcome: &ClaimOutcome) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(claim)";
        let (pk, sk) = keys(key);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":completed_at", s(now.to_string()));
        let (status, extra) = match outcome {
            ClaimOutcome::Applied => ("APPLIED", String::new()),
            ClaimOutcome::Sent { provider_message_id } => {
                update = update.expression_attribute_values(":provider_message_id", s(provider_message_id));
                ("SENT", ", provider_message_id = :provider_message_id".to_owned())
            }
            ClaimOutcome::Rejected(rejection) => {
                let code = serde_json::to_value(rejection.code).ok().and_then(|v| v.as_str().map(str::to_owned));
                update = update
                    .expression_attribute_values(":code", s(code.unwrap_or_default()))
                    .expression_attribute_values(":detail", s(&rejection.detail));
                ("REJECTED", ", rejection_code = :code, rejection_detail = :detail".to_owned())
            }
        };
        update
            .update_expression(format!("SET #status = :status, completed_at = :completed_at{extra} REMOVE lease_until"))
            .expression_attribute_values(":status", s(status))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        Ok(())
    }

    async fn release(&self, key: &ClaimKey) -> Result<(), PortError> {
        let (pk, sk) = keys(key);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Completed in the meantime: nothing to give back.
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(classify("dynamodb.DeleteItem(claim)", e)),
        }
    }
}

#[async_trait]
impl DeliveryRecords for DynamoStore {
    async fn record_status(
        &self,
        key: &ClaimKey,
        status: DeliveryStatus,
        detail: &str,
        at: Timestamp,
    ) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(delivery status)";
        let (pk, sk) = keys(key);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET delivery_status = :status, status_detail = :detail, status_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":detail", s(detail))
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(PortError::permanent(
                OPERATION,
                std::io::Error::other("no such delivery: the provider reports on a message avisa has no record of"),
            )),
            Err(e) => Err(classify(OPERATION, e)),
        }
    }

    async fn link_provider_id(&self, provider_message_id: &str, key: &ClaimKey) -> Result<(), PortError> {
        let ClaimKey::Delivery { tenant_id, notice_id, channel } = key else {
            return Err(PortError::permanent("link_provider_id", std::io::Error::other("not a delivery")));
        };
        // Provider ids are global (WhatsApp's wamid): the one key without a tenant, which it names.
        let item = Item::from([
            ("pk".to_owned(), s(format!("PROVIDER#{provider_message_id}"))),
            ("sk".to_owned(), s("DELIVERY")),
            ("tenant_id".to_owned(), s(tenant_id.as_str())),
            ("notice_id".to_owned(), s(notice_id.as_str())),
            ("channel".to_owned(), s(channel.as_str())),
        ]);
        self.put("dynamodb.PutItem(provider id)", item).await
    }

    async fn by_provider_id(&self, provider_message_id: &str) -> Result<Option<ClaimKey>, PortError> {
        #[derive(serde::Deserialize)]
        struct Link {
            tenant_id: TenantId,
            notice_id: NoticeId,
            channel: Channel,
        }
        let link: Option<Link> =
            self.get("dynamodb.GetItem(provider id)", &format!("PROVIDER#{provider_message_id}"), "DELIVERY").await?;
        Ok(link.map(|l| ClaimKey::Delivery { tenant_id: l.tenant_id, notice_id: l.notice_id, channel: l.channel }))
    }
}
