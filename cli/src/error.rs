//! What the CLI fails with; every message says what to do next.

use avisa_domain::PortError;
use avisa_local::LocalError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The reader of our output went away (`avisa … | head`): not a failure.
    #[error("standard output was closed")]
    ClosedPipe,
    #[error(
        "avisa does not know which deployment to use: give --outputs FILE (the stack's outputs, as \
         `sam list stack-outputs --stack-name avisa --output json` prints them; `make local-up` writes \
         {local}) or set AVISA_OUTPUTS to it{also}",
        local = avisa_local::local_up::OUTPUTS_FILE
    )]
    NoStack { also: String },
    #[error("{file}: {why}")]
    File { file: String, why: String },
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error("the deployment's data could not be read or written: {0}")]
    Port(#[from] PortError),
    #[error("{0}")]
    Domain(#[from] avisa_domain::Error),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused(message.into())
    }

    /// The message with its causes, one after another.
    pub fn report(&self) -> String {
        std::iter::successors(Some(self as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ")
    }
}
