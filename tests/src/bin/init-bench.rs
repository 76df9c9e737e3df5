//! `make bench-init`: `init-bench [DIR] [RUNS]` — cold starts of the release binaries in DIR
//! (default target/release), RUNS times each (default 15), next to a bare `lambda_runtime` binary.

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map_or_else(|| avisa_local::moto::workspace_root().join("target/release"), Into::into);
    let runs = match args.next().map(|n| n.parse::<usize>()) {
        None => 15,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: init-bench [DIR] [RUNS]  (RUNS a positive number, 15 when omitted)");
            return std::process::ExitCode::from(2);
        }
    };
    match avisa_local::init_bench::measure(&dir, runs) {
        Ok(measured) => {
            print!("{}", avisa_local::init_bench::report(&measured));
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("init-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
