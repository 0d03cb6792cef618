//! The shared storage contract, on a real PostgreSQL (found or started by
//! `payments_test_services::postgres`), plus what only this adapter promises: the
//! schema migrates twice, corrupt rows and an unreachable server map to
//! their port errors. (That a page is an index range scan is checked next
//! to the query, in `src/repository.rs`.)

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use payments_domain::Payment;
use payments_ports::testkit::fixtures::{created, instant, organisation};
use payments_ports::{CreateError, PaymentRepository, StoreError};

/// A repository on this test process's database, migrated. Each test has its
/// own pool: a pool belongs to the Tokio runtime that made it, and every
/// `#[tokio::test]` runs its own.
async fn repository() -> PostgresRepository {
    let url = payments_test_services::postgres::test_database_url().await;
    let repository = PostgresRepository::connect(&PostgresConfig {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
        ..PostgresConfig::new(url)
    })
    .unwrap();
    repository.migrate().await.unwrap();
    repository
}

async fn factory() -> Arc<dyn PaymentRepository> {
    Arc::new(repository().await)
}

payments_ports::storage_contract_tests!(factory());

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let repository = repository().await;

    repository.migrate().await.unwrap();
    repository.migrate().await.unwrap();

    repository.ping().await.unwrap();
}

#[tokio::test]
async fn a_row_that_breaks_the_model_reads_as_corrupt_without_its_data() {
    let repository = repository().await;
    let event = created(organisation(), instant(0, 0));
    repository.create(&event).await.unwrap();
    // Bypass the repository as a faulty script or migration could.
    sqlx::query(
        "UPDATE payments
         SET attributes = attributes || '{\"reference\": \"Jane Doe\", \"unknown\": 1}'
         WHERE id = $1",
    )
    .bind(event.payment.id.as_uuid())
    .execute(repository.pool())
    .await
    .unwrap();

    let result = repository
        .get(event.payment.organisation_id, event.payment.id)
        .await;

    let Err(StoreError::Corrupt { detail, .. }) = result else {
        panic!("expected Corrupt, got {result:?}")
    };
    assert_eq!(
        detail,
        format!(
            "payment {}: attributes do not have the shape of format 1 (Data error)",
            event.payment.id
        )
    );
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    // A port nothing listens on: connecting is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let repository = PostgresRepository::connect(&PostgresConfig {
        acquire_timeout: Duration::from_millis(500),
        ..PostgresConfig::new(format!("postgres://postgres@127.0.0.1:{port}/none"))
    })
    .unwrap();

    let ping = repository.ping().await;
    let create = repository
        .create(&Payment::create(
            payments_ports::testkit::fixtures::payment_id(),
            organisation(),
            payments_ports::testkit::fixtures::attributes("1.00", "GBP"),
            instant(0, 0),
        ))
        .await;

    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    assert!(
        matches!(create, Err(CreateError::Store(StoreError::Unavailable(_)))),
        "{create:?}"
    );
}
