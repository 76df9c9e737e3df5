//! Functions whose capability comes in a later change answer every event with a clear
//! "not implemented yet": SQS records go back to the queue (and on to its dead-letter queue, so
//! nothing is lost); HTTP requests get a 501 with the reason.

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::event::sqs::SqsEvent;
use aws_lambda_events::http::{HeaderValue, header};
use lambda_runtime::{LambdaEvent, service_fn};

use crate::RuntimeError;

/// What an SQS-fed function that is not built yet answers: an error for the whole batch.
pub fn sqs(function: &'static str, what: &'static str, event: &SqsEvent) -> Result<(), RuntimeError> {
    tracing::warn!(function, records = event.records.len(), "not implemented yet; records go back to the queue");
    Err(RuntimeError::NotImplemented { function, what })
}

/// What an HTTP function that is not built yet answers: 501 with a JSON reason.
pub fn http(
    function: &'static str,
    what: &'static str,
    request: &LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    let method = request.request_context.http.method.as_deref().unwrap_or("?");
    tracing::warn!(function, method, "not implemented yet");
    let error = RuntimeError::NotImplemented { function, what };
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = 501;
    response.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.body = Some(serde_json::json!({ "error": "not_implemented", "message": error.to_string() }).to_string());
    response
}

/// Runs an SQS-fed function that is not built yet.
pub async fn serve_sqs(function: &'static str, what: &'static str) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<SqsEvent>| async move { sqs(function, what, &event.payload) },
    ))
    .await
}

/// Runs an HTTP (Function URL) function that is not built yet.
pub async fn serve_http(function: &'static str, what: &'static str) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaFunctionUrlRequest>| async move {
        Ok::<_, std::convert::Infallible>(http(function, what, &event.payload))
    }))
    .await
}
