//! Deliveries dispatched per second on one core with in-memory ports: claim, tenant settings,
//! rate budget, opt-out check, send, record. `make bench` prints the figure (criterion's `thrpt`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use avisa_domain::channel::Channel;
use avisa_domain::fakes::{self, Fakes};
use avisa_domain::ids::NoticeId;
use avisa_domain::ports::NoticeStore;
use avisa_domain::queues::DeliveryJob;
use avisa_domain::tenant::{RateLimits, TenantSettings};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn dispatch_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut fakes = runtime.block_on(Fakes::with_notice());
    // no budget in the way: the figure is avisa's own cost
    fakes.defaults = TenantSettings {
        rate_limits: RateLimits {
            email_per_second: u32::MAX,
            sms_parts_per_second: u32::MAX,
            whatsapp_per_second: u32::MAX,
        },
        ..fakes::default_settings()
    };
    let composed =
        runtime.block_on(fakes.notices.notice(&fakes::tenant(), &fakes::compose_job().notice_id)).unwrap().unwrap();
    let dispatch = fakes.dispatcher();
    let mut group = c.benchmark_group("notice-dispatcher");
    group.throughput(Throughput::Elements(1));
    let mut counter = 0_u64;
    for channel in [Channel::Sms, Channel::Email] {
        group.bench_function(format!("deliver {} (claim, budget, send, record)", channel.as_str()), |b| {
            b.iter_batched(
                || {
                    // a new notice each time (outside the measurement): every delivery is a first one
                    counter += 1;
                    let mut notice = composed.clone();
                    notice.notice_id = NoticeId::parse(&format!("n-bench-{counter}")).unwrap();
                    runtime.block_on(fakes.notices.create(&notice)).unwrap();
                    DeliveryJob::new(fakes::tenant(), notice.notice_id, channel, false)
                },
                |job| black_box(runtime.block_on(dispatch.handle(&job)).unwrap()),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = dispatch_throughput
}
criterion_main!(benches);
