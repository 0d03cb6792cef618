//! What the API itself costs per request, in process (no socket, the
//! memory store): a Form3 create of the full sample, a recorder create, and
//! a read.
//!
//! `cargo bench -p http-api --bench router`

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use adapter_memory::MemoryRepository;
use axum::body::Body;
use criterion::{criterion_group, criterion_main, Criterion};
use http::Request;
use http_api::{router, ApiKeys, ApiState};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use tower::ServiceExt;

const KEY: &str = "benchmark-key-000000001";
const ORGANISATION: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
use payments_ports::testkit::fixtures::FORM3_SAMPLE as SAMPLE;
const RECORD: &str = r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500}"#;

fn app() -> axum::Router {
    let mut keys = ApiKeys::new();
    keys.insert(KEY, ORGANISATION.parse().unwrap()).unwrap();
    router(ApiState::new(
        PaymentService::with_system_clock(Arc::new(MemoryRepository::new())),
        keys,
    ))
}

async fn call(app: &axum::Router, request: Request<Body>) -> u16 {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await.unwrap();
    status
}

fn post(path: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = app();
    let template: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    let sequence = AtomicU64::new(1);

    c.bench_function("POST /v1/payments (Form3 sample)", |b| {
        b.to_async(&runtime).iter(|| {
            // A fresh id each time: a taken one would be a 409.
            let mut document = template.clone();
            let n = sequence.fetch_add(1, Ordering::Relaxed);
            document["data"]["id"] = format!("00000000-0000-4000-8000-{n:012}").into();
            let request = post("/v1/payments", document.to_string());
            let app = &app;
            async move {
                assert_eq!(call(app, request).await, 201);
            }
        });
    });
    c.bench_function("POST /payments (recorder)", |b| {
        b.to_async(&runtime).iter(|| async {
            assert_eq!(call(&app, post("/payments", RECORD.to_owned())).await, 201);
        });
    });
    let id = template["data"]["id"].as_str().unwrap().to_owned();
    runtime.block_on(call(&app, post("/v1/payments", SAMPLE.to_owned())));
    c.bench_function("GET /v1/payments/{id}", |b| {
        b.to_async(&runtime).iter(|| async {
            let request = Request::get(format!("/v1/payments/{id}"))
                .header("x-api-key", KEY)
                .body(Body::empty())
                .unwrap();
            assert_eq!(call(&app, request).await, 200);
        });
    });
}

criterion_group!(benches, requests);
criterion_main!(benches);
