//! The REST API on PostgreSQL: the whole HTTP table.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use payments_tests::http_table::{self, send_in_process};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_on_postgres() {
    // The table starts from a database of this process's own.
    let url = payments_tests::postgres::test_database_url().await;
    let repository = PostgresRepository::connect(&PostgresConfig {
        max_connections: 5,
        acquire_timeout: Duration::from_secs(2),
        ..PostgresConfig::new(url)
    })
    .unwrap();
    repository.migrate().await.unwrap();
    let app = http_table::app(Arc::new(repository));

    http_table::run(|request| send_in_process(app.clone(), request)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_with_retry_after_when_the_database_does_not_answer() {
    // Nothing listens on port 1: every connection attempt is refused.
    let unreachable = PostgresRepository::connect(&PostgresConfig {
        max_connections: 1,
        acquire_timeout: Duration::from_secs(1),
        ..PostgresConfig::new("postgres://postgres@127.0.0.1:1/payments".to_owned())
    })
    .unwrap();
    let app = http_table::app(Arc::new(unreachable));

    let ready = send_in_process(
        app.clone(),
        http::Request::get("/ready")
            .body(bytes::Bytes::new())
            .unwrap(),
    )
    .await;
    let health = send_in_process(
        app,
        http::Request::get("/health")
            .body(bytes::Bytes::new())
            .unwrap(),
    )
    .await;

    assert_eq!(ready.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));
    assert_eq!(ready.headers()["content-type"], "application/problem+json");
    assert!(
        !String::from_utf8_lossy(ready.body()).contains("127.0.0.1"),
        "the body names no internals"
    );
    assert_eq!(
        health.status(),
        http::StatusCode::OK,
        "the process itself is up"
    );
}
