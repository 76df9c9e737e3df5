//! `avisa chat feeds`: where each of a tenant's information feeds stands — how many items its copy
//! holds, when it was last fetched, and why the latest fetch failed, if it did.

use avisa_domain::chat::feeds::FeedCopies;
use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;
use serde_json::json;

use crate::error::CliError;
use crate::output::{Output, when};
use crate::stack::Stack;

pub async fn status(stack: &Stack, tenant: &TenantId, out: Output) -> Result<(), CliError> {
    let store = stack.store().await?;
    let settings = store.settings(tenant).await?.ok_or_else(|| {
        CliError::refused(format!(
            "tenant {tenant} has no settings, so no chat line: put them with `avisa tenant-settings --tenant {tenant} --put FILE`"
        ))
    })?;
    let chat = settings.chat.unwrap_or_default();
    let (mut rows, mut listed) = (Vec::new(), Vec::new());
    for item in &chat.information {
        let Some(feed) = &item.feed else { continue };
        let copy = store.copy(tenant, &item.row.id).await?;
        let fetched = copy.as_ref().and_then(|c| c.fetched_at).map_or_else(|| "never".to_owned(), when);
        let failure = copy.as_ref().and_then(|c| c.failure.as_ref());
        rows.push(vec![
            item.row.id.clone(),
            format!("{:?}", feed.format).to_lowercase(),
            copy.as_ref().map_or(0, |c| c.items.len()).to_string(),
            fetched,
            failure.map_or_else(String::new, |f| format!("{}: {}", when(f.at), f.reason)),
        ]);
        listed.push(json!({ "item": item.row.id, "feed": feed, "copy": copy }));
    }
    if rows.is_empty() && !out.json {
        return out.said(&format!("{tenant}'s information items have no feeds (chat.information[].feed)."), &listed);
    }
    out.table(&["item", "format", "items", "fetched", "last failure"], rows, &listed)
}
