//! `make scale`: an outage alert to many supply points through the local stack, with its wall
//! time, invocations, requests and memory. `scale-report [SUPPLY_POINTS] [SMS_PARTS_PER_SECOND]`
//! (2,000 and 1,000 when omitted).

use avisa_local::scale::{self, ScaleRun};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let number = |arg: Option<String>, default: usize| arg.map_or(Ok(default), |n| n.parse::<usize>());
    let (households, rate) = match (number(args.next(), 2_000), number(args.next(), 1_000)) {
        (Ok(households), Ok(rate)) if households > 0 && rate > 0 => (households, rate),
        _ => {
            eprintln!(
                "usage: scale-report [SUPPLY_POINTS] [SMS_PARTS_PER_SECOND]  (positive numbers; 2000 and 1000 when omitted)"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let run = ScaleRun { households, sms_parts_per_second: u32::try_from(rate).unwrap_or(u32::MAX) };
    match Box::pin(scale::run(run)).await {
        Ok(report) => {
            print!("{report}");
            if report.never_told + report.told_twice > 0 {
                eprintln!("scale-report: not everyone was told exactly once");
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("scale-report: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
