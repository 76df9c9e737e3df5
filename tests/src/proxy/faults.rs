//! Faults as AWS serves them: each service's own throttling and internal-error responses (so the
//! SDK reads the same codes it would from AWS), answers that never come, and calls applied whose
//! answer is lost on the way back.

use std::time::Duration;

use bytes::Bytes;

/// What goes wrong with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The service says "slow down" (400/429/503 with its throttling code); nothing applied.
    Throttled,
    /// The service fails inside (500); nothing applied.
    ServerError,
    /// The connection dropped before the call reached the service.
    Reset,
    /// No answer within the client's timeout; the call never reached the service.
    Timeout,
    /// The call was applied, then the connection dropped before the answer.
    AnswerLost,
    /// Not injected: the service applied the call but answered after the client's timeout.
    TooSlow,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] =
        [Self::Throttled, Self::ServerError, Self::Reset, Self::Timeout, Self::AnswerLost, Self::TooSlow];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::ServerError => "server error (500)",
            Self::Reset => "connection reset",
            Self::Timeout => "timeout",
            Self::AnswerLost => "applied, answer lost",
            Self::TooSlow => "applied, answered too late",
        }
    }

    /// Whether the service applied the call.
    pub fn applied(self) -> bool {
        matches!(self, Self::AnswerLost | Self::TooSlow)
    }
}

/// Which calls fail and how: a fixed seed makes a run's choices repeatable.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub seed: u64,
    /// The share of calls that fail (0.1 = one in ten).
    pub rate: f64,
    /// How the failing calls fail, by weight.
    pub mix: Vec<(FaultKind, u32)>,
    /// How long a timed-out call hangs: longer than the clients' attempt timeout.
    pub hang: Duration,
    /// At most this many calls hang (each costs `hang` of the run); later timeouts are resets.
    pub max_hangs: usize,
}

impl FaultPlan {
    /// One call in ten fails: mostly throttling, some 500s, some timeouts, some answers lost after
    /// the call was applied.
    pub fn ten_percent(seed: u64) -> Self {
        Self {
            seed,
            rate: 0.10,
            mix: vec![
                (FaultKind::Throttled, 4),
                (FaultKind::ServerError, 2),
                (FaultKind::Reset, 1),
                (FaultKind::Timeout, 1),
                (FaultKind::AnswerLost, 2),
            ],
            hang: crate::stack::LOCAL_ATTEMPT_TIMEOUT + Duration::from_millis(500),
            max_hangs: 4,
        }
    }
}

/// Draws faults for a plan.
#[derive(Debug)]
pub(super) struct Injector {
    plan: FaultPlan,
    rng: fastrand::Rng,
    hangs: usize,
}

impl Injector {
    pub(super) fn new(plan: FaultPlan) -> Self {
        let rng = fastrand::Rng::with_seed(plan.seed);
        Self { plan, rng, hangs: 0 }
    }

    pub(super) fn hang(&self) -> Duration {
        self.plan.hang
    }

    pub(super) fn draw(&mut self) -> Option<FaultKind> {
        if self.rng.f64() >= self.plan.rate {
            return None;
        }
        let total: u32 = self.plan.mix.iter().map(|(_, weight)| weight).sum();
        let mut pick = self.rng.u32(0..total.max(1));
        for (kind, weight) in &self.plan.mix {
            if pick < *weight {
                if *kind == FaultKind::Timeout {
                    self.hangs += 1;
                    if self.hangs > self.plan.max_hangs {
                        return Some(FaultKind::Reset);
                    }
                }
                return Some(*kind);
            }
            pick -= weight;
        }
        None
    }
}

/// The response a provider gives when it refuses a send for good: an address it will not mail,
/// a number it will not text.
pub(super) fn refusal(service: &str) -> http::Response<Bytes> {
    let response = if service == "sns" {
        http::Response::builder().status(400).header("content-type", "text/xml").body(Bytes::from(
            r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: not a mobile number</Message></Error><RequestId>avisa-fault</RequestId></ErrorResponse>"#,
        ))
    } else {
        http::Response::builder()
            .status(400)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", "MessageRejected")
            .body(Bytes::from(r#"{"message":"Email address is not valid: the mailbox does not exist"}"#))
    };
    response.unwrap_or_default()
}

/// The response a service gives for `kind` (throttling or an internal error), in its protocol.
pub(super) fn error_response(service: &str, kind: FaultKind) -> http::Response<Bytes> {
    let throttled = kind == FaultKind::Throttled;
    let json = |status: u16, content_type: &str, body: String| {
        http::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .header("x-amzn-requestid", "avisa-fault")
            .body(Bytes::from(body))
    };
    let xml = |status: u16, body: String| {
        http::Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .header("x-amz-request-id", "avisa-fault")
            .body(Bytes::from(body))
    };
    let response = match (service, throttled) {
        ("dynamodb", true) => json(
            400,
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#.into(),
        ),
        ("dynamodb", false) => json(
            500,
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#.into(),
        ),
        ("sqs", true) => json(
            400,
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Request is throttled."}"#.into(),
        )
        .map(|mut r| {
            r.headers_mut().insert("x-amzn-query-error", http::HeaderValue::from_static("RequestThrottled;Sender"));
            r
        }),
        ("sqs", false) => json(
            500,
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazon.coral.service#InternalFailure","message":"We encountered an internal error."}"#.into(),
        )
        .map(|mut r| {
            r.headers_mut().insert("x-amzn-query-error", http::HeaderValue::from_static("InternalFailure;Receiver"));
            r
        }),
        ("sns", _) => {
            let (status, kind, code) = if throttled { (400, "Sender", "Throttling") } else { (500, "Receiver", "InternalError") };
            xml(
                status,
                format!(
                    r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>{kind}</Type><Code>{code}</Code><Message>injected by avisa's fault proxy</Message></Error><RequestId>avisa-fault</RequestId></ErrorResponse>"#
                ),
            )
        }
        ("s3", _) => {
            let (status, code) = if throttled { (503, "SlowDown") } else { (500, "InternalError") };
            xml(
                status,
                format!(r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>injected by avisa's fault proxy</Message><RequestId>avisa-fault</RequestId></Error>"#),
            )
        }
        // restJson1 services (SES v2, Scheduler): the code travels in x-amzn-ErrorType.
        (service, _) => {
            let (status, code) = match (service, throttled) {
                ("ses", true) => (429, "TooManyRequestsException"),
                ("ses", false) => (500, "InternalServiceErrorException"),
                (_, true) => (429, "ThrottlingException"),
                (_, false) => (500, "InternalServerException"),
            };
            json(status, "application/json", r#"{"message":"injected by avisa's fault proxy"}"#.into()).map(|mut r| {
                if let Ok(value) = http::HeaderValue::from_str(code) {
                    r.headers_mut().insert("x-amzn-errortype", value);
                }
                r
            })
        }
    };
    response.unwrap_or_default()
}
