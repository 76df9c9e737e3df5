//! `avisa-local demo`: the whole pipeline on a throw-away local stack, with a short report.
//! `avisa-local up [--port N]`: the local stack on a known port, provisioned and waiting, for
//! `cargo lambda watch` / `cargo lambda invoke` (see README). Ctrl-C stops it.

use std::process::ExitCode;

use avisa_local::{LocalStack, demo};

const DEFAULT_PORT: u16 = 5055;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["demo"] => run_demo().await,
        ["up"] => up(DEFAULT_PORT).await,
        ["up", "--port", port] => match port.parse() {
            Ok(port) => up(port).await,
            Err(_) => Err(format!("--port takes a port number, not {port:?}")),
        },
        _ => Err("usage: avisa-local [demo | up [--port N]]".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    std::iter::successors(Some(error), |e| e.source()).map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

async fn run_demo() -> Result<(), String> {
    let stack = LocalStack::start().await.map_err(|e| chain(&e))?;
    let report = demo::run(&stack).await.map_err(|e| chain(&e))?;
    print!("{report}");
    Ok(()) // dropping the stack stops moto
}

async fn up(port: u16) -> Result<(), String> {
    let stack = LocalStack::start_on(port).await.map_err(|e| chain(&e))?;
    println!("local AWS on {} (moto), provisioned from {}", stack.endpoint(), stack.template.path.display());
    println!("functions' environment, as the template gives it (also in Cargo.toml [workspace.metadata.lambda.env]):");
    for spec in &stack.functions {
        let mut env: Vec<_> = spec.env.iter().collect();
        env.sort();
        println!("  {}: {}", spec.binary, env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "));
    }
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}
