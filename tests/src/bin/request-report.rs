//! `make requests`: a billing run through the local stack, and the AWS requests each email notice
//! costs, by function, service and operation. `request-report [INVOICES]` (default 100).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let invoices = match std::env::args().nth(1).map(|n| n.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: request-report [INVOICES]  (a positive number; 100 when omitted)");
            return std::process::ExitCode::from(2);
        }
    };
    match avisa_local::requests::run(invoices).await {
        Ok(report) => {
            print!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("request-report: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
