use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::PortError;
use crate::ids::TenantId;
use crate::text::Text;

/// A reply a tenant's agents use often, with the citizen's and the agent's names filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: String,
    /// How agents pick it (`Greeting`, `Meter reading`).
    pub title: Text<60>,
    /// The words, with `{citizen}` and `{agent}` where the names go.
    pub text: Text<1000>,
}

/// The placeholders a canned reply may hold.
pub const PLACEHOLDERS: [&str; 2] = ["{citizen}", "{agent}"];

impl CannedReply {
    /// A new reply, or what to correct: any other `{…}` is a typo the citizen would see.
    pub fn new(id: String, title: &str, text: &str) -> Result<Self, String> {
        let title =
            Text::parse(title.trim()).map_err(|_| "Give the reply a title of at most 60 characters.".to_owned())?;
        let text = Text::parse(text.trim()).map_err(|_| "Write the reply, in at most 1,000 characters.".to_owned())?;
        let mut rest = text.as_str();
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
            let placeholder = &rest[start..end];
            if !PLACEHOLDERS.contains(&placeholder) {
                return Err(format!("{placeholder} is not a placeholder: use {{citizen}} or {{agent}}."));
            }
            rest = &rest[end..];
        }
        Ok(Self { id, title, text })
    }

    /// The words for this citizen, from this agent.
    pub fn fill(&self, citizen: &str, agent: &str) -> String {
        self.text.as_str().replace("{citizen}", citizen).replace("{agent}", agent)
    }
}

#[async_trait]
pub trait CannedReplies: Send + Sync {
    /// The tenant's replies, by title.
    async fn canned_replies(&self, tenant_id: &TenantId) -> Result<Vec<CannedReply>, PortError>;
    async fn keep_canned_reply(&self, tenant_id: &TenantId, reply: &CannedReply) -> Result<(), PortError>;
    async fn remove_canned_reply(&self, tenant_id: &TenantId, id: &str) -> Result<(), PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canned_reply_fills_in_the_names_and_refuses_unknown_placeholders() {
        let reply = CannedReply::new("r1".into(), "Greeting", "Hola {citizen}, sóc {agent}. {agent} us atén.").unwrap();
        assert_eq!(reply.fill("Maria Puig", "Jordi"), "Hola Maria Puig, sóc Jordi. Jordi us atén.");
        let typo = CannedReply::new("r2".into(), "Greeting", "Hola {ciutada}").unwrap_err();
        assert!(typo.contains("{ciutada} is not a placeholder"), "{typo}");
        assert!(CannedReply::new("r3".into(), "", "x").unwrap_err().contains("title"));
        assert!(CannedReply::new("r4".into(), "Open brace", "Costs {").unwrap_err().contains("{ is not"));
    }
}
