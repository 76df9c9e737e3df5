//! The Cloud API's media endpoint: `GET {base}/{media_id}` describes a medium a citizen sent
//! (type, size, SHA-256 and a download URL good for minutes); `GET {url}` with the same token is
//! its content.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::chat::ports::{MediaInfo, MediaSource};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::WhatsAppCloud;

const DESCRIBE: &str = "whatsapp.media";
const DOWNLOAD: &str = "whatsapp.media.download";

fn failed(kind: fn(&'static str, std::io::Error) -> PortError, operation: &'static str, reason: String) -> PortError {
    kind(operation, std::io::Error::other(reason))
}

/// A failed answer by its status: the token is the deployment's, a missing medium is final, the
/// rest may pass (both calls only read, so a lost answer is safe to ask again).
fn refused(operation: &'static str, status: reqwest::StatusCode, reason: &str) -> PortError {
    let kind = match status.as_u16() {
        401 | 403 => PortError::misconfigured,
        400 | 404 | 410 => PortError::permanent,
        _ => PortError::transient,
    };
    failed(kind, operation, format!("{status}: {reason}"))
}

fn unanswered(operation: &'static str, error: &reqwest::Error) -> PortError {
    failed(PortError::transient, operation, format!("no answer from the Cloud API: {error}"))
}

#[async_trait]
impl MediaSource for WhatsAppCloud {
    async fn describe(&self, media_id: &str) -> Result<MediaInfo, PortError> {
        let token = self.token(DESCRIBE).await?;
        let url = format!("{}/{media_id}", self.base_url.trim_end_matches('/'));
        let response = self
            .client
            .get(url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| unanswered(DESCRIBE, &e))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(refused(DESCRIBE, status, answer["error"]["message"].as_str().unwrap_or("no reason given")));
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
        let token = self.token(DOWNLOAD).await?;
        let mut response = self
            .client
            .get(&info.url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| unanswered(DOWNLOAD, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(refused(DOWNLOAD, status, "the download was refused"));
        }
        // Read no further than the limit, whatever the size announced.
        let too_large = || failed(PortError::permanent, DOWNLOAD, format!("the content is over {limit} bytes"));
        if response.content_length().is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let mut content = Vec::with_capacity(usize::try_from(info.bytes.min(limit)).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| unanswered(DOWNLOAD, &e))? {
            if (content.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            content.extend_from_slice(&chunk);
        }
        Ok(content)
    }
}
