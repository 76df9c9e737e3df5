//! The Cloud API's media endpoint: `GET {base}/{media_id}` describes a medium a citizen sent
//! (type, size, SHA-256 and a download URL good for minutes); `GET {url}` with the same token is
//! its content.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::chat::ports::{MediaInfo, MediaSource};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::WhatsAppCloud;
use crate::http_body::BodyError;

const DESCRIBE: &str = "whatsapp.media";
const DOWNLOAD: &str = "whatsapp.media.download";

fn failed(kind: fn(&'static str, std::io::Error) -> PortError, operation: &'static str, reason: String) -> PortError {
    kind(operation, std::io::Error::other(reason))
}

/// Meta's error code for an object that does not exist (a media id it let go, or never had).
const NO_SUCH_OBJECT: i64 = 100;

/// A failed answer by its status and Meta's error code: the token is the deployment's, a missing
/// medium is final, the rest may pass — Meta answers 400 to rate limits and passing faults too
/// (both calls only read, so a lost answer is safe to ask again).
fn refused(operation: &'static str, status: reqwest::StatusCode, answer: &Value) -> PortError {
    let code = answer["error"]["code"].as_i64();
    let kind = match status.as_u16() {
        401 | 403 => PortError::misconfigured,
        404 | 410 => PortError::permanent,
        400 if code == Some(NO_SUCH_OBJECT) => PortError::permanent,
        _ => PortError::transient,
    };
    let reason = answer["error"]["message"].as_str().unwrap_or("no reason given");
    failed(kind, operation, format!("{status}: {reason}"))
}

fn unanswered(operation: &'static str, error: &reqwest::Error) -> PortError {
    failed(PortError::transient, operation, format!("no answer from the Cloud API: {error}"))
}

/// Where Meta serves media from.
const META_HOSTS: [&str; 3] = [".fbsbx.com", ".facebook.com", ".whatsapp.net"];

fn is_meta_host(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.split(':').next().unwrap_or_default().to_ascii_lowercase();
    !authority.contains('@') && META_HOSTS.iter().any(|suffix| host.ends_with(suffix))
}

#[async_trait]
impl MediaSource for WhatsAppCloud {
    async fn describe(&self, media_id: &str) -> Result<MediaInfo, PortError> {
        let token = self.token(DESCRIBE).await?;
        let url = format!("{}/{media_id}", self.base_url.trim_end_matches('/'));
        let response = self
            .client
            .get()
            .get(url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| unanswered(DESCRIBE, &e))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(refused(DESCRIBE, status, &answer));
        }
        // Meta writes the size as a number or as a string of digits.
        let bytes = answer["file_size"].as_u64().or_else(|| answer["file_size"].as_str().and_then(|s| s.parse().ok()));
        match (answer["url"].as_str(), answer["mime_type"].as_str(), bytes) {
            (Some(url), Some(content_type), Some(bytes)) => Ok(MediaInfo {
                content_type: content_type.to_owned(),
                bytes,
                sha256: answer["sha256"].as_str().map(str::to_owned),
                url: url.to_owned(),
            }),
            _ => Err(failed(
                PortError::transient,
                DESCRIBE,
                format!("the Cloud API answered {status} without url, mime_type and file_size"),
            )),
        }
    }

    async fn download(&self, info: &MediaInfo, limit: u64) -> Result<Vec<u8>, PortError> {
        // The token goes only to Meta's media hosts (or to the API's own origin: a local stand-in).
        let origin = self.base_url.split('/').take(3).collect::<Vec<_>>().join("/");
        if !(is_meta_host(&info.url) || info.url.starts_with(&format!("{origin}/"))) {
            return Err(failed(PortError::permanent, DOWNLOAD, "the media URL is not on Meta's hosts".to_owned()));
        }
        let token = self.token(DOWNLOAD).await?;
        let response = self
            .client
            .get()
            .get(&info.url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| unanswered(DOWNLOAD, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(refused(DOWNLOAD, status, &Value::Null));
        }
        crate::http_body::within(response, limit).await.map_err(|error| match error {
            BodyError::TooLarge => failed(PortError::permanent, DOWNLOAD, format!("the content is over {limit} bytes")),
            BodyError::Read(e) => unanswered(DOWNLOAD, &e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_meta_host;

    #[test]
    fn the_token_goes_to_metas_media_hosts_only() {
        assert!(is_meta_host("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"));
        for url in [
            "http://lookaside.fbsbx.com/x",
            "https://evil.example/lookaside.fbsbx.com",
            "https://lookaside.fbsbx.com@evil.example/x",
            "https://fbsbx.com.evil.example/x",
        ] {
            assert!(!is_meta_host(url), "{url}");
        }
    }
}
