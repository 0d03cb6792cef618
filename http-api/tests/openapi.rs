//! The OpenAPI document says what the Router does: the same routes and
//! methods, and example bodies the API accepts.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use adapter_memory::MemoryRepository;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_api::{openapi_json, router, ApiKeys, ApiState, FilterNames};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use serde_json::Value;
use tower::ServiceExt;

const KEY: &str = "openapi-test-key-000001";

fn app() -> axum::Router {
    let mut keys = ApiKeys::new();
    keys.insert(KEY, "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb".parse().unwrap())
        .unwrap();
    router(ApiState::new(
        PaymentService::with_system_clock(Arc::new(MemoryRepository::new())),
        keys,
    ))
}

fn document() -> Value {
    serde_json::from_str(openapi_json()).unwrap()
}

async fn send(
    app: &axum::Router,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-api-key", KEY);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn documented_operations() -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for method in item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "parameters")
        {
            operations.insert((path.clone(), method.to_uppercase()));
        }
    }
    operations
}

#[test]
fn the_document_is_openapi_3_1() {
    assert_eq!(document()["openapi"], "3.1.0");
}

/// Where the checked-in copy is.
const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_checked_in_document_is_the_generated_one() {
    // `make openapi` sets this to write the copy anew.
    if std::env::var_os("PAYMENTS_WRITE_OPENAPI").is_some() {
        std::fs::write(CHECKED_IN, openapi_json()).unwrap();
    }
    let checked_in = std::fs::read_to_string(CHECKED_IN).unwrap();
    // Not assert_eq: a stale copy would print 200 KB twice.
    assert!(
        checked_in == openapi_json(),
        "http-api/openapi.json is not what the code generates: run `make openapi` and commit it"
    );
}

#[tokio::test]
async fn get_openapi_json_serves_the_generated_document_byte_for_byte() {
    let response = app()
        .oneshot(
            Request::builder()
                .uri("/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "content type"
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        bytes == openapi_json().as_bytes(),
        "served document differs"
    );
}

#[test]
fn the_keyless_operations_are_exactly_the_open_routes() {
    let keyless: BTreeSet<String> = documented_operations()
        .into_iter()
        .filter(|(path, method)| {
            document()["paths"][path][method.to_lowercase()]["security"] == serde_json::json!([{}])
        })
        .map(|(path, _)| path)
        .collect();
    let open: BTreeSet<String> = ["/health", "/ready", "/openapi.json"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(keyless, open);
    assert_eq!(
        document()["security"],
        serde_json::json!([{ "apiKey": [] }])
    );
}

#[test]
fn each_listing_and_the_report_document_exactly_the_filters_they_take() {
    for (path, names) in [
        ("/v1/payments", FilterNames::Form3),
        ("/payments", FilterNames::Recorder),
        ("/v1/reports/payments", FilterNames::Report),
    ] {
        let documented: Vec<String> = document()["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|parameter| parameter["name"].as_str())
            .filter(|name| name.starts_with("filter["))
            .map(str::to_owned)
            .collect();
        let taken: Vec<String> = names.all().map(str::to_owned).collect();
        assert_eq!(documented, taken, "{path}");
    }
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler_and_no_other_method_does() {
    let app = app();
    let operations = documented_operations();
    let paths: BTreeSet<&String> = operations.iter().map(|(path, _)| path).collect();
    for template in paths {
        let methods: Vec<&str> = operations
            .iter()
            .filter(|(path, _)| path == template)
            .map(|(_, method)| method.as_str())
            .collect();
        let path = template.replace("{id}", "00000000-0000-4000-8000-000000000000");
        for method in &methods {
            let (status, body) = send(
                &app,
                Method::from_bytes(method.as_bytes()).unwrap(),
                &path,
                None,
            )
            .await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(body["detail"], "no such route", "{method} {path}");
        }
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if !methods.contains(&method) {
                let (status, _) = send(
                    &app,
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &path,
                    None,
                )
                .await;
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            }
        }
    }
}

#[tokio::test]
async fn the_example_bodies_are_accepted() {
    let app = app();
    let document = document();
    let mut checked = 0;
    // Creates first, so the update example has its payment to change.
    for (path, method, expected) in [
        ("/v1/payments", "post", StatusCode::CREATED),
        ("/payments", "post", StatusCode::CREATED),
        ("/v1/payments/{id}", "patch", StatusCode::OK),
    ] {
        let examples = document["paths"][path][method]["requestBody"]["content"]
            ["application/json"]["examples"]
            .as_object()
            .unwrap();
        for (name, example) in examples {
            let body = &example["value"];
            let target = path.replace("{id}", body["data"]["id"].as_str().unwrap_or_default());
            let (status, response) = send(
                &app,
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                &target,
                Some(body),
            )
            .await;
            assert_eq!(
                status, expected,
                "example {name} of {method} {path}: {response}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} examples checked");
}

#[test]
fn the_problem_types_are_exactly_those_the_api_answers_with() {
    let documented =
        document()["components"]["schemas"]["Problem"]["properties"]["type"]["enum"].clone();
    let answered: Vec<String> = http_api::PROBLEM_TYPES
        .iter()
        .map(|kind| format!("/problems/{kind}"))
        .collect();
    assert_eq!(documented, serde_json::json!(answered));
}

#[test]
fn the_currency_codes_are_exactly_those_the_domain_accepts() {
    let documented = document()["components"]["schemas"]["Currency"]["enum"].clone();
    let accepted: Vec<String> = payments_domain::Currency::all()
        .map(|currency| currency.code().to_owned())
        .collect();
    assert_eq!(documented, serde_json::json!(accepted));
}
