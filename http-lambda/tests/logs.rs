//! Log lines of an invocation: JSON, carrying the Lambda request id and
//! the X-Ray trace id, and no secrets. Alone in its test binary: a
//! subscriber set for one test can miss events while other tests register
//! the same call sites on other threads.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http::{Request, StatusCode};
use payments_tests::http_table::{self, FORM3_SAMPLE, KEY_A};
use payments_tests::lambda_events::{context, event, invoke, memory_function, BodyEncoding, Shape};
use payments_tests::log_capture::CapturedLog;
use serde_json::{json, Value};

#[tokio::test]
async fn log_lines_are_json_with_the_lambda_request_id_and_trace_id() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let _guard =
        tracing::subscriber::set_default(http_lambda::json_subscriber(move || writer.clone()));
    let request = Request::post("/v1/payments")
        .header("x-api-key", KEY_A)
        .header("content-type", "application/json")
        .body(Bytes::from(FORM3_SAMPLE))
        .unwrap();
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    let response = invoke(
        &memory_function(),
        event(Shape::RestV1, &request, BodyEncoding::Text),
        context("7c1f3b6e-2d4a-4c8b-9e5f-0a1b2c3d4e5f", Some(trace)),
    )
    .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let log = captured.text();
    for secret in &http_table::secrets() {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let access = lines
        .iter()
        .find(|line| line["target"] == "payments::access")
        .unwrap_or_else(|| panic!("an access line in {log}"));
    assert_eq!(
        access["fields"]["request_id"],
        json!("7c1f3b6e-2d4a-4c8b-9e5f-0a1b2c3d4e5f")
    );
    let invocation = access["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|span| span["name"] == "invocation"))
        .unwrap_or_else(|| panic!("the invocation span in {access}"));
    assert_eq!(
        invocation["lambda_request_id"],
        json!("7c1f3b6e-2d4a-4c8b-9e5f-0a1b2c3d4e5f")
    );
    assert_eq!(invocation["xray_trace_id"], json!(trace));
}
