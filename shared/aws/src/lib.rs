//! Adapters: the domain's ports implemented with the real AWS SDKs. Locally they reach moto
//! through the SDK's standard `AWS_ENDPOINT_URL`; there is no emulator-specific code here.

#[cfg(feature = "cognito")]
mod cognito;
mod dynamo;
mod error;
mod http_body;
mod https;
mod retry;
mod s3;
mod scheduler;
mod sdk_client;
mod secrets;
mod ses;
mod sns;
mod sqs;
mod web_feeds;
mod whatsapp;
mod whatsapp_media;

#[cfg(feature = "cognito")]
pub use cognito::{CognitoStaff, TENANT_ATTRIBUTE, UserPool};
pub use dynamo::DynamoStore;
pub use error::AdapterError;
pub use retry::{ses_client, sns_publisher};
pub use s3::{S3Documents, S3MediaStore, S3PrintArchive};
pub use scheduler::EventBridgeScheduler;
pub use sdk_client::SdkClient;
pub use secrets::{Secret, StoredSecret};
pub use ses::SesEmailSender;
pub use sns::SnsSmsSender;
pub use sqs::{SqsQueue, dead_letter_attributes};
pub use web_feeds::WebFeeds;
pub use whatsapp::WhatsAppCloud;
