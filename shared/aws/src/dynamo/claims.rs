//! Idempotency claims: a conditional write claims a business key before the side effect.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::channel::Channel;
use avisa_domain::ids::{NoticeId, TenantId};
use avisa_domain::ports::{
    Before, Claim, ClaimKey, ClaimOutcome, Claims, DeliveryRecords, DeliveryStatus, Held, Release,
};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use jiff::{SignedDuration, Timestamp};

use super::{DynamoStore, Item, n, s};
use crate::error::{classify, is_condition_failure};

/// Billing-event and inbound-message claims are kept this long, so a replay within the window is
/// recognised (Meta retries a webhook for days).
const EVENT_RETENTION: SignedDuration = SignedDuration::from_hours(35 * 24);

fn keys(key: &ClaimKey) -> (String, String) {
    match key {
        ClaimKey::Event { tenant_id, event_id } => (format!("T#{tenant_id}#EVENT#{event_id}"), "EVENT".to_owned()),
        ClaimKey::Delivery { tenant_id, notice_id, channel } => {
            (format!("T#{tenant_id}#NOTICE#{notice_id}"), format!("DELIVERY#{}", channel.as_str()))
        }
        // WhatsApp's message ids encode the citizen's number: the key holds a digest of it.
        ClaimKey::Inbound { tenant_id, message_id } => {
            use sha2::Digest;
            let digest = hex::encode(sha2::Sha256::digest(message_id.as_bytes()));
            (format!("T#{tenant_id}#INBOUND#{digest}"), "INBOUND".to_owned())
        }
    }
}

/// The claim's state names, as stored.
mod status {
    pub const APPLIED: &str = "APPLIED";
    pub const IN_PROGRESS: &str = "IN_PROGRESS";
    pub const RELEASED: &str = "RELEASED";
    pub const UNKNOWN: &str = "UNKNOWN";
    pub const REJECTED: &str = "REJECTED";
}

/// What a failed acquire found in the item.
#[derive(serde::Deserialize)]
struct Found {
    status: String,
    #[serde(default)]
    claim_token: Option<String>,
}

fn before(found: Option<&Found>) -> Option<Before> {
    found.map(|found| match found.status.as_str() {
        status::IN_PROGRESS => Before::LeaseExpired,
        status::UNKNOWN => Before::OutcomeUnknown,
        status::REJECTED => Before::Rejected,
        _ => Before::Released,
    })
}

fn found(item: Option<&Item>) -> Option<Found> {
    item.and_then(|item| serde_dynamo::from_item(item.clone()).ok())
}

#[async_trait]
impl Claims for DynamoStore {
    async fn acquire(
        &self,
        key: &ClaimKey,
        now: Timestamp,
        lease: SignedDuration,
        retake_rejected: bool,
    ) -> Result<Claim, PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(claim)";
        let (pk, sk) = keys(key);
        let lease_until = now.checked_add(lease).map_err(|e| PortError::permanent(OPERATION, e))?;
        // A token of this attempt's own: a write of ours retried after its answer was lost finds
        // the claim held by us, not by someone else.
        let token = format!("{:016x}", fastrand::u64(..));
        let mut sets = String::from(
            "SET #status = :in_progress, claim_token = :token, claimed_at = :claimed_at, lease_until = :lease_until, \
             attempts = if_not_exists(attempts, :zero) + :one",
        );
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(&sk))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(status::IN_PROGRESS))
            .expression_attribute_values(":token", s(&token))
            .expression_attribute_values(":claimed_at", s(now.to_string()))
            .expression_attribute_values(":lease_until", n(lease_until.as_second()))
            .expression_attribute_values(":now", n(now.as_second()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":released", s(status::RELEASED))
            .expression_attribute_values(":unknown", s(status::UNKNOWN));
        let expires = match key {
            ClaimKey::Event { .. } | ClaimKey::Inbound { .. } => {
                Some(now.checked_add(EVENT_RETENTION).map_err(|e| PortError::permanent(OPERATION, e))?.as_second())
            }
            // A delivery record (its provider id derives from the citizen's number) goes with its
            // notice, by the tenant's retention.
            ClaimKey::Delivery { .. } => self.expiry_of(&pk, &sk).await?,
        };
        if let Some(expires) = expires {
            update = update.expression_attribute_values(":expires", n(expires));
            sets.push_str(", expires_at = :expires");
        }
        let mut retakable = "#status = :released OR #status = :unknown".to_owned();
        if retake_rejected {
            update = update.expression_attribute_values(":rejected", s(status::REJECTED));
            retakable.push_str(" OR #status = :rejected");
        }
        let result = update
            .update_expression(format!("{sets} REMOVE rejection_code, rejection_detail, completed_at"))
            .condition_expression(format!(
                "attribute_not_exists(pk) OR (#status = :in_progress AND lease_until < :now) OR {retakable}"
            ))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let failure = match result {
            Ok(output) => {
                let before = before(found(output.attributes.as_ref()).as_ref());
                return Ok(Claim::Acquired(Held { token, before }));
            }
            Err(e) if is_condition_failure(&e) => e,
            Err(e) => return Err(classify(OPERATION, e)),
        };
        let returned = failure.as_service_error().and_then(|e| match e {
            UpdateItemError::ConditionalCheckFailedException(failed) => failed.item.clone(),
            _ => None,
        });
        let held = match returned {
            Some(item) => found(Some(&item)),
            None => self.get("dynamodb.GetItem(claim)", &pk, &sk).await?,
        };
        Ok(match held {
            // Our own write, applied before its answer was lost and retried by the SDK.
            Some(Found { claim_token: Some(held_by), .. }) if held_by == token => {
                Claim::Acquired(Held { token, before: None })
            }
            Some(Found { status, .. })
                if ![status::IN_PROGRESS, status::RELEASED, status::UNKNOWN].contains(&status.as_str()) =>
            {
                Claim::Completed
            }
            // Still held, or given back in between: either way, try again later.
            _ => Claim::HeldElsewhere,
        })
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
            ClaimOutcome::Applied => (status::APPLIED, String::new()),
            ClaimOutcome::Sent { provider_message_id } => {
                update = update.expression_attribute_values(":provider_message_id", s(provider_message_id));
                ("SENT", ", provider_message_id = :provider_message_id".to_owned())
            }
            ClaimOutcome::Rejected(rejection) => {
                let code = serde_json::to_value(rejection.code).ok().and_then(|v| v.as_str().map(str::to_owned));
                update = update
                    .expression_attribute_values(":code", s(code.unwrap_or_default()))
                    .expression_attribute_values(":detail", s(&rejection.detail));
                (status::REJECTED, ", rejection_code = :code, rejection_detail = :detail".to_owned())
            }
        };
        update
            .update_expression(format!(
                "SET #status = :status, completed_at = :completed_at{extra} REMOVE lease_until, claim_token"
            ))
            .expression_attribute_values(":status", s(status))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        Ok(())
    }

    /// A batch's billing events in one `BatchWriteItem`: each claim's item put whole, as
    /// [`Claims::complete`] would leave it (a completion keeps no condition either). Any other
    /// claim, whose item holds more (a delivery's record), is completed alone.
    async fn complete_applied(&self, events: &[ClaimKey], now: Timestamp) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.BatchWriteItem(claims)";
        let expires = now.checked_add(EVENT_RETENTION).map_err(|e| PortError::permanent(OPERATION, e))?.as_second();
        let mut items = Vec::new();
        for key in events {
            if !matches!(key, ClaimKey::Event { .. }) {
                self.complete(key, now, &ClaimOutcome::Applied).await?;
                continue;
            }
            let (pk, sk) = keys(key);
            items.push(Item::from([
                ("pk".to_owned(), s(pk)),
                ("sk".to_owned(), s(sk)),
                ("status".to_owned(), s(status::APPLIED)),
                ("completed_at".to_owned(), s(now.to_string())),
                ("expires_at".to_owned(), n(expires)),
            ]));
        }
        self.batch_put(OPERATION, items).await
    }

    async fn release(&self, key: &ClaimKey, held: &Held, how: Release<'_>) -> Result<(), PortError> {
        let (pk, sk) = keys(key);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("#status = :in_progress AND claim_token = :token")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(status::IN_PROGRESS))
            .expression_attribute_values(":token", s(&held.token));
        update = match how {
            Release::NotDone => update
                .update_expression("SET #status = :released REMOVE lease_until, claim_token")
                .expression_attribute_values(":released", s(status::RELEASED)),
            // Kept on the record: how often a send's outcome was not known.
            Release::MaybeDone { why } => update
                .update_expression(
                    "SET #status = :unknown, unknown_detail = :why ADD unknown_outcomes :one REMOVE lease_until, claim_token",
                )
                .expression_attribute_values(":unknown", s(status::UNKNOWN))
                .expression_attribute_values(":why", s(why))
                .expression_attribute_values(":one", n(1)),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            // Not ours any more (its lease ran out and another took it): nothing to give back.
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(classify("dynamodb.UpdateItem(release claim)", e)),
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
    ) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(delivery status)";
        let (pk, sk) = keys(key);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(
                "SET delivery_status = :status, status_rank = :rank, status_detail = :detail, status_at = :at",
            )
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(status_rank) OR status_rank < :rank)")
            // Tells a delivery further along (kept as it is) from one that does not exist.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":rank", n(i64::from(status.rank())))
            .expression_attribute_values(":detail", s(detail))
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => {
                let existed = matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(failed)) if failed.item.is_some()
                );
                if existed {
                    Ok(false)
                } else {
                    Err(PortError::permanent(
                        OPERATION,
                        std::io::Error::other(
                            "no such delivery: the provider reports on a message avisa has no record of",
                        ),
                    ))
                }
            }
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
