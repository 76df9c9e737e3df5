//! `make scale`: an outage alert to many supply points, then an announcement to a file of many
//! contracts, through the local stack, with wall time, invocations, requests and memory.
//! `scale-report [SUPPLY_POINTS] [SMS_PARTS_PER_SECOND] [ANNOUNCEMENT_CONTRACTS]` (2,000, 1,000
//! and 2,000 when omitted; 0 contracts: no announcement).

use avisa_local::scale::{self, ScaleRun};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let number = |arg: Option<String>, default: usize| arg.map_or(Ok(default), |n| n.parse::<usize>());
    let asked = (number(args.next(), 2_000), number(args.next(), 1_000), number(args.next(), 2_000));
    let (households, rate, bulk) = match asked {
        (Ok(households), Ok(rate), Ok(bulk)) if households > 0 && rate > 0 && bulk <= 100_000 => {
            (households, rate, bulk)
        }
        _ => {
            eprintln!(
                "usage: scale-report [SUPPLY_POINTS] [SMS_PARTS_PER_SECOND] [ANNOUNCEMENT_CONTRACTS]  (positive \
                 numbers, 2000 and 1000 when omitted; up to 100000 contracts, 2000 when omitted, 0 for none)"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let sms_parts_per_second = u32::try_from(rate).unwrap_or(u32::MAX);
    let run = ScaleRun { households, bulk, sms_parts_per_second, measure_units: true };
    match Box::pin(scale::run(run)).await {
        Ok(report) => {
            print!("{report}");
            if !report.told.each_once() || report.bulk.as_ref().is_some_and(|b| !b.told.each_once()) {
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
