//! The REST API on PostgreSQL: the whole HTTP table.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use axum::body::Body;
use axum::Router;
use bytes::Bytes;
use http::{Request, Response};
use http_api::{router, ApiKeys, ApiState};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use payments_tests::http_table::{self, api_keys_setting};
use tower::ServiceExt;

async fn send(app: Router, request: Request<Bytes>) -> Response<Bytes> {
    let response = app.oneshot(request.map(Body::from)).await.unwrap();
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
}

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

    http_table::run(|request| send(app.clone(), request)).await;
}
