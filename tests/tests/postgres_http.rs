//! The REST API on PostgreSQL: the whole HTTP table.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use http_api::{router, ApiKeys, ApiState};
use payments_ports::PaymentService;
use payments_tests::http_table::{self, api_keys_setting, send_in_process};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_on_postgres() {
    // The table starts from a database of this process's own.
    let url = payments_tests::postgres::test_database_url().await;
    let service = PaymentService::with_system_clock(Arc::new({
        let repository = PostgresRepository::connect(&PostgresConfig {
            max_connections: 5,
            acquire_timeout: Duration::from_secs(2),
            ..PostgresConfig::new(url.clone())
        })
        .unwrap();
        repository.migrate().await.unwrap();
        repository
    }));
    let app = router(ApiState::new(
        service,
        ApiKeys::parse(&api_keys_setting()).unwrap(),
    ));

    http_table::run(|request| send_in_process(app.clone(), request)).await;
}
