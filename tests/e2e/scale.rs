//! A city-scale alert, smaller: 2,000 supply points through the real functions (about five minutes
//! here: moto answers a few hundred requests a second). `make scale` runs the same for more.

use avisa_domain::outage::CHUNK_CONTRACTS;
use avisa_local::scale::{self, ScaleRun};

const HOUSEHOLDS: usize = 2_000;

#[tokio::test]
async fn an_outage_alert_to_two_thousand_supply_points_tells_each_exactly_once_in_bounded_chunks() {
    // GIVEN 2,000 households in one sector (one in ten without a mobile; moto's SNS refuses numbers
    // ending in 99, so those fall back to email)
    // WHEN an outage of the sector is planned, approved (over the threshold) and its 48 h alert fires
    let report = Box::pin(scale::run(ScaleRun { households: HOUSEHOLDS, sms_parts_per_second: 1_000 })).await.unwrap();
    println!("{report}");
    // THEN every household is told exactly once
    assert_eq!((report.never_told, report.told_twice), (0, 0), "{report}");
    assert_eq!(report.notices, HOUSEHOLDS);
    // and the call centre is briefed once per alert: the 48 h one, and the priority one (to nobody)
    assert_eq!(report.briefings, 2, "{report}");
    // and the firings composed nobody themselves: the composer read two firings (the 48 h and the
    // priority alert), twenty chunks of 100 and the fallbacks to email, at most ten a batch
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
}
