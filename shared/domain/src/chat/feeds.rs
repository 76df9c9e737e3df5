//! Live information: a tenant's information items can come from its own feeds (news from RSS or
//! Atom, the agenda from iCalendar, on-duty pharmacies from JSON or CSV), fetched on a schedule and
//! kept as a copy the chat answers from, with its date. A feed that fails keeps its last good copy,
//! and the failure is recorded on it for staff.

use async_trait::async_trait;
use futures_util::StreamExt;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::PortError;
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::tenant::TenantSettings;

pub use super::feed::{Feed, FeedFormat};

/// The most items an answer lists (a WhatsApp message stays short).
pub const MAX_ITEMS: usize = 5;
/// The most a feed may weigh.
pub const MAX_FEED_BYTES: u64 = 1024 * 1024;

/// One entry of a feed, as the chat lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedItem {
    pub title: String,
    pub date: Option<Date>,
    pub time: Option<Time>,
    /// Where (an event's place, a pharmacy's address and phone).
    pub detail: Option<String>,
}

/// Why the latest fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedFailure {
    pub at: Timestamp,
    pub reason: String,
}

/// The last good copy of a feed, and the last failure since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCopy {
    pub items: Vec<FeedItem>,
    /// When `items` were fetched; `None` when no fetch has succeeded yet.
    pub fetched_at: Option<Timestamp>,
    pub failure: Option<FeedFailure>,
}

/// Feeds on the web.
#[async_trait]
pub trait FeedSource: Send + Sync {
    /// The content at `url`, refused past `limit` bytes.
    async fn fetch(&self, url: &str, limit: u64) -> Result<Vec<u8>, PortError>;
}

/// A feed's content read as items (the formats' parsers live with the function that fetches).
pub trait FeedReader: Send + Sync {
    /// Items from `today` on where dates matter (agenda, on-duty), newest first for news; the
    /// reason a person can act on when the content is not what `format` says.
    /// Times are shown in `zone` (the tenant's), `today` is its date.
    fn read(&self, format: FeedFormat, content: &[u8], today: Date, zone: &TimeZone) -> Result<Vec<FeedItem>, String>;
}

/// The copies of the tenants' feeds.
#[async_trait]
pub trait FeedCopies: Send + Sync {
    async fn copy(&self, tenant_id: &TenantId, item_id: &str) -> Result<Option<FeedCopy>, PortError>;
    async fn keep(&self, tenant_id: &TenantId, item_id: &str, copy: &FeedCopy) -> Result<(), PortError>;
    /// The tenants whose chat line has an information item with a feed, and their settings.
    async fn tenants_with_feeds(&self) -> Result<Vec<(TenantId, TenantSettings)>, PortError>;
}

/// What refreshing one feed did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refreshed {
    pub tenant_id: TenantId,
    pub item_id: String,
    pub items: usize,
    /// Why it failed (the last good copy stays).
    pub failure: Option<String>,
}

/// Fetches every feed of the tenants' chat lines into their copies.
#[allow(missing_debug_implementations)] // trait objects only
pub struct FeedRefresh<'a> {
    pub source: &'a dyn FeedSource,
    pub reader: &'a dyn FeedReader,
    pub copies: &'a dyn FeedCopies,
    pub clock: &'a dyn Clock,
}

/// How many feeds are fetched at once: a slow server holds one slot, not the run.
pub const IN_FLIGHT: usize = 8;

impl FeedRefresh<'_> {
    /// Every feed of every tenant that has one, a few at a time; one tenant's failing feed (or a
    /// failure to keep its copy) never stops another's.
    pub async fn refresh_all(&self) -> Result<Vec<Refreshed>, PortError> {
        let mut feeds: Vec<(TenantId, String, Feed, TimeZone)> = Vec::new();
        for (tenant_id, settings) in self.copies.tenants_with_feeds().await? {
            for item in settings.chat.iter().flat_map(|chat| &chat.information) {
                if let Some(feed) = &item.feed {
                    feeds.push((tenant_id.clone(), item.row.id.clone(), feed.clone(), settings.time_zone.zone()));
                }
            }
        }
        let mut refreshed: Vec<Refreshed> = futures_util::stream::iter(feeds)
            .map(
                |(tenant_id, item_id, feed, zone)| async move { self.refresh(&tenant_id, &item_id, &feed, zone).await },
            )
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        refreshed.sort_by(|a, b| (&a.tenant_id, &a.item_id).cmp(&(&b.tenant_id, &b.item_id)));
        Ok(refreshed)
    }

    async fn refresh(&self, tenant_id: &TenantId, item_id: &str, feed: &Feed, zone: TimeZone) -> Refreshed {
        let today = self.clock.now().to_zoned(zone.clone()).date();
        let read = match self.source.fetch(&feed.url, MAX_FEED_BYTES).await {
            Ok(content) => self.reader.read(feed.format, &content, today, &zone),
            Err(error) => Err(error.chain()),
        };
        let kept = self.keep(tenant_id, item_id, &read).await;
        Refreshed {
            tenant_id: tenant_id.clone(),
            item_id: item_id.to_owned(),
            items: kept.as_ref().map_or(0, |copy| copy.items.len()),
            failure: match (read, kept) {
                (_, Err(error)) => Some(format!("the copy could not be kept: {}", error.chain())),
                (Err(reason), Ok(_)) => Some(reason),
                (Ok(_), Ok(_)) => None,
            },
        }
    }

    /// The new copy, or the last good one with the failure.
    async fn keep(
        &self,
        tenant_id: &TenantId,
        item_id: &str,
        read: &Result<Vec<FeedItem>, String>,
    ) -> Result<FeedCopy, PortError> {
        let now = self.clock.now();
        let copy = match read {
            Ok(items) => FeedCopy {
                items: items.iter().take(MAX_ITEMS).cloned().collect(),
                fetched_at: Some(now),
                failure: None,
            },
            Err(reason) => {
                let stored = self.copies.copy(tenant_id, item_id).await?;
                let last = stored.unwrap_or(FeedCopy { items: Vec::new(), fetched_at: None, failure: None });
                FeedCopy { failure: Some(FeedFailure { at: now, reason: reason.clone() }), ..last }
            }
        };
        self.copies.keep(tenant_id, item_id, &copy).await?;
        Ok(copy)
    }
}
