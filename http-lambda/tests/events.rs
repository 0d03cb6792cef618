//! What the Lambda front end adds to the Router, shown through event JSON
//! of the three documented shapes: the stage stays out of routing, request
//! ids, base64 in both directions, and API keys.

#![allow(clippy::unwrap_used)]

use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{Request, StatusCode};
use http_lambda::PaymentsFunction;
use payments_tests::http_table::{FORM3_SAMPLE, KEY_A};
use payments_tests::lambda_events::{
    context, event, invoke, invoke_raw, memory_function, send, BodyEncoding, Shape, STAGE,
};
use serde_json::{json, Value};

const SHAPES: [Shape; 3] = [Shape::RestV1, Shape::HttpV2, Shape::Alb];

fn get_request(path: &str) -> Request<Bytes> {
    Request::get(path).body(Bytes::new()).unwrap()
}

fn json_body(response: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap()
}

/// A Router that answers with the path and query it was asked for.
fn echo_function() -> PaymentsFunction {
    PaymentsFunction::new(Router::new().fallback(|uri: http::Uri| async move {
        uri.path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default()
    }))
}

#[tokio::test]
async fn the_stage_never_reaches_the_router() {
    let function = echo_function();
    for shape in SHAPES {
        let response = send(
            &function,
            shape,
            BodyEncoding::Text,
            get_request("/v1/payments/4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43/events"),
        )
        .await;
        assert_eq!(
            response.body(),
            "/v1/payments/4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43/events",
            "{shape:?}: the path the Router saw"
        );
    }
}

#[tokio::test]
async fn the_rest_event_keeps_the_stage_only_in_its_request_context() {
    let request = get_request("/health");
    let event = event(Shape::RestV1, &request, BodyEncoding::Text);
    assert_eq!(
        event["requestContext"]["path"],
        json!(format!("/{STAGE}/health"))
    );
    assert_eq!(event["requestContext"]["stage"], json!(STAGE));

    let response = invoke(&echo_function(), event, context("stage-check", None)).await;

    assert_eq!(response.body(), "/health");
}

#[tokio::test]
async fn an_http_api_default_stage_path_is_used_as_it_is() {
    let request = get_request("/health");
    let mut event = event(Shape::HttpV2, &request, BodyEncoding::Text);
    event["rawPath"] = json!("/health");
    event["requestContext"]["http"]["path"] = json!("/health");
    event["requestContext"]["stage"] = json!("$default");

    let response = invoke(&echo_function(), event, context("default-stage", None)).await;

    assert_eq!(response.body(), "/health");
}

#[tokio::test]
async fn the_query_reaches_the_router() {
    let function = echo_function();
    for shape in SHAPES {
        let response = send(
            &function,
            shape,
            BodyEncoding::Text,
            get_request("/v1/payments?page%5Bsize%5D=2&sort=-created_on"),
        )
        .await;
        let seen = String::from_utf8(response.body().to_vec()).unwrap();
        let query = seen
            .split_once('?')
            .map(|(_, query)| query)
            .unwrap_or_default();
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("page[size]".to_owned(), "2".to_owned()),
                ("sort".to_owned(), "-created_on".to_owned())
            ],
            "{shape:?}: {seen}"
        );
    }
}

#[tokio::test]
async fn the_real_api_answers_under_a_stage() {
    let function = memory_function();
    for shape in SHAPES {
        let response = send(&function, shape, BodyEncoding::Text, get_request("/health")).await;
        assert_eq!(response.status(), StatusCode::OK, "{shape:?}");
        assert_eq!(json_body(&response)["status"], json!("ok"), "{shape:?}");
    }
}

#[tokio::test]
async fn links_start_with_the_stage_the_client_called_through() {
    let function = memory_function();
    let record = json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500 });
    for (shape, prefix) in [
        (Shape::RestV1, format!("/{STAGE}")),
        (Shape::HttpV2, format!("/{STAGE}")),
        (Shape::Alb, String::new()),
    ] {
        let request = Request::post("/payments")
            .header("x-api-key", KEY_A)
            .header("content-type", "application/json")
            .body(Bytes::from(record.to_string()))
            .unwrap();

        let response = send(&function, shape, BodyEncoding::Text, request).await;

        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with(&format!("{prefix}/payments/")),
            "{shape:?}: {location}"
        );
    }
}

#[tokio::test]
async fn the_lambda_request_id_becomes_the_request_id() {
    let function = memory_function();
    for shape in SHAPES {
        let request = Request::get("/v1/payments/00000000-0000-4000-8000-000000000000")
            .header("x-api-key", KEY_A)
            .body(Bytes::new())
            .unwrap();
        let lambda_id = format!("0d1c5bb6-5e3a-4a53-8f0e-{:012}", shape as u8);

        let response = invoke(
            &function,
            event(shape, &request, BodyEncoding::Text),
            context(&lambda_id, None),
        )
        .await;

        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");
        assert_eq!(
            response.headers()["x-request-id"],
            lambda_id.as_str(),
            "{shape:?}"
        );
        assert_eq!(
            json_body(&response)["request_id"],
            json!(lambda_id),
            "{shape:?}: problem body"
        );
    }
}

#[tokio::test]
async fn a_sane_client_request_id_is_kept_as_on_every_front_end() {
    let request = Request::get("/health")
        .header("x-request-id", "client-chosen-42")
        .body(Bytes::new())
        .unwrap();

    let response = invoke(
        &memory_function(),
        event(Shape::RestV1, &request, BodyEncoding::Text),
        context("a-lambda-request-id", None),
    )
    .await;

    assert_eq!(response.headers()["x-request-id"], "client-chosen-42");
}

#[tokio::test]
async fn an_unsafe_client_request_id_gives_way_to_the_lambda_one() {
    let request = Request::get("/health")
        .header("x-request-id", "<script>")
        .body(Bytes::new())
        .unwrap();

    let response = invoke(
        &memory_function(),
        event(Shape::HttpV2, &request, BodyEncoding::Text),
        context("5a1e6c1b-0c5e-4b4e-a7f5-5b0f0d3c2e11", None),
    )
    .await;

    assert_eq!(
        response.headers()["x-request-id"],
        "5a1e6c1b-0c5e-4b4e-a7f5-5b0f0d3c2e11"
    );
}

#[tokio::test]
async fn a_base64_request_body_is_decoded() {
    let function = memory_function();
    for (shape, description) in [
        (Shape::RestV1, "Rent £"),
        (Shape::HttpV2, "Gas €"),
        (Shape::Alb, "Tea ¥"),
    ] {
        let body = json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": description, "currency": "GBP", "amount": "12.50" });
        let request = Request::post("/payments")
            .header("x-api-key", KEY_A)
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_string()))
            .unwrap();
        let event = event(shape, &request, BodyEncoding::Base64);
        assert_eq!(event["isBase64Encoded"], json!(true));
        assert_ne!(
            event["body"],
            json!(body.to_string()),
            "the event carries base64"
        );

        let response = invoke(&function, event, context("base64-body", None)).await;

        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{shape:?}: {:?}",
            response.body()
        );
        assert_eq!(
            json_body(&response)["paymentDescription"],
            json!(description),
            "{shape:?}"
        );
    }
}

#[tokio::test]
async fn json_responses_are_returned_as_text() {
    let function = memory_function();
    for shape in SHAPES {
        let request = get_request("/health");

        let answer = invoke_raw(
            &function,
            event(shape, &request, BodyEncoding::Text),
            context("text", None),
        )
        .await;

        assert_eq!(answer["statusCode"], json!(200), "{shape:?}");
        assert_eq!(answer["isBase64Encoded"], json!(false), "{shape:?}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["status"], json!("ok"), "{shape:?}");
    }
}

#[tokio::test]
async fn binary_responses_are_returned_base64_encoded() {
    let bytes: &'static [u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe, 0x80];
    let function = PaymentsFunction::new(Router::new().route(
        "/logo.png",
        get(move || async move { ([("content-type", "image/png")], bytes) }),
    ));
    for shape in SHAPES {
        let request = get_request("/logo.png");

        let answer = invoke_raw(
            &function,
            event(shape, &request, BodyEncoding::Text),
            context("binary", None),
        )
        .await;

        assert_eq!(answer["isBase64Encoded"], json!(true), "{shape:?}");
        assert_eq!(
            BASE64.decode(answer["body"].as_str().unwrap()).unwrap(),
            bytes,
            "{shape:?}"
        );
    }
}

#[tokio::test]
async fn requests_without_a_known_key_are_refused_whatever_the_door() {
    let function = memory_function();
    let cases: [(&str, Option<&str>, &str); 3] = [
        ("POST", None, "/v1/payments"),
        (
            "GET",
            Some("a-key-api-gateway-never-issued"),
            "/v1/payments",
        ),
        ("GET", None, "/payments"),
    ];
    for shape in SHAPES {
        for (method, key, path) in cases {
            let mut request = Request::builder().method(method).uri(path);
            if let Some(key) = key {
                request = request.header("x-api-key", key);
            }
            if method == "POST" {
                request = request.header("content-type", "application/json");
            }
            let body = if method == "POST" {
                Bytes::from(FORM3_SAMPLE)
            } else {
                Bytes::new()
            };
            let request = request.body(body).unwrap();
            let mut event = event(shape, &request, BodyEncoding::Text);
            if shape == Shape::RestV1 {
                // As if API Gateway had checked a key of its own.
                event["requestContext"]["identity"]["apiKey"] = json!("gateway-checked-key");
            }

            let response = invoke(&function, event, context("no-key", None)).await;

            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{shape:?} {method} {path} with key {key:?}"
            );
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
        }
    }
}
