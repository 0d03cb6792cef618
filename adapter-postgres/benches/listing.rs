//! What a page of payments by creation-time range costs on PostgreSQL in
//! an organisation of 1,000,000 payments against one of 1,000: the page is
//! a range of the partial index `(organisation_id, created_on, id)`, so
//! the two should cost the same.
//!
//! `cargo bench -p adapter-postgres --bench listing` (PostgreSQL found or
//! started as the tests find it). The million rows are copied in SQL from
//! one payment created through the repository (its storage form, a second
//! apart), which takes under a minute; their events are not written, as
//! a listing never reads them.

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use criterion::{criterion_group, criterion_main, Criterion};
use payments_domain::{Bounds, OrganisationId};
use payments_ports::testkit::fixtures::{created, instant, organisation};
use payments_ports::{ListOrder, PageRequest, PageSize, PaymentRepository};

/// Every page holds this many payments.
const PAGE: u64 = 20;

/// Stores `count` payments in a new organisation, created one second
/// apart from `instant(0, 0)`.
async fn organisation_of(repository: &PostgresRepository, count: i64) -> OrganisationId {
    let org = organisation();
    let template = created(org, instant(0, 0));
    repository.create(&template).await.unwrap();
    sqlx::query(
        "INSERT INTO payments (id, organisation_id, version, created_on, modified_on,
                               amount, currency, attributes, attributes_format)
         SELECT gen_random_uuid(), organisation_id, 0,
                created_on + n * INTERVAL '1 second', created_on + n * INTERVAL '1 second',
                amount, currency, attributes, attributes_format
         FROM payments, generate_series(1, $2 - 1) AS n
         WHERE id = $1",
    )
    .bind(template.payment.id.as_uuid())
    .bind(count)
    .execute(repository.pool())
    .await
    .unwrap();
    org
}

fn listing_pages(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (store, small, large) = runtime.block_on(async {
        let url = payments_test_services::postgres::test_database_url().await;
        let repository = PostgresRepository::connect(&PostgresConfig::new(url)).unwrap();
        repository.migrate().await.unwrap();
        let small = organisation_of(&repository, 1_000).await;
        let large = organisation_of(&repository, 1_000_000).await;
        sqlx::query("ANALYZE payments")
            .execute(repository.pool())
            .await
            .unwrap();
        let store: Arc<dyn PaymentRepository> = Arc::new(repository);
        (store, small, large)
    });

    // Inside both organisations: from second 500 for an hour.
    let range = Bounds {
        from: Some(instant(500, 0)),
        to: Some(instant(4_100, 0)),
    };
    let page = |org: OrganisationId, order: ListOrder| {
        let store = Arc::clone(&store);
        async move {
            let request = PageRequest {
                size: PageSize::new(PAGE).unwrap(),
                after: None,
                order,
                created: range,
            };
            let page = store.list(org, request).await.unwrap();
            assert_eq!(page.payments.len() as u64, PAGE);
            page
        }
    };

    let mut group = c.benchmark_group("page of 20 by creation-time range (PostgreSQL)");
    for (name, org) in [("1,000 stored", small), ("1,000,000 stored", large)] {
        for order in [ListOrder::OldestFirst, ListOrder::NewestFirst] {
            group.bench_function(format!("{name}, {order:?}"), |b| {
                b.to_async(&runtime).iter(|| page(org, order));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, listing_pages);
criterion_main!(benches);
