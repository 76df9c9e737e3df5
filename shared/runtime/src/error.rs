use lambda_runtime::Diagnostic;

use crate::config::ConfigError;

/// What a function can fail with as a whole (records fail one by one, see [`crate::sqs`]).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Permanent: the deployment is missing a setting; redeploy with it.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Permanent: the templates shipped in this build are broken.
    #[error("templates could not be loaded")]
    Templates(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Permanent: the request itself is wrong; the message says how.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The work failed (retryable or not, as its source says).
    #[error("the work failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RuntimeError {
    fn kind(&self) -> &'static str {
        match self {
            Self::Config(_) => "ConfigError",
            Self::Templates(_) => "TemplateError",
            Self::Invalid(_) => "InvalidRequest",
            Self::Failed(_) => "Failed",
        }
    }
}

impl From<RuntimeError> for Diagnostic {
    fn from(error: RuntimeError) -> Self {
        let message = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        Diagnostic { error_type: error.kind().to_owned(), error_message: message }
    }
}
