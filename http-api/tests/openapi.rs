//! The OpenAPI document says what the Router does: the same routes and
//! methods, and example bodies the API accepts.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use adapter_memory::MemoryRepository;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_api::{router, ApiKeys, ApiState, FilterNames, OPENAPI, ROUTES};
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
    serde_json::from_str(OPENAPI).unwrap()
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

#[test]
fn every_route_of_the_router_is_documented_and_nothing_else() {
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .iter()
                .map(move |m| ((*path).to_owned(), (*m).to_owned()))
        })
        .collect();
    assert_eq!(documented_operations(), routed);
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
async fn every_listed_route_reaches_a_handler() {
    let app = app();
    for (path, methods) in ROUTES {
        let path = path.replace("{id}", "00000000-0000-4000-8000-000000000000");
        for method in *methods {
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
        // The Router is built from ROUTES: nothing else is served there.
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
