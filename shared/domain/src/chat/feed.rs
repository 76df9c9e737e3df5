//! Where an information item's live content comes from (part of the tenant's settings; the
//! refresh and the copies are in [`super::feeds`]).

use serde::{Deserialize, Serialize};

/// Where an information item's live content comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    /// `https://…` (or `http://` on 127.0.0.1 / localhost, for local stacks).
    pub url: String,
    pub format: FeedFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFormat {
    /// RSS or Atom: news, newest first.
    Rss,
    /// iCalendar: the agenda, from today on.
    Icalendar,
    /// A JSON array of `{date, name, address?, phone?}` (on-duty pharmacies), from today on.
    Json,
    /// The same as CSV with a header row `date,name,address,phone`.
    Csv,
}

impl Feed {
    /// `https://host/…` with no user in it (`http://` only on this machine, for the local stack,
    /// whose fetcher alone may reach it).
    pub fn check(&self) -> Result<(), String> {
        let refused =
            || format!("a feed's url must be https://host/… (http:// only on this machine), not {:?}", self.url);
        let (scheme, rest) = self.url.split_once("://").ok_or_else(refused)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
        let local = ["127.0.0.1", "localhost"].contains(&host);
        if authority.is_empty() || authority.contains('@') || !(scheme == "https" || scheme == "http" && local) {
            return Err(refused());
        }
        Ok(())
    }
}
