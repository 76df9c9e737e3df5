//! Feeds on the web, fetched over HTTPS with a time limit and a size limit: a tenant's feed is
//! someone else's server, and a slow or huge one must not hold the refresh of every other. Only
//! public addresses are reached — a feed URL naming (or resolving to) a private one would let
//! settings probe the function's own network — and redirects are not followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::chat::feeds::FeedSource;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::http_body::BodyError;

const OPERATION: &str = "http.GET(feed)";
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct WebFeeds {
    client: crate::https::LazyClient,
    allow_loopback: bool,
}

/// Whether an address is on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            let unique_local = (v6.segments()[0] & 0xfe00) == 0xfc00;
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            !(v6.is_loopback() || v6.is_unspecified() || unique_local || link_local)
                && v6.to_ipv4_mapped().is_none_or(|v4| is_public(IpAddr::V4(v4)))
        }
    }
}

/// The system's resolver, keeping public addresses only (unless the local stack allows loopback).
#[derive(Debug)]
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|a| is_public(a.ip()) || allow_loopback && a.ip().is_loopback()).collect();
            if allowed.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl WebFeeds {
    /// `allow_loopback`: the local stack's feeds are served on 127.0.0.1; a deployment's never.
    pub fn new(allow_loopback: bool) -> Self {
        let client = crate::https::LazyClient::new(move |builder| {
            builder
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(Arc::new(PublicOnly { allow_loopback }))
                .user_agent(concat!("avisa/", env!("CARGO_PKG_VERSION"), " (information feeds)"))
        });
        Self { client, allow_loopback }
    }

    /// A URL naming an address (no name to resolve) is checked here.
    fn check_address(&self, url: &str) -> Result<(), PortError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| failed(format!("{url} is not a URL: {e}")))?;
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let Ok(ip) = host.parse::<IpAddr>() else { return Ok(()) };
        if is_public(ip) || self.allow_loopback && ip.is_loopback() {
            Ok(())
        } else {
            Err(failed(format!("{url} names a private address")))
        }
    }
}

fn failed(reason: String) -> PortError {
    PortError::transient(OPERATION, std::io::Error::other(reason))
}

#[async_trait]
impl FeedSource for WebFeeds {
    async fn fetch(&self, url: &str, limit: u64) -> Result<Vec<u8>, PortError> {
        self.check_address(url)?;
        let response = self
            .client
            .get()
            .get(url)
            .send()
            .await
            .map_err(|e| failed(format!("no answer from {url}: {}", crate::http_body::causes(&e))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("{url} answered {status}")));
        }
        crate::http_body::within(response, limit).await.map_err(|error| match error {
            BodyError::TooLarge => failed(format!("{url} is over {limit} bytes")),
            BodyError::Read(e) => failed(format!("reading {url}: {e}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reached() {
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_feed_on_this_machine_is_refused_unless_the_local_stack_allows_it() {
        let error = WebFeeds::new(false).fetch("http://localhost:9/feed", 1024).await.unwrap_err();
        assert!(error.chain().contains("no public address"), "{}", error.chain());
        let error = WebFeeds::new(false).fetch("http://169.254.169.254/latest/meta-data/", 1024).await.unwrap_err();
        assert!(error.chain().contains("private address"), "{}", error.chain());
        let error = WebFeeds::new(true).fetch("http://10.0.0.1/feed", 1024).await.unwrap_err();
        assert!(error.chain().contains("private address"), "{}", error.chain());
    }
}
