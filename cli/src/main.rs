//! `avisa`: the command line of avisa's developers and operators — the local stack, tenants and
//! their tokens, planned outages, failures and their redrive — against `make local-up` or any
//! deployment (see `avisa --help`; every command has its own `--help`).

mod args;
mod commands;
mod error;
mod import;
mod output;
mod stack;

use std::process::ExitCode;

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
