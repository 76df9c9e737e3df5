//! Structured JSON logs, one line per event, ids as fields; Lambda's log level setting is honoured.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. Reads `AWS_LAMBDA_LOG_LEVEL` (set by the template's
/// `LoggingConfig`) or `RUST_LOG`; defaults to `info`.
pub fn init() {
    let filter = std::env::var("AWS_LAMBDA_LOG_LEVEL").map_or_else(
        |_| EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        |level| EnvFilter::new(level.to_lowercase()),
    );
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .flatten_event(true)
        .with_current_span(true) // the record's ids, on every line logged while it is processed
        .with_span_list(false)
        .with_ansi(false)
        .without_time() // CloudWatch stamps every line
        .with_target(false)
        .init();
}
