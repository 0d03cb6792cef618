//! What the access log may and may not say, while the whole HTTP table runs
//! in process. A file of its own: the log is captured with a thread-local
//! subscriber, which other tests running at the same time in one process
//! would disturb (tracing caches per-callsite interest process-wide).

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use adapter_memory::MemoryRepository;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_api::{router, ApiKeys, ApiState};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use payments_tests::http_table::{self, api_keys_setting, SECRETS};
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

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_access_log_has_one_json_line_per_request_and_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = app();
    http_table::run(|request| send(app.clone(), request)).await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for secret in SECRETS {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    let access: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["target"] == "payments::access")
        .collect();
    assert_eq!(
        access.len(),
        http_table::steps().len(),
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
