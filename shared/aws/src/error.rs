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
    /// A stored item lacks what every such item has: a bug or a migration to do.
    #[error("stored item cannot be read: {0}")]
    Corrupt(String),
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
    "TransactionInProgressException",
    "PriorRequestNotComplete",
];

/// Error codes that mean the deployment itself is wrong: a permission or a resource is missing,
/// the account cannot send. No message succeeds until an operator fixes it.
const MISCONFIGURED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "MissingAuthenticationToken",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NotFoundException",
    "AccountSuspendedException",
    "SendingPausedException",
    "MailFromDomainNotVerifiedException",
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSNotFoundException",
    "KMSInvalidStateException",
];

/// The write's condition did not hold (the key is taken, the stored item is newer…): an answer,
/// not a failure.
pub(crate) fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException")
}

/// A conditional write's outcome: `true` when it was applied, `false` when its condition did not
/// hold (nothing written), or the error classified.
pub(crate) fn condition_held<T, E>(
    operation: &'static str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<bool, PortError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(classify(operation, e)),
    }
}

/// What kind of failure an SDK error is, whether or not the call may have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Not applied (throttled, or never sent).
    NotApplied,
    /// The request left and no usable answer came back (a timeout, a dropped connection, a 5xx).
    AnswerLost,
    Misconfigured,
    Refused,
}

fn kind<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Kind {
    match err {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or_default();
            if THROTTLING_CODES.contains(&code) {
                Kind::NotApplied
            } else if MISCONFIGURED_CODES.contains(&code) {
                Kind::Misconfigured
            } else if context.raw().status().is_server_error() {
                Kind::AnswerLost
            } else {
                Kind::Refused
            }
        }
        SdkError::DispatchFailure(failure) if failure.is_user() => Kind::Refused,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Kind::AnswerLost,
        _ => Kind::Refused,
    }
}

/// Classifies the error of a call that is safe to repeat (reads, conditional or idempotent
/// writes): throttling, 5xx, timeouts and lost connections are transient; a missing permission or
/// resource is the deployment's; everything else the service said no to is permanent.
#[allow(clippy::needless_pass_by_value)] // by value to read well in `map_err(|e| classify(op, e))`
pub(crate) fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let source = Box::new(ServiceError::from(&err));
    match kind(&err) {
        Kind::NotApplied | Kind::AnswerLost => PortError::Transient { operation, source },
        Kind::Misconfigured => PortError::Misconfigured { operation, source },
        Kind::Refused => PortError::Permanent { operation, source },
    }
}

/// Classifies the error of a send (an email, an SMS), which is not safe to repeat: when the
/// request may have reached the provider, the outcome is unknown.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn classify_send<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match kind(&err) {
        Kind::AnswerLost => PortError::Unknown { operation, source: Box::new(ServiceError::from(&err)) },
        _ => classify(operation, err),
    }
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
