use avisa_runtime::RuntimeError;
use avisa_runtime::config::ConfigError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything the local stack can fail with. All of it is permanent for the run at hand: the
/// message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(
        "moto server was not found (looked for {looked_for}). Install the dev tools with `make venv` \
         (pip install -r requirements-dev.txt into .venv), or set MOTO_SERVER to a moto_server binary"
    )]
    MotoMissing { looked_for: String },
    #[error("moto server did not start on {endpoint} within {seconds} s; its log: {log}")]
    MotoStart { endpoint: String, seconds: u64, log: String },
    #[error("moto server's API at {url} failed")]
    MotoApi {
        url: String,
        #[source]
        source: BoxError,
    },
    #[error("infra/template.yaml: {0}")]
    Template(String),
    #[error("could not create {logical_id} ({resource_type}) in the local stack")]
    Provision {
        logical_id: String,
        resource_type: String,
        #[source]
        source: BoxError,
    },
    #[error("{function} could not be configured from the template")]
    FunctionConfig {
        function: String,
        #[source]
        source: ConfigError,
    },
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("SQS {operation} on {queue} failed")]
    Sqs {
        operation: &'static str,
        queue: String,
        #[source]
        source: BoxError,
    },
    #[error("the queues were not drained after {rounds} rounds: a record keeps coming back")]
    NotDrained { rounds: usize },
    #[error(
        "the {binary} binary is not built (looked for {looked_for}): build every function with \
         `cargo build --workspace --bins --tests` (make test does) and run again"
    )]
    BinaryMissing { binary: String, looked_for: String },
    #[error(
        "the {binary} binary is older than {newer}, so it would not run the code as it is: build every \
         function with `cargo build --workspace --bins --tests` (make test does) and run again"
    )]
    BinaryStale { binary: String, newer: String },
    #[error(
        "Chromium's WebDriver was not found at {looked_for}: install Debian's chromium and \
         chromium-driver with `make browser` (apt-get install chromium chromium-driver), or set \
         CHROMEDRIVER to a chromedriver binary"
    )]
    BrowserMissing { looked_for: String },
    #[error("the browser, {doing}: {detail}")]
    Browser { doing: String, detail: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl LocalError {
    pub(crate) fn provision(logical_id: &str, resource_type: &str, source: impl Into<BoxError>) -> Self {
        Self::Provision {
            logical_id: logical_id.to_owned(),
            resource_type: resource_type.to_owned(),
            source: source.into(),
        }
    }

    pub(crate) fn sqs(operation: &'static str, queue: &str, source: impl Into<BoxError>) -> Self {
        Self::Sqs { operation, queue: queue.to_owned(), source: source.into() }
    }
}

/// SDK errors print as "service error" alone; this keeps the service's code and message.
pub(crate) fn sdk_error<E: std::error::Error>(e: E) -> BoxError {
    aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string().into()
}
