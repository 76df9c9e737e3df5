//! Lambda glue shared by every function: typed configuration, tracing, the AWS SDK config, and the
//! per-record SQS batch helper that turns domain errors into acknowledgements or retries.

pub mod config;
mod error;
pub mod http;
pub mod metrics;
pub mod redact;
pub mod sqs;
pub mod telemetry;

pub use error::RuntimeError;

/// The SDK configuration every client is built from, read once per cold start. `AWS_ENDPOINT_URL`
/// (the local stack) and the region come from the environment as the SDK defines them.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
