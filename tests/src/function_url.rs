//! A function URL on 127.0.0.1, as `cargo lambda watch` serves one: each HTTP request becomes the
//! payload (version 2.0) Lambda gives a function behind a function URL, handed to a real function
//! binary through its Runtime API; the function's answer becomes the HTTP response. A function
//! that fails answers 502, as Lambda's front end does.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Map, Value, json};

use avisa_runtime::http::HttpHandler;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;

use crate::LocalError;
use crate::runtime_api::{Answer, FunctionProcess};

/// Lambda's limit on a function URL's request payload.
const MAX_BODY: usize = 6 * 1024 * 1024;

/// The URL, until dropped.
#[derive(Debug)]
pub struct FunctionUrl {
    url: String,
    _server: crate::server::LocalServer,
}

impl FunctionUrl {
    /// Serves `function` on a free port, on a thread of its own.
    pub fn start(function: Arc<FunctionProcess>) -> Result<Self, LocalError> {
        let server = crate::server::start("a function URL", 0, move |request| {
            let function = Arc::clone(&function);
            async move { Ok::<_, std::convert::Infallible>(answer(&function, request).await) }
        })?;
        Ok(Self { url: format!("http://{}", server.address), _server: server })
    }

    /// Serves `handler` in this process on `port` (0: a free one), as its binary would answer
    /// behind a function URL: what `make local-up` does for the staff console.
    pub fn in_process(handler: Arc<dyn HttpHandler>, port: u16) -> Result<Self, LocalError> {
        let server = crate::server::start_on("a function URL", port, 2, move |request| {
            let handler = Arc::clone(&handler);
            async move { Ok::<_, std::convert::Infallible>(answer_in_process(handler.as_ref(), request).await) }
        })?;
        Ok(Self { url: format!("http://{}", server.address), _server: server })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

async fn answer(
    function: &FunctionProcess,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(http_body_util::Collected::to_bytes) else {
        return plain(400, "the request's body could not be read");
    };
    if body.len() > MAX_BODY {
        return plain(413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
    }
    let event = event(&parts, &body);
    match function.invoke(&event).await {
        Ok(Answer::Response(output)) => response(&output),
        Ok(Answer::Error { .. }) => plain(502, "Internal Server Error"),
        Err(error) => plain(504, &error.to_string()),
    }
}

async fn answer_in_process(
    handler: &dyn HttpHandler,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(http_body_util::Collected::to_bytes) else {
        return plain(400, "the request's body could not be read");
    };
    let Ok(event) = serde_json::from_value::<LambdaFunctionUrlRequest>(event(&parts, &body)) else {
        return plain(502, "the request is not a function URL payload");
    };
    let answer = handler.handle(&event).await;
    match serde_json::to_value(&answer) {
        Ok(output) => response(&output),
        Err(_) => plain(502, "the function's answer is not JSON"),
    }
}

/// The function URL payload (version 2.0) of one HTTP request.
pub fn event(parts: &http::request::Parts, body: &[u8]) -> Value {
    let mut headers = Map::new();
    // Lambda moves cookies out of the headers into their own list.
    let cookies: Vec<Value> = parts
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';').map(|c| Value::String(c.trim().to_owned())))
        .collect();
    for (name, value) in parts.headers.iter().filter(|(name, _)| *name != "cookie") {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let query = parts.uri.query().unwrap_or_default();
    let mut parameters = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match parameters.get_mut(name.as_ref()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                parameters.insert(name.into_owned(), Value::String(value.into_owned()));
            }
        }
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let now = jiff::Timestamp::now();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.uri.path(),
        "rawQueryString": query,
        "cookies": if cookies.is_empty() { Value::Null } else { Value::Array(cookies) },
        "headers": headers,
        "queryStringParameters": if parameters.is_empty() { Value::Null } else { Value::Object(parameters) },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "avisa-local",
            "domainName": "127.0.0.1",
            "domainPrefix": "avisa-local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default(),
            },
            "requestId": format!("local-{}", now.as_nanosecond()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.as_millisecond(),
        },
        "body": body,
        "isBase64Encoded": encoded,
    })
}

/// The HTTP response of a function's answer (`{statusCode, headers, body, isBase64Encoded}`).
fn response(output: &Value) -> hyper::Response<Full<Bytes>> {
    // An answer that is not a function URL response is the body itself, as Lambda serves it.
    if output.get("statusCode").is_none() {
        return hyper::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(output.to_string())))
            .unwrap_or_default();
    }
    let status = output["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(200);
    let text = output["body"].as_str().unwrap_or_default();
    let body = if output["isBase64Encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
    } else {
        text.as_bytes().to_vec()
    };
    let mut builder = hyper::Response::builder().status(status);
    for (name, value) in output["headers"].as_object().into_iter().flatten() {
        if let Some(value) = value.as_str() {
            builder = builder.header(name.as_str(), value);
        }
    }
    for cookie in output["cookies"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        builder = builder.header("set-cookie", cookie);
    }
    builder.body(Full::new(Bytes::from(body))).unwrap_or_else(|_| plain(502, "the function's headers are not HTTP"))
}

fn plain(status: u16, message: &str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(json!({ "Message": message }).to_string())))
        .unwrap_or_default()
}
