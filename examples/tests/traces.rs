//! Traces of `payments serve`, over TCP: a caller's `traceparent` is
//! continued in the response and the access log, and with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set the request, use-case and store spans
//! reach an OTLP receiver (a loopback HTTP server here, as a collector
//! would run), each the child of the one before, the request's the child
//! of the caller's span.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use payments_tests::http_table::{FORM3_SAMPLE, KEY_A, ORGANISATION_A};
use prost::Message as _;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn traceparent() -> String {
    format!("00-{TRACE_ID}-{CALLER_SPAN}-01")
}

/// An OTLP/HTTP receiver on a loopback port, keeping every export's body.
async fn receiver() -> (String, Arc<Mutex<Vec<(String, Bytes)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::default();
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let kept = kept.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let body = request.into_body().collect().await?.to_bytes();
                        kept.lock().unwrap().push((path, body));
                        Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{address}"), received)
}

/// One exported span: name, trace id, span id, parent span id (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exported {
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        write!(text, "{byte:02x}").unwrap();
        text
    })
}

fn exported(bodies: &[(String, Bytes)]) -> Vec<Exported> {
    let mut spans = Vec::new();
    for (path, body) in bodies {
        assert_eq!(path, "/v1/traces");
        let request = ExportTraceServiceRequest::decode(body.clone()).unwrap();
        for resource in request.resource_spans {
            for scope in resource.scope_spans {
                for span in scope.spans {
                    spans.push(Exported {
                        name: span.name,
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                    });
                }
            }
        }
    }
    spans
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_trace_is_continued_in_the_response_the_log_and_the_exported_spans() {
    let (collector, received) = receiver().await;
    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let server = support::serve(
        &[],
        &[
            ("PAYMENTS_API_KEYS", &keys),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ],
    )
    .await;
    // The sample's organisation is ORGANISATION_A, KEY_A's.
    let body = FORM3_SAMPLE;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/payments", server.base))
        .header("x-api-key", KEY_A)
        .header("content-type", "application/json")
        .header("traceparent", traceparent())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let answered = response.headers()["traceparent"]
        .to_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = answered.split('-').collect();
    assert_eq!(parts.len(), 4, "{answered}");
    assert_eq!(
        (parts[0], parts[1], parts[3]),
        ("00", TRACE_ID, "01"),
        "{answered}"
    );
    let request_span = parts[2].to_owned();
    assert_ne!(request_span, CALLER_SPAN);

    let mut spans = Vec::new();
    for _ in 0..200 {
        spans = exported(&received.lock().unwrap());
        if spans.iter().any(|span| span.name == "request") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let by_name: BTreeMap<&str, &Exported> = spans
        .iter()
        .map(|span| (span.name.as_str(), span))
        .collect();
    let span = |name: &str| {
        by_name
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("no {name} span in {spans:?}"))
            .clone()
    };
    let request = span("request");
    let use_case = span("create_payment");
    let store = span("create");
    assert_eq!(
        request,
        Exported {
            name: "request".to_owned(),
            trace_id: TRACE_ID.to_owned(),
            span_id: request_span.clone(),
            parent_span_id: CALLER_SPAN.to_owned(),
        }
    );
    assert_eq!(
        (use_case.trace_id.as_str(), use_case.parent_span_id.as_str()),
        (TRACE_ID, request_span.as_str())
    );
    assert_eq!(
        (store.trace_id.as_str(), store.parent_span_id.as_str()),
        (TRACE_ID, use_case.span_id.as_str())
    );

    let (_, stdout, _) = server.terminate().await;
    let access = support::access_lines(&stdout);
    let line = access
        .iter()
        .find(|line| line["fields"]["route"] == "/v1/payments")
        .unwrap();
    assert_eq!(line["fields"]["trace_id"], TRACE_ID);
    assert_eq!(line["fields"]["span_id"], request_span.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_exporter_the_trace_is_still_continued_and_logged() {
    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &keys)]).await;
    let client = reqwest::Client::new();
    let continued = client
        .get(format!("{}/health", server.base))
        .header("traceparent", traceparent())
        .send()
        .await
        .unwrap();
    let answered = continued.headers()["traceparent"]
        .to_str()
        .unwrap()
        .to_owned();
    let fresh = client
        .get(format!("{}/health", server.base))
        .header(
            "traceparent",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    let started = fresh.headers()["traceparent"].to_str().unwrap().to_owned();

    let parts: Vec<&str> = answered.split('-').collect();
    assert_eq!(
        (parts[0], parts[1], parts[3]),
        ("00", TRACE_ID, "01"),
        "{answered}"
    );
    assert_eq!(parts[2].len(), 16);
    assert_ne!(parts[2], CALLER_SPAN);
    // An invalid traceparent (zero trace id) starts a trace of its own.
    let new: Vec<&str> = started.split('-').collect();
    assert_eq!((new[0], new[3]), ("00", "00"), "{started}");
    assert_eq!(new[1].len(), 32);
    assert_ne!(new[1], "00000000000000000000000000000000");
    assert_ne!(new[1], TRACE_ID);

    let (_, stdout, _) = server.terminate().await;
    let traces: Vec<(String, String)> = support::access_lines(&stdout)
        .iter()
        .map(|line| {
            (
                line["fields"]["trace_id"].as_str().unwrap().to_owned(),
                line["fields"]["span_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        traces,
        vec![
            (TRACE_ID.to_owned(), parts[2].to_owned()),
            (new[1].to_owned(), new[2].to_owned()),
        ]
    );
}
