//! What the access log may and may not say, while the whole HTTP table runs
//! in process. A file of its own: the log is captured with a thread-local
//! subscriber, which other tests running at the same time in one process
//! would disturb (tracing caches per-callsite interest process-wide).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_tests::http_table::{self, send_in_process};
use payments_tests::log_capture::CapturedLog;

fn app() -> axum::Router {
    http_table::app(Arc::new(MemoryRepository::new()))
}

#[tokio::test]
async fn the_access_log_has_one_json_line_per_request_and_no_secrets() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = app();
    http_table::run(|request| send_in_process(app.clone(), request)).await;

    let log = captured.text();
    for secret in &http_table::secrets() {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    let access: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["target"] == "payments::access")
        .collect();
    assert_eq!(
        access.len(),
        http_table::request_count(),
        "one access line per request"
    );
    let create = access
        .iter()
        .find(|line| line["fields"]["route"] == "/v1/payments" && line["fields"]["status"] == 201)
        .expect("an access line for the Form3 create");
    for field in ["request_id", "method", "route", "status", "latency_us"] {
        assert!(
            create["fields"].get(field).is_some(),
            "access lines carry {field}: {create}"
        );
    }
}
