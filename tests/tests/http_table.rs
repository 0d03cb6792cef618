//! The HTTP table against the Router in process (`oneshot`, no socket), on
//! the in-memory store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_api::{router, ApiKeys, ApiState};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use payments_tests::http_table::{self, api_keys_setting};
use tower::ServiceExt;

fn app() -> axum::Router {
    let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
    router(ApiState::new(
        service,
        ApiKeys::parse(&api_keys_setting()).unwrap(),
    ))
}

async fn send(app: axum::Router, request: Request<Bytes>) -> Response<Bytes> {
    let response = app.oneshot(request.map(Body::from)).await.unwrap();
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
}

#[tokio::test]
async fn the_table_passes_in_process() {
    let app = app();
    http_table::run(|request| send(app.clone(), request)).await;
}
