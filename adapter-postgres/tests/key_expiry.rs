//! Expired idempotency keys are deleted in bounded batches. In a test
//! process of its own, so its own database: the counts are exact only when
//! no other test's keys share the table.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use payments_ports::testkit::fixtures::{claim, created, idempotency_key, organisation};
use payments_ports::PaymentRepository;

async fn repository() -> PostgresRepository {
    let url = payments_test_services::postgres::test_database_url().await;
    let repository = PostgresRepository::connect(&PostgresConfig {
        acquire_timeout: Duration::from_secs(10),
        ..PostgresConfig::new(url)
    })
    .unwrap();
    repository.migrate().await.unwrap();
    repository
}

#[tokio::test]
async fn purging_deletes_exactly_the_expired_keys_in_batches() {
    let repository = repository().await;
    let org = organisation();
    let in_1990 = |seconds: i64| {
        payments_domain::Timestamp::from_unix_micros(631_152_000_000_000 + seconds * 1_000_000)
            .unwrap()
    };
    for second in 0..5 {
        let event = created(org, in_1990(second));
        repository
            .create_idempotent(&event, &claim(&idempotency_key(), "request"))
            .await
            .unwrap();
    }

    let first_batch = repository
        .purge_idempotency_keys(in_1990(3), 2)
        .await
        .unwrap();
    let second_batch = repository
        .purge_idempotency_keys(in_1990(3), 2)
        .await
        .unwrap();
    let nothing_left = repository
        .purge_idempotency_keys(in_1990(3), 2)
        .await
        .unwrap();

    assert_eq!((first_batch, second_batch, nothing_left), (2, 2, 0));
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM idempotency_keys WHERE created_on < '1991-01-01'")
            .fetch_one(repository.pool())
            .await
            .unwrap();
    assert_eq!(left, 1, "the key first used at 4 s is in force");
}
