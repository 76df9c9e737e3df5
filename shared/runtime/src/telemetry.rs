//! Structured JSON logs, one line per event, ids as fields; Lambda's log level setting is honoured.

use tracing_subscriber::EnvFilter;

/// Libraries whose verbose levels print what they carry: the AWS SDK logs whole requests and
/// responses (a `GetItem` output with a phone, an email, a name) at TRACE, the HTTP stacks log
/// headers and bodies. Whatever level a function runs at, these stay at WARN; a directive is a
/// target prefix, so `aws_` covers every `aws_sdk_*`, `aws_smithy_*` and `aws_config`.
const QUIET_LIBRARIES: &[&str] = &["aws_", "hyper", "h2", "rustls", "reqwest", "tower", "lambda_runtime"];

/// The filter of a function's logs: `level` for avisa's own code (and whatever else `level` names),
/// never more than WARN for the libraries above.
pub fn filter(level: &str) -> EnvFilter {
    let quiet: Vec<String> = QUIET_LIBRARIES.iter().map(|library| format!("{library}=warn")).collect();
    let directives = format!("{},{}", level.to_lowercase(), quiet.join(","));
    EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new(format!("info,{}", quiet.join(","))))
}

/// Installs the JSON subscriber. Reads `AWS_LAMBDA_LOG_LEVEL` (set by the template's
/// `LoggingConfig`) or `RUST_LOG`; defaults to `info`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_default();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter(if level.is_empty() { "info" } else { &level }))
        .flatten_event(true)
        .with_current_span(true) // the record's ids, on every line logged while it is processed
        .with_span_list(false)
        .with_ansi(false)
        .without_time() // CloudWatch stamps every line
        .with_target(false)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_stays_at_warn_whatever_the_level() {
        let shown = filter("TRACE").to_string();
        assert!(shown.contains("aws_=warn") && shown.contains("hyper=warn"), "{shown}");
        assert!(shown.split(',').any(|d| d == "trace"), "avisa's own code at the level asked: {shown}");
    }
}
