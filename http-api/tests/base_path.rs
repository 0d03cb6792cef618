//! Links follow the client's view of where the API is mounted.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use axum::body::Body;
use http::Request;
use http_api::{router, ApiKeys, ApiState, BasePath};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use tower::ServiceExt;

const KEY: &str = "base-path-test-key-0001";

fn app() -> axum::Router {
    let mut keys = ApiKeys::new();
    keys.insert(KEY, "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb".parse().unwrap())
        .unwrap();
    router(ApiState::new(
        PaymentService::with_system_clock(Arc::new(MemoryRepository::new())),
        keys,
    ))
}

async fn post(
    app: &axum::Router,
    base: Option<&str>,
    body: &str,
) -> (Option<String>, serde_json::Value) {
    let mut request = Request::post("/payments")
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    if let Some(base) = base {
        request
            .extensions_mut()
            .insert(BasePath::new(base).unwrap());
    }
    let response = app.clone().oneshot(request).await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (location, serde_json::from_slice(&bytes).unwrap())
}

async fn list(app: &axum::Router, base: Option<&str>) -> serde_json::Value {
    let mut request = Request::get("/v1/payments?page%5Bsize%5D=1")
        .header("x-api-key", KEY)
        .body(Body::empty())
        .unwrap();
    if let Some(base) = base {
        request
            .extensions_mut()
            .insert(BasePath::new(base).unwrap());
    }
    let response = app.clone().oneshot(request).await.unwrap();
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

const RECORD: &str = r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500}"#;

#[tokio::test]
async fn links_and_locations_start_with_the_base_path_when_one_is_given() {
    let app = app();
    post(&app, None, RECORD).await;
    let (location, record) = post(&app, Some("/prod"), RECORD).await;

    let page = list(&app, Some("/prod")).await;

    assert_eq!(
        location.unwrap(),
        format!("/prod/payments/{}", record["id"].as_str().unwrap())
    );
    assert!(
        page["links"]["self"]
            .as_str()
            .unwrap()
            .starts_with("/prod/v1/payments?"),
        "{page}"
    );
    assert!(
        page["links"]["next"]
            .as_str()
            .unwrap()
            .starts_with("/prod/v1/payments?"),
        "{page}"
    );
    assert!(page["data"][0]["links"].is_null());
}

#[tokio::test]
async fn links_are_root_relative_without_a_base_path() {
    let app = app();
    let (location, _) = post(&app, None, RECORD).await;
    post(&app, None, RECORD).await;

    let page = list(&app, None).await;

    assert!(location.unwrap().starts_with("/payments/"));
    assert!(
        page["links"]["next"]
            .as_str()
            .unwrap()
            .starts_with("/v1/payments?"),
        "{page}"
    );
}
