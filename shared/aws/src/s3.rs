use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::billing::Document;
use avisa_domain::chat::ports::{MediaReader, MediaStore};
use avisa_domain::ids::TenantId;
use avisa_domain::ports::Documents;
use avisa_domain::print::PrintArchive;
use avisa_domain::privacy::MediaErasure;
use jiff::civil::Date;

use crate::SdkClient;
use crate::error::classify;

const OPERATION: &str = "s3.GetObject";

/// Documents (invoice PDFs) in S3, named `s3://bucket/key` by upstream.
#[derive(Debug, Clone)]
pub struct S3Documents {
    client: SdkClient<aws_sdk_s3::Client>,
}

impl S3Documents {
    pub fn new(client: impl Into<SdkClient<aws_sdk_s3::Client>>) -> Self {
        Self { client: client.into() }
    }
}

fn refused(reason: String) -> PortError {
    PortError::permanent(OPERATION, std::io::Error::other(reason))
}

#[async_trait]
impl Documents for S3Documents {
    async fn fetch(&self, document: &Document, max_bytes: u64) -> Result<Vec<u8>, PortError> {
        let uri = document.uri.as_str();
        let (bucket, key) = bucket_and_key(document)?;
        let object =
            self.client.get_object().bucket(bucket).key(key).send().await.map_err(|e| classify(OPERATION, e))?;
        let length = u64::try_from(object.content_length.unwrap_or_default()).unwrap_or_default();
        if length > max_bytes {
            return Err(refused(format!("{uri} is {length} bytes; at most {max_bytes} are attached")));
        }
        let bytes = object.body.collect().await.map_err(|e| PortError::transient(OPERATION, e))?;
        Ok(bytes.into_bytes().to_vec())
    }

    async fn check(&self, document: &Document, max_bytes: u64) -> Result<(), PortError> {
        const HEAD: &str = "s3.HeadObject";
        let (bucket, key) = bucket_and_key(document)?;
        let head = self.client.head_object().bucket(bucket).key(key).send().await.map_err(|e| classify(HEAD, e))?;
        let length = u64::try_from(head.content_length.unwrap_or_default()).unwrap_or_default();
        if length > max_bytes {
            return Err(refused(format!("{} is {length} bytes; at most {max_bytes} are attached", document.uri)));
        }
        Ok(())
    }
}

fn bucket_and_key(document: &Document) -> Result<(&str, &str), PortError> {
    let uri = document.uri.as_str();
    uri.strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
        .ok_or_else(|| refused(format!("{uri} is not an s3://bucket/key URI")))
}

/// Print batches in the print bucket: `s3://{bucket}/{tenant}/{day}.jsonl`.
#[derive(Debug, Clone)]
pub struct S3PrintArchive {
    client: SdkClient<aws_sdk_s3::Client>,
    bucket: String,
}

impl S3PrintArchive {
    pub fn new(client: impl Into<SdkClient<aws_sdk_s3::Client>>, bucket: impl Into<String>) -> Self {
        Self { client: client.into(), bucket: bucket.into() }
    }
}

#[async_trait]
impl PrintArchive for S3PrintArchive {
    async fn put(&self, tenant_id: &TenantId, day: Date, manifest: &str) -> Result<String, PortError> {
        let key = format!("{tenant_id}/{day}.jsonl");
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/x-ndjson; charset=utf-8")
            .body(aws_sdk_s3::primitives::ByteStream::from(manifest.as_bytes().to_vec()))
            .send()
            .await
            .map_err(|e| classify("s3.PutObject", e))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }
}

/// The chat line's media bucket: `s3://{bucket}/{tenant}/incidents/{reference}/{media id}.{ext}`.
#[derive(Debug, Clone)]
pub struct S3MediaStore {
    client: SdkClient<aws_sdk_s3::Client>,
    bucket: String,
}

impl S3MediaStore {
    pub fn new(client: impl Into<SdkClient<aws_sdk_s3::Client>>, bucket: impl Into<String>) -> Self {
        Self { client: client.into(), bucket: bucket.into() }
    }
}

#[async_trait]
impl MediaStore for S3MediaStore {
    async fn keep(&self, key: &str, content_type: &str, content: Vec<u8>) -> Result<(), PortError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(aws_sdk_s3::primitives::ByteStream::from(content))
            .send()
            .await
            .map_err(|e| classify("s3.PutObject", e))?;
        Ok(())
    }
}

#[async_trait]
impl MediaReader for S3MediaStore {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        const OPERATION: &str = "s3.GetObject(media)";
        let object = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(object) => object,
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(classify(OPERATION, e)),
        };
        let bytes = object.body.collect().await.map_err(|e| PortError::transient(OPERATION, e))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }
}

#[async_trait]
impl MediaErasure for S3MediaStore {
    async fn forget(&self, prefix: &str) -> Result<usize, PortError> {
        const LIST: &str = "s3.ListObjectVersions";
        const DELETE: &str = "s3.DeleteObject(version)";
        let mut keys = std::collections::BTreeSet::new();
        let mut versions = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let list = self.client.list_object_versions().bucket(&self.bucket).prefix(prefix);
            let page = list
                .set_key_marker(key_marker)
                .set_version_id_marker(version_marker)
                .send()
                .await
                .map_err(|e| classify(LIST, e))?;
            let markers = page.delete_markers.unwrap_or_default().into_iter().map(|m| (m.key, m.version_id));
            versions
                .extend(page.versions.unwrap_or_default().into_iter().map(|v| (v.key, v.version_id)).chain(markers));
            if !page.is_truncated.unwrap_or(false) {
                break;
            }
            (key_marker, version_marker) = (page.next_key_marker, page.next_version_id_marker);
        }
        for (key, version) in versions {
            let Some(key) = key else { continue };
            let delete = self.client.delete_object().bucket(&self.bucket).key(&key);
            delete.set_version_id(version).send().await.map_err(|e| classify(DELETE, e))?;
            keys.insert(key);
        }
        Ok(keys.len())
    }
}
