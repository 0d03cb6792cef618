//! `payments-client` against every front end the API runs on: `payments
//! serve` over TCP on the memory store and on PostgreSQL, and the Lambda
//! function through its event adapter, behind a loopback bridge that turns
//! each HTTP request into an API Gateway REST event (stage `prod`) and the
//! function's answer back into HTTP. One suite for all
//! (`payments_tests::client_suite`).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use adapter_memory::MemoryRepository;
use adapter_postgres::{PostgresConfig, PostgresRepository};
use payments_tests::client_suite::{run, serve, serve_router};
use payments_tests::lambda_events::{self, BodyEncoding, Shape, STAGE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_works_against_serve_on_the_memory_store() {
    run(&serve(Arc::new(MemoryRepository::new())).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_works_against_serve_on_postgresql() {
    // This test process's own database, empty until now.
    let url = payments_tests::postgres::test_database_url().await;
    let repository = PostgresRepository::connect(&PostgresConfig {
        acquire_timeout: Duration::from_secs(10),
        ..PostgresConfig::new(url)
    })
    .unwrap();
    repository.migrate().await.unwrap();
    run(&serve(Arc::new(repository)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_works_against_the_lambda_function_behind_its_stage() {
    let function = lambda_events::memory_function();
    let prefix = format!("/{STAGE}");
    let bridge = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (function, prefix) = (function.clone(), prefix.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
            // API Gateway routes the stage and hands the function the rest.
            let inside = target.strip_prefix(prefix.as_str()).unwrap_or(target);
            let mut event = http::Request::builder().method(parts.method).uri(inside);
            for (name, value) in &parts.headers {
                event = event.header(name, value);
            }
            let event = event.body(body).unwrap();
            // The invocation's future is not Send (the function is not
            // Sync); a blocking thread drives it to its answer.
            let runtime = tokio::runtime::Handle::current();
            let answer = tokio::task::spawn_blocking(move || {
                runtime.block_on(lambda_events::send(
                    &function,
                    Shape::RestV1,
                    BodyEncoding::Text,
                    event,
                ))
            })
            .await
            .unwrap();
            let (parts, body) = answer.into_parts();
            axum::response::Response::from_parts(parts, axum::body::Body::from(body))
        }
    });
    let base = serve_router(bridge).await;
    run(&format!("{base}/{STAGE}")).await;
}
