use std::process::ExitCode;

use avisa_cli::{args, commands, error, output};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let output = output::Output { json: cli.json };
    match commands::run(cli, output).await {
        Ok(()) | Err(error::CliError::ClosedPipe) => ExitCode::SUCCESS,
        Err(error) => {
            output::note(&format!("error: {}", error.report()));
            ExitCode::FAILURE
        }
    }
}
