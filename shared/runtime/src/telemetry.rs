//! Structured JSON logs, one line per event, ids as fields; Lambda's log level setting is honoured.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// Libraries whose verbose levels print what they carry: the AWS SDK logs whole requests and
/// responses (a `GetItem` output with a phone, an email, a name) at TRACE, the HTTP stacks log
/// headers and bodies. Whatever level a function runs at, these stay at WARN; a directive is a
/// target prefix, so `aws_` covers every `aws_sdk_*`, `aws_smithy_*` and `aws_config`.
const QUIET_LIBRARIES: &[&str] = &["aws_", "hyper", "h2", "rustls", "reqwest", "tower", "lambda_runtime"];

/// The filter of a function's logs: `level` for avisa's own code (and whatever else `level` names),
/// never more than WARN for the libraries above. Lambda's levels are TRACE to FATAL (FATAL is
/// `error` here); a level that is none of them is `info`. Targets and levels only: span and field
/// directives would need `EnvFilter`, whose regex engine every function would carry.
pub fn filter(level: &str) -> Targets {
    let level = match level.to_lowercase().as_str() {
        "fatal" => "error".to_owned(),
        other => other.to_owned(),
    };
    // A bare word that is no level would parse as a target's name: it is a mistake, not a filter.
    let well_formed =
        level.split(',').all(|directive| directive.contains('=') || directive.trim().parse::<LevelFilter>().is_ok());
    let asked = Some(level)
        .filter(|_| well_formed)
        .and_then(|level| level.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    QUIET_LIBRARIES.iter().fold(asked, |filter, library| filter.with_target(*library, LevelFilter::WARN))
}

/// Installs the JSON subscriber. Reads `AWS_LAMBDA_LOG_LEVEL` (set by the template's
/// `LoggingConfig`) or `RUST_LOG`; defaults to `info`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true) // the record's ids, on every line logged while it is processed
        .with_span_list(false)
        .with_ansi(false)
        .without_time() // CloudWatch stamps every line
        .with_target(false)
        .finish()
        .with(filter(if level.is_empty() { "info" } else { &level }));
    subscriber.init();
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn the_sdk_stays_at_warn_whatever_the_level() {
        let filter = filter("TRACE");
        for library in ["aws_sdk_dynamodb::operation", "aws_smithy_runtime", "hyper_util::client", "rustls::conn"] {
            assert!(!filter.would_enable(library, &Level::INFO), "{library} quiet below WARN");
            assert!(filter.would_enable(library, &Level::WARN), "{library} still warns");
        }
        assert!(filter.would_enable("billing_ingest", &Level::TRACE), "avisa's own code at the level asked");
    }

    #[test]
    fn lambdas_levels_are_honoured_and_an_unknown_one_is_info() {
        assert!(filter("DEBUG").would_enable("notice_composer", &Level::DEBUG));
        assert!(!filter("WARN").would_enable("notice_composer", &Level::INFO));
        assert!(filter("FATAL").would_enable("notice_composer", &Level::ERROR));
        assert!(!filter("FATAL").would_enable("notice_composer", &Level::WARN));
        let unknown = filter("loud");
        assert!(
            unknown.would_enable("notice_composer", &Level::INFO)
                && !unknown.would_enable("notice_composer", &Level::DEBUG)
        );
        assert!(
            filter("warn,avisa_domain=debug").would_enable("avisa_domain::notice", &Level::DEBUG),
            "per target, as RUST_LOG"
        );
    }
}
