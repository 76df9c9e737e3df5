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

mod faults;
mod request;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

pub use faults::{FaultKind, FaultPlan};
pub use request::{Authorised, AwsRequest, understand};

use crate::LocalError;

/// One call a function made, and the fault it met, if any.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// The items a DynamoDB batch read asked for or a batch write wrote.
    #[serde(default)]
    pub batch_items: usize,
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
    let record = |fault: Option<FaultKind>| {
        if let Some(function) = understood.caller.clone() {
            lock(&shared.calls).push(Call {
                function,
                service: understood.service.clone(),
                authorised: understood.authorised.clone(),
                recipient: understood.recipient.clone(),
                fault,
                millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                batch_items: understood.batch_items,
                invocation,
            });
        }
    };
    match fault {
        Some(kind @ (FaultKind::Throttled | FaultKind::ServerError)) => {
            record(fault);
            return Ok(faults::error_response(&understood.service, kind).map(Full::new));
        }
        Some(FaultKind::Reset) => {
            record(fault);
            return Err(Dropped("connection reset"));
        }
        Some(FaultKind::Timeout) => {
            record(fault);
            tokio::time::sleep(hang.unwrap_or_default()).await;
            return Err(Dropped("no answer in time"));
        }
        Some(FaultKind::AnswerLost | FaultKind::TooSlow) | None => {}
    }
    let answer = forward(shared, &parts, &path, &query, body).await;
    if fault == Some(FaultKind::AnswerLost) {
        record(fault);
        return Err(Dropped("applied, answer lost"));
    }
    // moto itself was slower than the client waits: the call applied, its answer came too late.
    let too_slow = started.elapsed() >= crate::stack::LOCAL_ATTEMPT_TIMEOUT;
    record(too_slow.then_some(FaultKind::TooSlow));
    Ok(answer.map(Full::new))
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
            batch_items: 0,
            invocation: None,
        });
    }
    Some(answer)
}

/// Hop-by-hop headers, and those the forwarding client sets itself.
const NOT_FORWARDED: &[&str] = &["host", "connection", "transfer-encoding", "content-length", "keep-alive"];

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
    let _turn = shared.one_at_a_time.lock().await;
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
