//! Function URL plumbing shared by the HTTP functions: JSON answers, problems with a reason a
//! person can act on, the raw body, and the operator's bearer token.

use avisa_domain::Error;
use avisa_domain::error::RejectionCode;
use avisa_domain::operators::{Operator, OperatorDirectory, token_digest};
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::http::{HeaderValue, header};
use base64::Engine;
use tracing::Instrument;

/// A function behind a Function URL.
#[async_trait::async_trait]
pub trait HttpHandler: Send + Sync {
    async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse;
}

/// Runs `handler` as the Lambda function's handler. Every line logged while a request is
/// answered carries its request id and method (not the path: a conversation's names a phone).
pub async fn serve(handler: impl HttpHandler) -> Result<(), lambda_runtime::Error> {
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<LambdaFunctionUrlRequest>| async move {
            let method = event.payload.request_context.http.method.as_deref();
            let span = tracing::info_span!("request", request_id = event.context.request_id, method);
            Ok::<_, std::convert::Infallible>(handler.handle(&event.payload).instrument(span).await)
        },
    ))
    .await
}

/// Larger bodies are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn respond(status: i64, content_type: &'static str, body: String) -> LambdaFunctionUrlResponse {
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = status;
    response.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.body = Some(body);
    response
}

pub fn json(status: i64, body: &serde_json::Value) -> LambdaFunctionUrlResponse {
    respond(status, "application/json", body.to_string())
}

/// `{"error": reason}` with `status`.
pub fn problem(status: i64, reason: &str) -> LambdaFunctionUrlResponse {
    json(status, &serde_json::json!({ "error": reason }))
}

/// The request's body as sent (Function URLs base64-encode binary bodies), or the answer that
/// refuses it.
#[allow(clippy::result_large_err)] // the refusal is the answer itself, returned at once
pub fn body(request: &LambdaFunctionUrlRequest) -> Result<Vec<u8>, LambdaFunctionUrlResponse> {
    body_of_at_most(request, MAX_BODY_BYTES)
}

/// [`body`] for a route that takes more (a file of contracts), up to `max` bytes.
#[allow(clippy::result_large_err)] // the refusal is the answer itself, returned at once
pub fn body_of_at_most(request: &LambdaFunctionUrlRequest, max: usize) -> Result<Vec<u8>, LambdaFunctionUrlResponse> {
    let raw = request.body.as_deref().unwrap_or_default();
    let bytes = if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|_| problem(400, "the body is marked base64 but is not"))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > max {
        return Err(problem(413, &format!("the body is {} bytes; at most {max} are accepted", bytes.len())));
    }
    Ok(bytes)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(request: &LambdaFunctionUrlRequest) -> Option<&str> {
    let value = request.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// The operator a request's bearer token belongs to, or the 401 that says how to get one.
#[allow(clippy::result_large_err)] // the refusal is the answer itself, returned at once
pub async fn authenticate(
    request: &LambdaFunctionUrlRequest,
    directory: &dyn OperatorDirectory,
    now: jiff::Timestamp,
) -> Result<Operator, LambdaFunctionUrlResponse> {
    let Some(token) = bearer_token(request) else {
        return Err(problem(401, "send `Authorization: Bearer <token>`; `avisa operator-token` issues one"));
    };
    match directory.operator(&token_digest(token)).await {
        Ok(Some(operator)) if operator.is_valid_at(now) => Ok(operator),
        Ok(Some(_)) => Err(problem(401, "this token has expired: ask an administrator for a new one")),
        Ok(None) => Err(problem(401, "this token is not an operator's: ask an administrator for one")),
        Err(error) => Err(error_response(&error.into())),
    }
}

/// The answer for a domain error: the rejection's reason with the status that fits it, or a 503
/// (without internals) for a failure worth retrying.
pub fn error_response(error: &Error) -> LambdaFunctionUrlResponse {
    match error {
        Error::Rejected(rejection) => {
            let status = match rejection.code {
                RejectionCode::UnknownContract
                | RejectionCode::UnknownNotice
                | RejectionCode::UnknownOutage
                | RejectionCode::NotFound => 404,
                RejectionCode::InvalidTransition | RejectionCode::ConcurrentChange => 409,
                RejectionCode::InvalidJson => 400,
                RejectionCode::SecondPersonRequired => 403,
                _ => 422,
            };
            json(status, &serde_json::json!({ "error": rejection.code, "message": rejection.detail }))
        }
        other => {
            tracing::error!(error = crate::redact::error_chain(other), "request failed");
            problem(503, "temporarily unavailable; retry")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], body: &str, base64: bool) -> LambdaFunctionUrlRequest {
        let mut request = LambdaFunctionUrlRequest::default();
        for (name, value) in headers {
            request.headers.insert(
                aws_lambda_events::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        request.body = Some(body.to_owned());
        request.is_base64_encoded = base64;
        request
    }

    #[test]
    fn the_bearer_token_is_read_whatever_the_scheme_case() {
        assert_eq!(bearer_token(&request(&[("authorization", "Bearer abc")], "", false)), Some("abc"));
        assert_eq!(bearer_token(&request(&[("authorization", "bearer  abc ")], "", false)), Some("abc"));
        assert_eq!(bearer_token(&request(&[("authorization", "Basic abc")], "", false)), None);
        assert_eq!(bearer_token(&request(&[], "", false)), None);
    }

    #[test]
    fn bodies_are_decoded_and_oversize_ones_refused() {
        assert_eq!(body(&request(&[], "aGk=", true)).unwrap(), b"hi");
        assert_eq!(body(&request(&[], "not base64!", true)).unwrap_err().status_code, 400);
        let huge = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(body(&request(&[], &huge, false)).unwrap_err().status_code, 413);
    }

    #[test]
    fn rejections_map_to_the_status_a_client_expects() {
        let status = |code| error_response(&Error::rejected(code, "x")).status_code;
        assert_eq!(status(RejectionCode::UnknownOutage), 404);
        assert_eq!(status(RejectionCode::InvalidTransition), 409);
        assert_eq!(status(RejectionCode::SecondPersonRequired), 403);
        assert_eq!(status(RejectionCode::InvalidJson), 400);
        assert_eq!(status(RejectionCode::InvalidField), 422);
    }
}
