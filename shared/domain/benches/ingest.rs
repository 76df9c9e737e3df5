//! Billing events parsed, validated and applied per second, on one core, with in-memory ports:
//! the cost of avisa's own code per event, without the network. `make bench` prints the figure
//! (criterion's `thrpt`, in events per second).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use avisa_domain::billing::BillingEvent;
use avisa_domain::fakes::{self, Fakes};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn bodies(name: &str, count: usize) -> Vec<String> {
    let template: serde_json::Value = serde_json::from_str(&fakes::sample_body(name)).unwrap();
    (0..count)
        .map(|i| {
            let mut event = template.clone();
            event["event_id"] = format!("bench-{name}-{i}").into();
            if let Some(number) = event["data"].get_mut("number") {
                *number = format!("F-BENCH-{i}").into();
            }
            event.to_string()
        })
        .collect()
}

fn ingest_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut group = c.benchmark_group("billing-ingest");
    group.throughput(Throughput::Elements(1));
    for name in ["invoice-issued", "payment-plan-updated", "customer-upserted"] {
        let fakes = Fakes::default();
        let ingest = fakes.ingest();
        runtime.block_on(ingest.handle(&fakes::sample("customer-upserted"), fakes::UPSTREAM, 1)).unwrap();
        let events = bodies(name, 200_000);
        let mut next = events.iter().cycle();
        group.bench_function(format!("parse+validate+apply {name}"), |b| {
            b.iter_batched(
                || next.next().unwrap().as_str(),
                |body| {
                    let event = BillingEvent::parse(body).unwrap();
                    black_box(runtime.block_on(ingest.handle(&event, fakes::UPSTREAM, 1)).unwrap());
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = ingest_throughput
}
criterion_main!(benches);
