//! The console's sessions (by the digest of their id, gone from the table after they expire) and
//! each tenant's audit log of staff actions (newest first, kept two years).

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::staff::{AuditEntry, AuditLog, CannedReplies, CannedReply, Session, SessionStore};

use super::{DynamoStore, n, s, to_item};
use crate::error::classify;

fn session_pk(digest: &str) -> String {
    format!("SESSION#{digest}")
}

fn member_sessions(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#SESSIONS")
}

fn audit_pk(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#AUDIT")
}

/// How long what staff did stays readable by the tenant's administrators.
const AUDIT_KEPT_SECONDS: i64 = 2 * 366 * 24 * 3600;

#[async_trait]
impl SessionStore for DynamoStore {
    async fn start(&self, digest: &str, session: &Session) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(session)";
        // Listed per member, so that disabling them ends every session they have.
        let listed = [
            ("pk", session_pk(digest)),
            ("sk", "SESSION".to_owned()),
            ("gsi3pk", member_sessions(&session.member.tenant_id)),
            ("gsi3sk", format!("{}#{digest}", session.member.username)),
        ];
        let mut item = to_item(OPERATION, session, &listed)?;
        item.insert("expires_at".to_owned(), n(session.ends_at.as_second()));
        self.put(OPERATION, item).await
    }

    async fn session(&self, digest: &str) -> Result<Option<Session>, PortError> {
        self.get("dynamodb.GetItem(session)", &session_pk(digest), "SESSION").await
    }

    async fn end_all(&self, tenant_id: &TenantId, username: &str) -> Result<usize, PortError> {
        const OPERATION: &str = "dynamodb.Query(sessions of a member)";
        let query = self
            .query()
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk AND begins_with(gsi3sk, :member)")
            .expression_attribute_values(":pk", s(member_sessions(tenant_id)))
            .expression_attribute_values(":member", s(format!("{username}#")));
        let sessions = Self::query_all(OPERATION, query).await?;
        for item in &sessions {
            let digest = item.get("gsi3sk").and_then(|v| v.as_s().ok()).and_then(|k| k.rsplit('#').next());
            if let Some(digest) = digest {
                self.end(digest).await?;
            }
        }
        Ok(sessions.len())
    }

    async fn end(&self, digest: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(digest)))
            .key("sk", s("SESSION"))
            .send()
            .await
            .map_err(|e| classify("dynamodb.DeleteItem(session)", e))?;
        Ok(())
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn record(&self, entry: &AuditEntry) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(audit entry)";
        // Two actions in one millisecond stay two entries.
        let sk = format!("{:015}#{:08x}", entry.at.as_millisecond(), fastrand::u32(..));
        let mut item = to_item(OPERATION, entry, &[("pk", audit_pk(&entry.tenant_id)), ("sk", sk)])?;
        item.insert("expires_at".to_owned(), n(entry.at.as_second() + AUDIT_KEPT_SECONDS));
        self.put(OPERATION, item).await
    }

    async fn recent(&self, tenant_id: &TenantId, limit: usize) -> Result<Vec<AuditEntry>, PortError> {
        const OPERATION: &str = "dynamodb.Query(audit log)";
        let output = self
            .query()
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(audit_pk(tenant_id)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        output.items.unwrap_or_default().into_iter().map(|item| super::from_item(OPERATION, item)).collect()
    }
}

fn canned_pk(tenant_id: &TenantId) -> String {
    format!("T#{tenant_id}#CANNED")
}

#[async_trait]
impl CannedReplies for DynamoStore {
    async fn canned_replies(&self, tenant_id: &TenantId) -> Result<Vec<CannedReply>, PortError> {
        const OPERATION: &str = "dynamodb.Query(canned replies)";
        let query = self
            .query()
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(canned_pk(tenant_id)));
        let mut replies: Vec<CannedReply> = Self::query_all(OPERATION, query)
            .await?
            .into_iter()
            .map(|item| super::from_item(OPERATION, item))
            .collect::<Result<_, _>>()?;
        replies.sort_by(|a, b| a.title.as_str().cmp(b.title.as_str()));
        Ok(replies)
    }

    async fn keep_canned_reply(&self, tenant_id: &TenantId, reply: &CannedReply) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(canned reply)";
        let item = to_item(OPERATION, reply, &[("pk", canned_pk(tenant_id)), ("sk", reply.id.clone())])?;
        self.put(OPERATION, item).await
    }

    async fn remove_canned_reply(&self, tenant_id: &TenantId, id: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(canned_pk(tenant_id)))
            .key("sk", s(id))
            .send()
            .await
            .map_err(|e| classify("dynamodb.DeleteItem(canned reply)", e))?;
        Ok(())
    }
}
