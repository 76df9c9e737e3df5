//! A local Lambda Runtime API — what Lambda (and `cargo lambda watch`) serves a function's
//! process — so that the real function binaries run as they do in the cloud: the process polls
//! `GET /2018-06-01/runtime/invocation/next`, handles the event, and posts its response or error.
//! [`FunctionProcess`] starts a built binary against it with the environment the template gives the
//! function; [`RuntimeApi::invoke`] hands it one event and waits for the answer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::sync::{mpsc, oneshot};

use crate::LocalError;
use crate::functions::FunctionSpec;

/// How long the harness waits for an answer: the function's timeout, with room for a cold start
/// on a loaded machine.
const INVOCATION_TIMEOUT: Duration = Duration::from_mins(1);
/// What the function is told it has (`Lambda-Runtime-Deadline-Ms`): the template's `Timeout`.
const FUNCTION_TIMEOUT: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);
const PREFIX: &str = "/2018-06-01/runtime";

/// What the function answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `POST …/invocation/{id}/response`: the handler's output.
    Response(serde_json::Value),
    /// `POST …/invocation/{id}/error` (or `…/init/error`): the handler failed.
    Error { error_type: String, error_message: String },
}

#[derive(Debug)]
struct Pending {
    event: Bytes,
    answer: oneshot::Sender<Answer>,
}

#[derive(Debug)]
struct Shared {
    function_arn: String,
    queued: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    init_error: Mutex<Option<Answer>>,
    next_id: std::sync::atomic::AtomicU64,
    /// When the function first asked for an event: its init was over.
    first_poll: std::sync::OnceLock<std::time::Instant>,
}

/// The Runtime API of one function, on 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct RuntimeApi {
    server: crate::server::LocalServer,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<Pending>,
}

impl RuntimeApi {
    /// Serves the Runtime API of the function named `function` on a thread of its own.
    pub fn start(function: &str) -> Result<Self, LocalError> {
        let (queue, queued) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:{}:123456789012:function:{function}", crate::template::REGION),
            queued: tokio::sync::Mutex::new(queued),
            in_flight: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
            next_id: std::sync::atomic::AtomicU64::new(1),
            first_poll: std::sync::OnceLock::new(),
        });
        let serving = Arc::clone(&shared);
        let server = crate::server::start("the Runtime API", 0, move |request| {
            let shared = Arc::clone(&serving);
            async move { Ok::<_, std::convert::Infallible>(handle(&shared, request).await) }
        })?;
        Ok(Self { server, shared, queue })
    }

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` gives it to the function.
    pub fn address(&self) -> &str {
        &self.server.address
    }

    /// When the function first polled for an event (the end of its init), if it has.
    pub fn first_poll(&self) -> Option<std::time::Instant> {
        self.shared.first_poll.get().copied()
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(&self, event: &serde_json::Value) -> Result<Answer, InvokeError> {
        if let Some(failed) = lock(&self.shared.init_error).clone() {
            return Ok(failed);
        }
        let (answer, answered) = oneshot::channel();
        let event = Bytes::from(serde_json::to_vec(event).unwrap_or_default());
        self.queue.send(Pending { event, answer }).map_err(|_| InvokeError::Stopped)?;
        match tokio::time::timeout(INVOCATION_TIMEOUT, answered).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(InvokeError::Stopped),
            Err(_) => Err(InvokeError::TimedOut(INVOCATION_TIMEOUT)),
        }
    }
}

/// Why an invocation got no answer.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("the function did not answer within {0:?}: is its process still running? (its log is above)")]
    TimedOut(Duration),
    #[error("the Runtime API stopped before the function answered")]
    Stopped,
    #[error("the function's process exited ({0}) before it answered: its log is above")]
    Exited(String),
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn handle(shared: &Shared, request: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
    let path = parts.uri.path().strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (parts.method.as_str(), segments.as_slice()) {
        ("GET", ["invocation", "next"]) => next(shared).await,
        ("POST", ["invocation", id, "response"]) => {
            let value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()));
            answer(shared, id, Answer::Response(value))
        }
        ("POST", ["invocation", id, "error"]) => answer(shared, id, error(&body)),
        ("POST", ["init", "error"]) => {
            *lock(&shared.init_error) = Some(error(&body));
            status(202, "{}")
        }
        _ => status(404, r#"{"errorMessage":"not a Runtime API path"}"#),
    }
}

/// Blocks until an event is queued, as Lambda's `next` does.
async fn next(shared: &Shared) -> hyper::Response<Full<Bytes>> {
    shared.first_poll.get_or_init(std::time::Instant::now);
    let Some(pending) = shared.queued.lock().await.recv().await else {
        return status(500, r#"{"errorMessage":"the Runtime API is stopping"}"#);
    };
    let id = format!("local-{:08}", shared.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    lock(&shared.in_flight).insert(id.clone(), pending.answer);
    let deadline = jiff::Timestamp::now() + FUNCTION_TIMEOUT;
    hyper::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &id)
        .header("lambda-runtime-deadline-ms", deadline.as_millisecond().to_string())
        .header("lambda-runtime-invoked-function-arn", &shared.function_arn)
        .header("lambda-runtime-trace-id", format!("Root=1-00000000-{id}"))
        .body(Full::new(pending.event))
        .unwrap_or_default()
}

fn answer(shared: &Shared, id: &str, answer: Answer) -> hyper::Response<Full<Bytes>> {
    match lock(&shared.in_flight).remove(id) {
        Some(waiting) => {
            let _ = waiting.send(answer);
            status(202, r#"{"status":"OK"}"#)
        }
        None => status(400, r#"{"errorMessage":"no such invocation in flight"}"#),
    }
}

fn error(body: &[u8]) -> Answer {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
    Answer::Error { error_type: field("errorType"), error_message: field("errorMessage") }
}

fn status(code: u16, body: &'static str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap_or_default()
}

/// A built function binary running against a [`RuntimeApi`], with the environment the template
/// gives it, its AWS calls going to `aws_endpoint`. Killed when dropped.
#[derive(Debug)]
pub struct FunctionProcess {
    pub api: RuntimeApi,
    child: Mutex<std::process::Child>,
}

impl FunctionProcess {
    /// Starts `target/debug/<binary>` (see [`binary_path`]).
    pub fn start(spec: &FunctionSpec, aws_endpoint: &str) -> Result<Self, LocalError> {
        let api = RuntimeApi::start(&spec.binary)?;
        let path = binary_path(&spec.binary)?;
        let child = std::process::Command::new(&path)
            .envs(&spec.env)
            .envs(lambda_environment(&spec.binary, api.address(), aws_endpoint))
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|source| LocalError::Io { what: format!("starting {}", path.display()), source })?;
        Ok(Self { api, child: Mutex::new(child) })
    }

    /// Hands `event` to the function; an error at once if its process has exited (its log says why).
    pub async fn invoke(&self, event: &serde_json::Value) -> Result<Answer, InvokeError> {
        tokio::select! {
            answer = self.api.invoke(event) => answer,
            status = self.exited() => Err(InvokeError::Exited(status)),
        }
    }

    /// Resolves when the process has exited, with how.
    async fn exited(&self) -> String {
        loop {
            let waited = lock(&self.child).try_wait();
            match waited {
                Ok(Some(status)) => return status.to_string(),
                Err(error) => return error.to_string(),
                Ok(None) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// What Lambda sets in every function's environment, plus the local AWS: the SDK names the
/// function in its user agent (`AWS_SDK_UA_APP_ID`), so the proxy checks its calls against its role.
pub(crate) fn lambda_environment(binary: &str, runtime_api: &str, aws_endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", binary.to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{binary}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_owned()),
        ("AWS_ENDPOINT_URL", aws_endpoint.to_owned()),
        ("AWS_REGION", crate::template::REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_SDK_UA_APP_ID", binary.to_owned()),
    ]
}

/// Where cargo put the debug build of a function's binary; an error saying how to build it.
pub fn binary_path(binary: &str) -> Result<PathBuf, LocalError> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::moto::workspace_root().join("target"), PathBuf::from);
    let path = target.join("debug").join(binary);
    let Some(built) = path.metadata().ok().filter(std::fs::Metadata::is_file).and_then(|m| m.modified().ok()) else {
        return Err(LocalError::BinaryMissing { binary: binary.to_owned(), looked_for: path.display().to_string() });
    };
    // cargo's dep-info lists every file the binary was built from (sources, templates, embedded
    // JSON); one changed since means the binary does not run the code as it is.
    let dep_info = std::fs::read_to_string(path.with_extension("d")).unwrap_or_default();
    if let Some(newer) = sources_of(&dep_info).into_iter().find(|source| is_newer(source, built)) {
        let root = crate::moto::workspace_root();
        let newer = newer.strip_prefix(&root).unwrap_or(&newer).display().to_string();
        return Err(LocalError::BinaryStale { binary: binary.to_owned(), newer });
    }
    Ok(path)
}

/// The files a dep-info file (`target: a.rs b.rs`, spaces in names escaped) names.
fn sources_of(dep_info: &str) -> Vec<PathBuf> {
    let first = dep_info.lines().next().unwrap_or_default();
    let sources = first.split_once(": ").map_or("", |(_, sources)| sources);
    sources
        .replace("\\ ", "\u{0}")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| PathBuf::from(s.replace('\u{0}', " ")))
        .collect()
}

fn is_newer(source: &Path, built: std::time::SystemTime) -> bool {
    source.metadata().and_then(|m| m.modified()).is_ok_and(|modified| modified > built)
}
