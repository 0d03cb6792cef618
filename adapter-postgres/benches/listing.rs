//! What a page of payments by creation-time range costs on PostgreSQL in
//! an organisation of 1,000,000 payments against one of 1,000: the page is
//! a range of the partial index `(organisation_id, created_on, id)`, so
//! the two should cost the same. And what a monthly report costs over
//! 100,224 payments (February 2024, in an organisation of 300,000): an
//! index-only range scan of `(organisation_id, reported_on, id) INCLUDE
//! (currency, amount)`, summed by the server.
//!
//! `cargo bench -p adapter-postgres --bench listing` (PostgreSQL found or
//! started as the tests find it). The rows are copied in SQL from one
//! payment created through the repository (its storage form, created a
//! fixed interval apart), which takes about a minute; their events are not
//! written, as neither a listing nor a report reads them.

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use criterion::{criterion_group, criterion_main, Criterion};
use payments_domain::{Bounds, OrganisationId, PaymentFilter, Timestamp};
use payments_ports::testkit::fixtures::{created, instant, organisation};
use payments_ports::{ListOrder, PageRequest, PageSize, PaymentRepository};

/// Every page holds this many payments.
const PAGE: u64 = 20;

/// Stores `count` payments in a new organisation, created `apart`
/// seconds apart from `instant(0, 0)` (2024-01-01T00:00:00Z).
async fn organisation_of(
    repository: &PostgresRepository,
    count: i64,
    apart: i64,
) -> OrganisationId {
    let org = organisation();
    let template = created(org, instant(0, 0));
    repository.create(&template).await.unwrap();
    sqlx::query(
        "INSERT INTO payments (id, organisation_id, version, created_on, modified_on,
                               amount, currency, attributes, attributes_format)
         SELECT gen_random_uuid(), organisation_id, 0,
                created_on + n * $3 * INTERVAL '1 second', created_on + n * $3 * INTERVAL '1 second',
                amount, currency, attributes, attributes_format
         FROM payments, generate_series(1, $2 - 1) AS n
         WHERE id = $1",
    )
    .bind(template.payment.id.as_uuid())
    .bind(count)
    .bind(apart)
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
    let (store, small, large, reported) = runtime.block_on(async {
        let url = payments_test_services::postgres::test_database_url().await;
        let repository = PostgresRepository::connect(&PostgresConfig::new(url)).unwrap();
        repository.migrate().await.unwrap();
        let small = organisation_of(&repository, 1_000, 1).await;
        let large = organisation_of(&repository, 1_000_000, 1).await;
        let reported = organisation_of(&repository, 300_000, REPORTED_APART).await;
        // As autovacuum would: statistics for the planner, and the
        // visibility map an index-only scan needs.
        sqlx::query("VACUUM ANALYZE payments")
            .execute(repository.pool())
            .await
            .unwrap();
        let store: Arc<dyn PaymentRepository> = Arc::new(repository);
        (store, small, large, reported)
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

    let february = Bounds {
        from: Some(Timestamp::parse("2024-02-01T00:00:00Z").unwrap()),
        to: Some(Timestamp::parse("2024-03-01T00:00:00Z").unwrap()),
    };
    let mut group = c.benchmark_group("monthly report (PostgreSQL)");
    group.sample_size(10);
    group.bench_function("February 2024: 100,224 of 300,000 payments", |b| {
        b.to_async(&runtime).iter(|| {
            let store = Arc::clone(&store);
            async move {
                let totals = store
                    .totals(reported, february, &PaymentFilter::default())
                    .await
                    .unwrap();
                let lines: Vec<_> = totals.lines().collect();
                assert_eq!(lines.len(), 1);
                assert_eq!(
                    (lines[0].count, lines[0].amount.as_str()),
                    (100_224, "1002240.00")
                );
                totals
            }
        });
    });
    group.finish();
}

/// Seconds between the report organisation's payments: February 2024
/// (29 days) then holds 2,505,600 / 25 = 100,224 of them.
const REPORTED_APART: i64 = 25;

criterion_group!(benches, listing_pages);
criterion_main!(benches);
