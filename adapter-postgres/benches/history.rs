//! What a page of history costs on PostgreSQL, deep in a long history
//! against the start of a short one: the page is an index range on
//! `(payment_id, version)`, so the two should cost the same.
//!
//! `cargo bench -p adapter-postgres --bench history` (PostgreSQL found or
//! started as the tests find it; building the 10,000 versions takes a few
//! seconds).

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use criterion::{criterion_group, criterion_main, Criterion};
use payments_domain::Version;
use payments_ports::testkit::history::with_changes;
use payments_ports::{HistoryRequest, PageSize, PaymentRepository};

/// Both pages hold this many events.
const PAGE: u64 = 10;

fn history_pages(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store: Arc<dyn PaymentRepository> = runtime.block_on(async {
        let url = payments_test_services::postgres::test_database_url().await;
        let repository = PostgresRepository::connect(&PostgresConfig::new(url)).unwrap();
        repository.migrate().await.unwrap();
        Arc::new(repository)
    });
    let long = runtime.block_on(with_changes(&store, 9_999));
    let short = runtime.block_on(with_changes(&store, 9));
    let size = PageSize::new(PAGE).unwrap();

    let page = |payment: &payments_domain::Payment, request: HistoryRequest| {
        let store = Arc::clone(&store);
        let (organisation, id) = (payment.organisation_id, payment.id);
        async move {
            let page = store
                .events(organisation, id, request)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(page.events.len() as u64, PAGE);
            page
        }
    };

    let mut group = c.benchmark_group("history page of 10 events (PostgreSQL)");
    group.bench_function("first page of a 10-version payment", |b| {
        b.to_async(&runtime)
            .iter(|| page(&short[0].payment, HistoryRequest::first(size)));
    });
    for version in [100, 9_900] {
        let name = format!("page at version {version} of a 10,000-version payment");
        group.bench_function(name, |b| {
            let request = HistoryRequest {
                size,
                after: Some(Version::new(version - 1)),
            };
            b.to_async(&runtime)
                .iter(|| page(&long[0].payment, request));
        });
    }
    group.finish();
}

criterion_group!(benches, history_pages);
criterion_main!(benches);
