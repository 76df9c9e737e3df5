//! A city-scale alert and announcement, smaller: 2,000 supply points and a file of 1,000 contracts
//! through the real functions (minutes here: moto answers a few hundred requests a second). `make
//! scale` runs the same for more.

use avisa_domain::sends::CHUNK_CONTRACTS;
use avisa_local::scale::{self, ScaleRun};

const HOUSEHOLDS: usize = 2_000;
/// The announcement's file: half the town (make test's time; `make scale` sends to 2,000 and more).
const FILE: usize = 1_000;

#[tokio::test]
async fn an_alert_and_an_announcement_to_two_thousand_households_tell_each_exactly_once_in_bounded_chunks() {
    // GIVEN 2,000 households in one sector (one in ten without a mobile; moto's SNS refuses numbers
    // ending in 99, so those fall back to email)
    // WHEN an outage of the sector is planned, approved (over the threshold) and its 48 h alert fires
    let run = ScaleRun { households: HOUSEHOLDS, bulk: FILE, sms_parts_per_second: 1_000, measure_units: false };
    let report = Box::pin(scale::run(run)).await.unwrap();
    println!("{report}");
    // THEN every household is told exactly once
    assert_eq!((report.told.never, report.told.twice, report.told.notices), (0, 0, HOUSEHOLDS), "{report}");
    // and the call centre is briefed once per alert: the 48 h one, and the priority one (to nobody)
    assert_eq!(report.briefings, 2, "{report}");
    // and the firings composed nobody themselves: the composer read two firings (the 48 h and the
    // priority alert), eighty chunks of 25 and the fallbacks to email, at most ten a batch
    let status = &report.status;
    assert_eq!(status.parts as usize, HOUSEHOLDS.div_ceil(CHUNK_CONTRACTS));
    let composer = &report.invocations["notice-composer"];
    let refused: u64 = status.refused.values().sum();
    assert_eq!(composer.records as u64, 2 + u64::from(status.parts) + refused, "{report}");
    assert!(composer.most_records <= 10, "{report}");
    // and the send's status says it is finished: all composed, delivered or refused with why
    assert_eq!((status.contracts, status.contracts_composed, status.recipients), (2_000, 2_000, 2_000));
    let sent: u64 = status.sent.values().sum();
    assert_eq!((sent + refused, status.recovered), (2_000, refused), "{status:?}");
    assert_eq!(status.reasons.get("provider_refused").copied().unwrap_or(0), refused);
    assert_eq!((status.waiting, status.parts_done), (0, status.parts));
    assert!(status.finished_at.is_some(), "{status:?}");
    // WHEN then an announcement goes to a file of 1,000 of the same contracts
    // THEN each of them hears it exactly once (and nobody outside the file), from forty chunks of at
    // most ten records an invocation, and its send is finished
    let bulk = report.bulk.as_ref().unwrap();
    assert_eq!((bulk.told.never, bulk.told.twice, bulk.told.notices), (0, 0, FILE), "{report}");
    let parts = u32::try_from(FILE.div_ceil(CHUNK_CONTRACTS)).unwrap();
    assert_eq!((bulk.status.parts, bulk.status.parts_done), (parts, parts));
    assert!(bulk.invocations["notice-composer"].most_records <= 10, "{report}");
    let (sent, refused): (u64, u64) = (bulk.status.sent.values().sum(), bulk.status.refused.values().sum());
    assert_eq!(
        (sent + refused, bulk.status.recovered, bulk.status.waiting),
        (FILE as u64, refused, 0),
        "{:?}",
        bulk.status
    );
    assert!(bulk.status.finished_at.is_some(), "{:?}", bulk.status);
    // AND on AWS every invocation of either send would end well inside its timeout: its busiest,
    // its calls made one after another at 10 ms, in under a third of it
    let on_aws = report.on_aws();
    assert!(on_aws.iter().any(|o| o.function == "notice-composer" && o.calls > 100), "{report}");
    for o in on_aws {
        let timeout = f64::from(u32::try_from(o.timeout_seconds).unwrap());
        assert!(timeout > 0.0 && o.seconds * 3.0 < timeout, "{o:?}\n{report}");
    }
}
