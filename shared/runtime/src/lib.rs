//! Lambda glue shared by every function: typed configuration, tracing, the AWS SDK config, and the
//! per-record SQS batch helper that turns domain errors into acknowledgements or retries.

pub mod config;
mod error;
pub mod http;
mod https;
pub mod metrics;
pub mod redact;
pub mod scheduled;
pub mod sqs;
pub mod telemetry;

pub use error::RuntimeError;
pub use https::sdk_http_client;

/// The SDK configuration every client is built from, read once per cold start. `AWS_ENDPOINT_URL`
/// (the local stack) and the region come from the environment as the SDK defines them.
///
/// The SDK sets no timeout but the connect's by default: a call that hangs would hold the record
/// until Lambda kills the function (30 s). Each attempt gets 10 s and a call with its retries 25 s,
/// so a slow call fails as a timeout the function still has time to handle.
pub async fn aws_config() -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_millis(3100))
        .operation_attempt_timeout(std::time::Duration::from_secs(10))
        .operation_timeout(std::time::Duration::from_secs(25))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .http_client(sdk_http_client())
        .load()
        .await
}
