//! Lambda glue shared by every function: typed configuration, tracing, the AWS SDK config, and the
//! per-record SQS batch helper that turns domain errors into acknowledgements or retries.

pub mod config;
mod error;
pub mod http;
mod https;
pub mod metrics;
pub mod redact;
pub mod scheduled;
mod sdk;
pub mod sqs;
pub mod telemetry;

pub use error::RuntimeError;
pub use https::sdk_http_client;
pub use sdk::{aws_config, lambda_sdk_config};
