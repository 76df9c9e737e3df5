use std::fmt;

/// Boxed cause kept in a [`PortError`]'s source chain.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why an input was refused for good: a stable, machine-readable `code` for upstream systems and
/// dashboards, and a `detail` a person can act on. Never contains personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    pub code: RejectionCode,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    InvalidJson,
    UnsupportedSchemaVersion,
    UnknownEventType,
    InvalidField,
    UnknownContract,
    UnknownNotice,
    NoChannel,
    RenderFailed,
    /// An SMS that does not fit the tenant's limit of parts, even in its short variant.
    SmsTooLong,
    UnknownOutage,
    /// A conversation, incident, appointment or complaint (or an API route) that does not exist.
    NotFound,
    /// The request does not apply in the current state (confirming a cancelled outage…).
    InvalidTransition,
    /// Someone else changed the record meanwhile: read it again and retry.
    ConcurrentChange,
    /// An upstream acted for a tenant it is not bound to (`avisa upstreams bind`).
    ForeignTenant,
    /// A document named outside the tenant's own bucket and prefix.
    ForeignDocument,
    /// Someone else must do this: a planner approving the outage they confirmed themselves.
    SecondPersonRequired,
}

impl Rejection {
    pub fn new(code: RejectionCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into() }
    }
}

/// A parser's message about refused input, without the input: serde quotes the value it refused
/// (`invalid type: string "Maria Puig", expected …`, or an integer in backticks), and a refused value
/// may be a phone, an address or a name. What it expected is kept: that is the rule to follow.
pub fn without_values(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    };
    // The field is one of ours, not input.
    if message.starts_with("missing field ") || message.starts_with("duplicate field ") {
        return message.to_owned();
    }
    let (about_the_value, rule) = message.find(", expected").map_or((message, ""), |i| message.split_at(i));
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in about_the_value.chars() {
        match quote {
            Some(open) if c == open => {
                quote = None;
                out.push('…');
                out.push(c);
            }
            Some(_) => {}
            None if c == '"' || c == '`' => {
                quote = Some(c);
                out.push(c);
            }
            None => out.push(c),
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out.push_str(rule);
    out
}

impl RejectionCode {
    /// Whether the same message may succeed once something outside it is fixed: its contract's
    /// customer arrives, a template is mended, a provider's refusal is cleared. Such messages are
    /// kept for `avisa redrive`; the others need a corrected message from whoever sent them.
    pub fn redrivable(self) -> bool {
        matches!(self, Self::UnknownContract | Self::RenderFailed | Self::SmsTooLong | Self::NoChannel)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = serde_json::to_value(self.code).map_err(|_| fmt::Error)?;
        write!(f, "{}: {}", code.as_str().unwrap_or("rejected"), self.detail)
    }
}

/// A port (DynamoDB, SQS, SES, SNS…) failed. Adapters decide which kind it is, because only they
/// can read the provider's error codes.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// Throttling, a refused connection: the call was not applied and may succeed later.
    #[error("{operation} is temporarily unavailable")]
    Transient {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The call may or may not have been applied: its answer was lost (a timeout after the request
    /// left, a dropped connection, a 5xx). Safe to retry where the call is idempotent; a send is not.
    #[error("{operation} has an unknown outcome")]
    Unknown {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The deployment is wrong (a permission missing, a queue or bucket that does not exist): no
    /// message can succeed until an operator fixes it. Retried, then dead-lettered with the reason,
    /// for a redrive once fixed.
    #[error("{operation} failed because the deployment is misconfigured")]
    Misconfigured {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The provider refused the request itself (invalid address, opted-out number…).
    #[error("{operation} was refused")]
    Permanent {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
}

impl PortError {
    pub fn transient(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Transient { operation, source: source.into() }
    }

    pub fn unknown(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Unknown { operation, source: source.into() }
    }

    pub fn misconfigured(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Misconfigured { operation, source: source.into() }
    }

    pub fn permanent(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Permanent { operation, source: source.into() }
    }

    /// Whether the call may have been applied although it failed.
    pub fn maybe_applied(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }

    /// The error and its causes on one line (`sqs.SendMessage is temporarily unavailable: …`),
    /// as a stored reason may show it: a provider's text can quote the address it refused, so
    /// contacts are redacted, and it is capped.
    pub fn chain(&self) -> String {
        const MOST: usize = 500;
        let chain = std::iter::successors(Some(self as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        crate::text::without_contacts(&chain).chars().take(MOST).collect()
    }
}

/// The domain's error: every variant is either worth retrying or final.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input can never succeed; record the reason and acknowledge it.
    #[error("rejected: {0}")]
    Rejected(Rejection),
    /// Another invocation holds the idempotency claim on this key; retry after it finishes or expires.
    #[error("{key} is being processed by another invocation")]
    InProgress { key: String },
    /// Not possible yet, but it may be soon (e.g. the contract's `customer.upserted` is on its way).
    #[error("deferred: {reason}")]
    Deferred { reason: String },
    #[error(transparent)]
    Port(#[from] PortError),
}

impl Error {
    pub fn rejected(code: RejectionCode, detail: impl Into<String>) -> Self {
        Self::Rejected(Rejection::new(code, detail))
    }

    /// Whether the same input may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Rejected(_) | Self::Port(PortError::Permanent { .. }) => false,
            Self::InProgress { .. }
            | Self::Deferred { .. }
            | Self::Port(PortError::Transient { .. } | PortError::Unknown { .. } | PortError::Misconfigured { .. }) => {
                true
            }
        }
    }
}

impl From<Rejection> for Error {
    fn from(rejection: Rejection) -> Self {
        Self::Rejected(rejection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_refusal_is_stored_without_the_address_it_quotes() {
        let refused = PortError::permanent(
            "ses.SendEmail",
            std::io::Error::other("MessageRejected: Email address is not verified: maria@example.cat, +34600111222"),
        );
        let chain = refused.chain();
        assert!(chain.starts_with("ses.SendEmail"), "{chain}");
        assert!(!chain.contains("maria@") && !chain.contains("600111222"), "{chain}");
    }

    #[test]
    fn a_parsers_message_keeps_the_rule_and_loses_the_value() {
        assert_eq!(
            without_values("invalid type: string \"Maria Puig\", expected a boolean at line 1 column 40"),
            "invalid type: string \"…\", expected a boolean"
        );
        assert_eq!(
            without_values("invalid type: integer `600111222`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            without_values("unknown variant `maria@example.cat`, expected one of `ca`, `es`"),
            "unknown variant `…`, expected one of `ca`, `es`"
        );
        assert_eq!(without_values("missing field `name`"), "missing field `name`");
        assert_eq!(without_values("phone number must be in E.164 form"), "phone number must be in E.164 form");
    }

    #[test]
    fn rejection_displays_its_snake_case_code_and_detail() {
        let rejection = Rejection::new(RejectionCode::UnknownContract, "contract C-1 is not known");
        assert_eq!(rejection.to_string(), "unknown_contract: contract C-1 is not known");
    }

    #[test]
    fn only_refusals_and_rejections_are_final() {
        let io = || std::io::Error::other("boom");
        assert!(Error::from(PortError::transient("op", io())).is_retryable());
        assert!(Error::InProgress { key: "k".into() }.is_retryable());
        assert!(Error::from(PortError::unknown("op", io())).is_retryable());
        // A deployment to fix: retried, then dead-lettered for a redrive, never dropped as invalid input.
        assert!(Error::from(PortError::misconfigured("op", io())).is_retryable());
        assert!(!Error::from(PortError::permanent("op", io())).is_retryable());
        assert!(!Error::rejected(RejectionCode::InvalidField, "x").is_retryable());
    }
}
