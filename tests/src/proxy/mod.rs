//! A proxy of our own between the functions and moto, to make moto as strict as AWS: it records
//! every call each function makes (which IAM action, on which resource) so that the template's
//! policies can be checked against what the code really does, and it can fail calls the way AWS
//! does — throttling, 500s, timeouts, and calls applied whose answer is lost — with a fixed seed.
//!
//! Each function's SDK names it (`app/<binary>` in the user agent, as every Lambda of ours could);
//! calls without a name are the harness's own (provisioning, the event source mapping, reading
//! what moto sent) and are neither checked nor failed.
//!
//! Calls reach moto one at a time: moto's conditional writes are not atomic under concurrent
//! requests, as DynamoDB's are, and a race inside moto must not pass for one of ours.

mod capacity;
mod faults;
mod request;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

pub use faults::{FaultKind, FaultPlan};
pub use request::{Authorised, AwsRequest, understand};

use crate::LocalError;

/// One call a function made, and the fault it met, if any.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Call {
    pub function: String,
    pub service: String,
    pub authorised: Vec<Authorised>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultKind>,
    /// How long the call took through the proxy (moto's time, and the wait for its turn).
    #[serde(default)]
    pub millis: u64,
    /// The DynamoDB capacity units it would cost, by the size of what it read and wrote (only
    /// while the proxy measures them: [`AwsProxy::measure_capacity`]).
    #[serde(default)]
    pub write_units: u64,
    #[serde(default)]
    pub read_units: f64,
    /// The invocation that made it (the harness's `invocation::tagged`), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation: Option<u64>,
}

/// How the sends to one recipient fail, for a test that needs one person's send to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFault {
    /// The provider throttles the next `n` sends to them.
    Throttled(usize),
    /// The provider refuses every send to them (an invalid address or number).
    Refused,
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    client: reqwest::Client,
    calls: Mutex<Vec<Call>>,
    faults: Mutex<Option<faults::Injector>>,
    /// Sends to these recipients fail so.
    recipients: Mutex<BTreeMap<String, SendFault>>,
    /// moto answers one call at a time (see the module's docs).
    one_at_a_time: tokio::sync::Mutex<()>,
    /// Whether the functions' DynamoDB calls are measured in capacity units.
    measuring: AtomicBool,
    /// The tables' keys and indexes, described once each.
    shapes: Mutex<HashMap<String, capacity::TableShape>>,
}

/// The proxy, listening on 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct AwsProxy {
    endpoint: String,
    shared: Arc<Shared>,
    _server: crate::server::LocalServer,
}

impl AwsProxy {
    /// Starts a proxy in front of `upstream` (moto's endpoint), on a thread of its own.
    pub fn start(upstream: &str) -> Result<Self, LocalError> {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            // Connections kept open: each new one costs moto a thread of its own.
            client: reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap_or_default(),
            calls: Mutex::new(Vec::new()),
            faults: Mutex::new(None),
            recipients: Mutex::new(BTreeMap::new()),
            one_at_a_time: tokio::sync::Mutex::new(()),
            measuring: AtomicBool::new(false),
            shapes: Mutex::new(HashMap::new()),
        });
        let serving = Arc::clone(&shared);
        let server = crate::server::start("the AWS proxy", 2, move |request| {
            let shared = Arc::clone(&serving);
            async move { handle(&shared, request).await }
        })?;
        Ok(Self { endpoint: format!("http://{}", server.address), shared, _server: server })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// From now on, fail the functions' calls as `plan` says.
    pub fn inject(&self, plan: FaultPlan) {
        *lock(&self.shared.faults) = Some(faults::Injector::new(plan));
    }

    /// From now on, the functions' DynamoDB calls are measured in the capacity units DynamoDB
    /// would bill (each write reads its items before and after it: slower, so only on request).
    pub fn measure_capacity(&self) {
        self.shared.measuring.store(true, Ordering::SeqCst);
    }

    /// No more faults.
    pub fn heal(&self) {
        *lock(&self.shared.faults) = None;
        lock(&self.shared.recipients).clear();
    }

    /// Sends (SES email, SNS SMS) to `recipient` fail so.
    pub fn fail_sends_to(&self, recipient: &str, fault: SendFault) {
        lock(&self.shared.recipients).insert(recipient.to_owned(), fault);
    }

    /// Every call the functions made so far.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// How many faults of each kind were injected, by IAM action.
    pub fn faults(&self) -> BTreeMap<(FaultKind, String), usize> {
        let mut counts = BTreeMap::new();
        for call in lock(&self.shared.calls).iter() {
            if let (Some(kind), Some(first)) = (call.fault, call.authorised.first()) {
                *counts.entry((kind, first.action.clone())).or_default() += 1;
            }
        }
        counts
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why a connection was dropped without an answer.
#[derive(Debug, thiserror::Error)]
#[error("avisa's fault proxy dropped the connection ({0})")]
struct Dropped(&'static str);

async fn handle(
    shared: &Shared,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let understood = understand(parts.method.as_str(), &path, &query, &parts.headers, &body);
    let invocation = parts.headers.get(crate::invocation::HEADER).and_then(|v| v.to_str().ok()?.parse().ok());
    if let Some(answer) = send_fault(shared, &understood) {
        return Ok(answer.map(Full::new));
    }
    let (fault, hang) = match &understood.caller {
        Some(_) => {
            let mut faults = lock(&shared.faults);
            let injector = faults.as_mut();
            let hang = injector.as_ref().map(|i| i.hang());
            (injector.and_then(faults::Injector::draw), hang)
        }
        None => (None, None),
    };
    let started = std::time::Instant::now();
    let record = |fault: Option<FaultKind>, (write_units, read_units): (u64, f64)| {
        if let Some(function) = understood.caller.clone() {
            lock(&shared.calls).push(Call {
                function,
                service: understood.service.clone(),
                authorised: understood.authorised.clone(),
                recipient: understood.recipient.clone(),
                fault,
                millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                write_units,
                read_units,
                invocation,
            });
        }
    };
    match fault {
        Some(kind @ (FaultKind::Throttled | FaultKind::ServerError)) => {
            record(fault, (0, 0.0));
            return Ok(faults::error_response(&understood.service, kind).map(Full::new));
        }
        Some(FaultKind::Reset) => {
            record(fault, (0, 0.0));
            return Err(Dropped("connection reset"));
        }
        Some(FaultKind::Timeout) => {
            record(fault, (0, 0.0));
            tokio::time::sleep(hang.unwrap_or_default()).await;
            return Err(Dropped("no answer in time"));
        }
        Some(FaultKind::AnswerLost | FaultKind::TooSlow) | None => {}
    }
    let measured =
        understood.caller.is_some() && understood.service == "dynamodb" && shared.measuring.load(Ordering::SeqCst);
    let turn = shared.one_at_a_time.lock().await;
    let (answer, units) = if measured {
        measured_forward(shared, &parts, &path, &query, body, understood.action()).await
    } else {
        (forward(shared, &parts, &path, &query, body).await, (0, 0.0))
    };
    drop(turn);
    if fault == Some(FaultKind::AnswerLost) {
        record(fault, units);
        return Err(Dropped("applied, answer lost"));
    }
    // moto itself was slower than the client waits: the call applied, its answer came too late.
    let too_slow = started.elapsed() >= crate::stack::LOCAL_ATTEMPT_TIMEOUT;
    record(too_slow.then_some(FaultKind::TooSlow), units);
    Ok(answer.map(Full::new))
}

/// Forwards a DynamoDB call, reading the items it writes before and after it: the answer, and the
/// call's (write, read) capacity units.
async fn measured_forward(
    shared: &Shared,
    parts: &http::request::Parts,
    path: &str,
    query: &str,
    body: Bytes,
    action: &str,
) -> (http::Response<Bytes>, (u64, f64)) {
    let operation = action.split_once(':').map_or("", |(_, operation)| operation);
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    for table in capacity::tables_named(&request) {
        if !lock(&shared.shapes).contains_key(&table) {
            let described =
                moto_dynamodb(shared, parts, "DescribeTable", serde_json::json!({ "TableName": table })).await;
            lock(&shared.shapes).insert(table, capacity::TableShape::described(&described));
        }
    }
    let shape_of = |table: &str| lock(&shared.shapes).get(table).cloned().unwrap_or_default();
    let (touched, transaction) = capacity::written(operation, &request, shape_of);
    let mut before = Vec::with_capacity(touched.len());
    for (table, key) in &touched {
        before.push(stored_item(shared, parts, table, key).await);
    }
    let answer = forward(shared, parts, path, query, body).await;
    let mut write_units = 0;
    for ((table, key), before) in touched.iter().zip(&before) {
        let after = stored_item(shared, parts, table, key).await;
        write_units += shape_of(table).write_units(before.as_ref(), after.as_ref());
    }
    if transaction {
        write_units *= 2;
    }
    let answered: serde_json::Value = serde_json::from_slice(answer.body()).unwrap_or_default();
    let read_units =
        if answer.status().is_success() { capacity::read_units(operation, &request, &answered) } else { 0.0 };
    (answer, (write_units, read_units))
}

/// The item stored under `key` in `table`, read from moto directly (the harness's read: neither
/// counted nor failed).
async fn stored_item(
    shared: &Shared,
    parts: &http::request::Parts,
    table: &str,
    key: &capacity::Item,
) -> Option<capacity::Item> {
    let request = serde_json::json!({ "TableName": table, "Key": key, "ConsistentRead": true });
    moto_dynamodb(shared, parts, "GetItem", request).await["Item"].as_object().cloned()
}

/// One DynamoDB call of the harness's own to moto, signed as the call it measures was.
async fn moto_dynamodb(
    shared: &Shared,
    parts: &http::request::Parts,
    operation: &str,
    request: serde_json::Value,
) -> serde_json::Value {
    let mut call = shared
        .client
        .post(format!("{}/", shared.upstream))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{operation}"))
        .body(request.to_string());
    for name in ["authorization", "x-amz-date", "x-amz-security-token"] {
        if let Some(value) = parts.headers.get(name) {
            call = call.header(name, value);
        }
    }
    match call.send().await {
        Ok(answer) => answer.json().await.unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    }
}

/// The answer to a send whose recipient was told to fail, if it was.
fn send_fault(shared: &Shared, understood: &AwsRequest) -> Option<http::Response<Bytes>> {
    let recipient = understood.recipient.as_ref()?;
    let mut recipients = lock(&shared.recipients);
    let fault = recipients.get_mut(recipient)?;
    let (answer, kind) = match fault {
        SendFault::Refused => (faults::refusal(&understood.service), None),
        SendFault::Throttled(0) => return None,
        SendFault::Throttled(left) => {
            *left -= 1;
            (faults::error_response(&understood.service, FaultKind::Throttled), Some(FaultKind::Throttled))
        }
    };
    if let Some(function) = understood.caller.clone() {
        lock(&shared.calls).push(Call {
            function,
            service: understood.service.clone(),
            authorised: understood.authorised.clone(),
            recipient: Some(recipient.clone()),
            fault: kind,
            millis: 0,
            write_units: 0,
            read_units: 0.0,
            invocation: None,
        });
    }
    Some(answer)
}

/// Hop-by-hop headers, and those the forwarding client sets itself.
const NOT_FORWARDED: &[&str] = &["host", "connection", "transfer-encoding", "content-length", "keep-alive"];

/// Forwards a call to moto (the caller holds `one_at_a_time`).
async fn forward(
    shared: &Shared,
    parts: &http::request::Parts,
    path: &str,
    query: &str,
    body: Bytes,
) -> http::Response<Bytes> {
    let url = if query.is_empty() {
        format!("{}{path}", shared.upstream)
    } else {
        format!("{}{path}?{query}", shared.upstream)
    };
    let mut outgoing = shared.client.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let gateway_error = |e: &dyn std::fmt::Display| {
        http::Response::builder()
            .status(502)
            .body(Bytes::from(format!("avisa's proxy could not reach moto: {e}")))
            .unwrap_or_default()
    };
    let response = match outgoing.send().await {
        Ok(response) => response,
        Err(e) => return gateway_error(&e),
    };
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            answer = answer.header(name, value);
        }
    }
    match response.bytes().await {
        Ok(bytes) => answer.body(bytes).unwrap_or_default(),
        Err(e) => gateway_error(&e),
    }
}
