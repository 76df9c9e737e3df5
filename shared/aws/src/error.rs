//! Turning SDK errors into the domain's transient / permanent port errors.

use avisa_domain::PortError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Errors raised inside the adapters themselves (not by AWS).
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// A stored item no longer matches the type that reads it: a bug or a migration to do.
    #[error("stored item {pk}/{sk} cannot be read")]
    CorruptItem {
        pk: String,
        sk: String,
        #[source]
        source: serde_dynamo::Error,
    },
    /// A request could not be built from the domain's values.
    #[error("request could not be built")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AdapterError {
    pub(crate) fn into_port(self, operation: &'static str) -> PortError {
        PortError::permanent(operation, self)
    }
}

/// Error codes that mean "slow down", whatever the service.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "LimitExceededException",
    "KMSThrottlingException",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// The write's condition did not hold (the key is taken, the stored item is newer…): an answer,
/// not a failure.
pub(crate) fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException")
}

/// Throttling, 5xx, timeouts and lost connections are transient; everything else the service
/// said no to is permanent.
#[allow(clippy::needless_pass_by_value)] // by value to read well in `map_err(|e| classify(op, e))`
pub(crate) fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::ServiceError(context) => {
            let throttled = context.err().code().is_some_and(|code| THROTTLING_CODES.contains(&code));
            throttled || context.raw().status().is_server_error()
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        _ => false,
    };
    let source = Box::new(ServiceError::from(&err));
    if transient { PortError::Transient { operation, source } } else { PortError::Permanent { operation, source } }
}

/// The service's own words (code and message), which `SdkError`'s display leaves out.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub(crate) struct ServiceError {
    code: String,
    message: String,
}

impl<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug> From<&SdkError<E, R>> for ServiceError {
    fn from(err: &SdkError<E, R>) -> Self {
        match err {
            SdkError::ServiceError(context) => Self {
                code: context.err().code().unwrap_or("Unknown").to_owned(),
                message: context.err().message().unwrap_or("no message").to_owned(),
            },
            other => Self {
                code: "NoResponse".to_owned(),
                message: aws_sdk_dynamodb::error::DisplayErrorContext(other).to_string(),
            },
        }
    }
}
