//! Notices composed per second on one core: the account read, channel choice, and the real
//! templates rendered (email subject, text and HTML, plus the SMS), with in-memory ports.
//! `make bench` prints the figure (criterion's `thrpt`, in notices per second).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use avisa_domain::fakes::{self, Fakes};
use avisa_domain::ids::EventId;
use avisa_domain::notice::NoticeSubject;
use avisa_domain::queues::ComposeJob;
use avisa_templates::Templates;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

// The functions' allocator, so that the figure is theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn compose_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let fakes = runtime.block_on(Fakes::with_invoice(|_| {}));
    let templates = Templates::load().unwrap();
    let compose = fakes.composer_with(&templates, &fakes.defaults);
    let mut group = c.benchmark_group("notice-composer");
    group.throughput(Throughput::Elements(1));
    let mut counter = 0_u64;
    group.bench_function("compose invoice_available (email html+text, sms)", |b| {
        b.iter_batched(
            || {
                counter += 1;
                // What the composer keeps is the store's and the queue's, not its own: emptied
                // outside the timing, or the figure would be the fakes' growth.
                if counter.is_multiple_of(256) {
                    fakes.notices.clear();
                    fakes.dispatch.drain();
                }
                // a new cause each time, so each iteration composes a new notice
                ComposeJob::new(
                    fakes::tenant(),
                    fakes::contract(),
                    NoticeSubject::InvoiceAvailable { invoice_number: fakes::invoice_number() },
                    EventId::parse(&format!("bench-{counter}")).unwrap(),
                )
            },
            |job| black_box(runtime.block_on(compose.handle(&job)).unwrap()),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = compose_throughput
}
criterion_main!(benches);
