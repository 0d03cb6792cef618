//! Several processes migrating one new database at once (instances of a
//! deployment starting together): every one succeeds, and the indexes
//! built CONCURRENTLY are valid. This test binary's database is its own
//! and new, so the migrations really run here.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};

fn repository(url: &str) -> PostgresRepository {
    PostgresRepository::connect(&PostgresConfig {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(30),
        ..PostgresConfig::new(url.to_owned())
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrators_starting_together_all_succeed_and_leave_valid_indexes() {
    let url = payments_test_services::postgres::test_database_url().await;
    let migrators: Vec<PostgresRepository> = (0..4).map(|_| repository(&url)).collect();

    let results =
        futures::future::join_all(migrators.iter().map(PostgresRepository::migrate)).await;

    let failures: Vec<String> = results
        .iter()
        .filter_map(|result| result.as_ref().err().map(ToString::to_string))
        .collect();
    assert_eq!(failures, Vec::<String>::new());
    let invalid: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace",
    )
    .fetch_all(migrators[0].pool())
    .await
    .unwrap();
    assert_eq!(invalid, Vec::<String>::new());
}
