//! Metrics of the Lambda front end: after a scripted series of events,
//! the Embedded Metric Format lines written at the end of each invocation
//! hold exactly the counts those requests caused, by route template,
//! method and status, with each request's latency and each store call.
//! Alone in its test binary: the `metrics` recorder is process-wide.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, StatusCode};
use payments_ports::MeteredRepository;
use payments_tests::http_table::{FORM3_SAMPLE, KEY_A};
use payments_tests::lambda_events::{function, send, BodyEncoding, Shape};
use serde_json::{json, Value};

const REQUESTS: &str = "payments_http_requests_total";
const DURATION: &str = "payments_http_request_duration_seconds";
const STORE: &str = "payments_store_operation_duration_seconds";
/// The id of the Form3 sample payment.
const SAMPLE_ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";

/// What one line says: the metric, its labels, and its count (a counter's
/// value, or how many values a histogram line carries).
fn reading(line: &Value) -> (String, BTreeMap<String, String>, u64) {
    let metric = &line["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(metric["Namespace"], "payments/test", "{line}");
    assert!(line["_aws"]["Timestamp"].as_u64().unwrap() > 0, "{line}");
    let name = metric["Metrics"][0]["Name"].as_str().unwrap().to_owned();
    let labels: BTreeMap<String, String> = metric["Dimensions"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|label| {
            let label = label.as_str().unwrap();
            (label.to_owned(), line[label].as_str().unwrap().to_owned())
        })
        .collect();
    let count = match &line[&name] {
        Value::Array(values) => values.len() as u64,
        value => value.as_u64().unwrap(),
    };
    (name, labels, count)
}

/// Sums the readings of `lines` by metric and labels.
fn totals(lines: &[Value]) -> BTreeMap<(String, BTreeMap<String, String>), u64> {
    let mut totals = BTreeMap::new();
    for line in lines {
        let (name, labels, count) = reading(line);
        *totals.entry((name, labels)).or_insert(0) += count;
    }
    totals
}

fn key(name: &str, labels: &[(&str, &str)]) -> (String, BTreeMap<String, String>) {
    (
        name.to_owned(),
        labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

#[tokio::test]
async fn emf_lines_count_what_the_invocations_did() {
    let written: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = written.clone();
    http_lambda::init_emf_metrics_with(
        "payments/test",
        Box::new(move |line| {
            sink.lock().unwrap().push(line.to_owned());
        }),
    )
    .unwrap();
    let function = function(Arc::new(MeteredRepository::new(
        adapter_memory::MemoryRepository::new(),
        "memory",
    )));
    let take = || -> Vec<Value> {
        written
            .lock()
            .unwrap()
            .drain(..)
            .map(|line| serde_json::from_str(&line).unwrap())
            .collect()
    };
    let get = |path: &str, key: Option<&str>| {
        let mut request = Request::get(path);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.body(Bytes::new()).unwrap()
    };

    let health = send(
        &function,
        Shape::RestV1,
        BodyEncoding::Text,
        get("/health", None),
    )
    .await;
    assert_eq!(health.status(), StatusCode::OK);
    // Each invocation writes its own lines, then counts afresh.
    let first = take();
    assert_eq!(
        totals(&first),
        BTreeMap::from([
            (
                key(
                    REQUESTS,
                    &[("route", "/health"), ("method", "GET"), ("status", "200")]
                ),
                1
            ),
            (key(DURATION, &[("route", "/health"), ("method", "GET")]), 1),
        ])
    );
    assert_eq!(
        first[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["route", "method", "status"], ["status"], []])
    );

    let mut lines = Vec::new();
    let mut statuses = Vec::new();
    for request in [
        get("/health", None),
        Request::post("/v1/payments")
            .header("x-api-key", KEY_A)
            .header("content-type", "application/json")
            .body(Bytes::from(FORM3_SAMPLE))
            .unwrap(),
        get(&format!("/v1/payments/{SAMPLE_ID}"), Some(KEY_A)),
        get(
            "/v1/payments/00000000-0000-4000-8000-000000000000",
            Some(KEY_A),
        ),
        get("/v1/payments", None),
    ] {
        let response = send(&function, Shape::RestV1, BodyEncoding::Text, request).await;
        statuses.push(response.status().as_u16());
        lines.extend(take());
    }
    assert_eq!(statuses, vec![200, 201, 200, 404, 401]);

    let requests = |route: &str, method: &str, status: &str| {
        key(
            REQUESTS,
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    let latency =
        |route: &str, method: &str| key(DURATION, &[("route", route), ("method", method)]);
    let store = |operation: &str| key(STORE, &[("operation", operation), ("store", "memory")]);
    assert_eq!(
        totals(&lines),
        BTreeMap::from([
            (requests("/health", "GET", "200"), 1),
            (requests("/v1/payments", "POST", "201"), 1),
            (requests("/v1/payments/{id}", "GET", "200"), 1),
            (requests("/v1/payments/{id}", "GET", "404"), 1),
            (requests("/v1/payments", "GET", "401"), 1),
            (latency("/health", "GET"), 1),
            (latency("/v1/payments", "POST"), 1),
            (latency("/v1/payments/{id}", "GET"), 2),
            (latency("/v1/payments", "GET"), 1),
            (store("create"), 1),
            (store("get"), 2),
        ])
    );
}
