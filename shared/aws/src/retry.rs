//! SDK clients for sends: the SDK retries a throttled send, but never one that may have reached
//! the provider (a timeout, a dropped connection, a 5xx). Providers take no idempotency key, so
//! such a retry could send twice without anyone knowing; the dispatcher decides instead, and
//! records that the outcome was unknown.

use aws_sdk_sesv2::config::interceptors::InterceptorContext;
use aws_sdk_sesv2::config::retry::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::retries::classifiers::{RetryClassifierPriority, RetryReason};
use aws_smithy_types::retry::ErrorKind;

/// Forbids the SDK's retry of a request that may have been applied.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct NoRetryIfMaybeSent;

impl ClassifyRetry for NoRetryIfMaybeSent {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        self.classify_retry_v2(ctx, &RetryAction::NoActionIndicated)
    }

    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        let throttled = matches!(
            previous,
            RetryAction::RetryIndicated(RetryReason::RetryableError { kind: ErrorKind::ThrottlingError, .. })
        );
        let Some(Err(error)) = ctx.output_or_error() else { return RetryAction::NoActionIndicated };
        if throttled {
            return RetryAction::NoActionIndicated;
        }
        let maybe_sent = error.is_timeout_error()
            || error.is_response_error()
            || error.as_connector_error().is_some_and(|connector| !connector.is_user())
            || ctx.response().is_some_and(|response| response.status().is_server_error());
        if maybe_sent { RetryAction::RetryForbidden } else { RetryAction::NoActionIndicated }
    }

    fn name(&self) -> &'static str {
        "NoRetryIfMaybeSent"
    }

    fn priority(&self) -> RetryClassifierPriority {
        // Last, so that it overrides the transient-error classifier's verdict.
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// An SES v2 client that never retries a send that may have gone.
pub fn ses_client(sdk: &aws_types::SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(sdk).retry_classifier(NoRetryIfMaybeSent).build(),
    )
}

/// An SNS client that never retries a publish that may have gone.
pub fn sns_publisher(sdk: &aws_types::SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(aws_sdk_sns::config::Builder::from(sdk).retry_classifier(NoRetryIfMaybeSent).build())
}
