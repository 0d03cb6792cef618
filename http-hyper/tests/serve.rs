//! The server over real TCP on 127.0.0.1: protocols, body limit, timeouts
//! and graceful shutdown, each checked against a small axum Router.
#![allow(clippy::unwrap_used)]

mod support;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use http_hyper::{serve, ServeConfig};
use reqwest::{StatusCode, Version};
use support::{time_until_closed_by_server, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// A short header-read timeout, so the timeout tests stay fast.
const SHORT_TIMEOUT: Duration = Duration::from_millis(200);

struct TestServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    handle: JoinHandle<io::Result<()>>,
}

impl TestServer {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn spawn_server(app: Router, config: ServeConfig) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        // A dropped sender shuts the server down too, so no test leaks one.
        let _ = stopped.await;
    };
    let handle = tokio::spawn(async move { serve(app, listener, shutdown, &config).await });
    TestServer { addr, stop, handle }
}

fn app() -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route("/echo", post(|body: Bytes| async move { body }))
}

/// Lets a test hold a request in flight for exactly as long as it needs,
/// instead of guessing with sleeps.
#[derive(Clone, Default)]
struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

fn gated_app(gate: Gate) -> Router {
    async fn slow(State(gate): State<Gate>) -> &'static str {
        gate.entered.notify_one();
        gate.release.notified().await;
        "finished"
    }
    Router::new().route("/slow", get(slow)).with_state(gate)
}

fn config_with_header_read_timeout(header_read_timeout: Duration) -> ServeConfig {
    ServeConfig {
        header_read_timeout,
        ..ServeConfig::default()
    }
}

/// Bytes whose position is visible, so a reordered or truncated body fails.
fn patterned_body(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

fn chunked_request(path: &str, chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request
}

/// Reads one HTTP/1.1 response with a Content-Length body and returns its
/// status and body. It stops at the end of the body rather than at EOF, so
/// it does not depend on how the server closes the connection afterwards.
async fn read_response(stream: &mut TcpStream) -> (u16, Vec<u8>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(head_end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
            let content_length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map(|value| value.trim().parse().unwrap())
                .expect("response has a content-length");
            let body_start = head_end + 4;
            if received.len() >= body_start + content_length {
                let status = head[9..12].parse().unwrap();
                return (
                    status,
                    received[body_start..body_start + content_length].to_vec(),
                );
            }
        }
        let read = timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("response arrives in time")
            .unwrap();
        assert!(
            read > 0,
            "connection closed before a full response: {received:?}"
        );
        received.extend_from_slice(&buf[..read]);
    }
}

async fn send_raw(addr: SocketAddr, request: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_response(&mut stream).await
}

async fn assert_refuses_new_connections(addr: SocketAddr) {
    let refused = async {
        loop {
            match TcpStream::connect(addr).await {
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => return,
                // Connecting while the listener closes may still succeed, or
                // be reset when the backlog is discarded; try again.
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(error) => panic!("unexpected connect error: {error}"),
            }
        }
    };
    timeout(PATIENCE, refused)
        .await
        .expect("new connections are refused after shutdown");
}

#[tokio::test]
async fn an_http1_request_gets_the_response() {
    let server = spawn_server(app(), ServeConfig::default()).await;

    let response = reqwest::get(server.url("/hello")).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn an_http2_prior_knowledge_request_gets_the_response() {
    let server = spawn_server(app(), ServeConfig::default()).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();

    let response = client.get(server.url("/hello")).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.text().await.unwrap(), "hello");
}

/// The service answers the 413 itself, as for a chunked body, so its own
/// error format, request id and access log apply (here: axum's message).
#[tokio::test]
async fn a_body_over_the_limit_with_content_length_gets_the_services_413() {
    let config = ServeConfig::default();
    let server = spawn_server(app(), config.clone()).await;

    let response = reqwest::Client::new()
        .post(server.url("/echo"))
        .body(vec![b'x'; config.request_body_limit + 1])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.text().await.unwrap(),
        "Failed to buffer the request body: length limit exceeded"
    );
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413() {
    let config = ServeConfig::default();
    let server = spawn_server(app(), config.clone()).await;
    let half_the_limit_and_one = vec![b'x'; config.request_body_limit / 2 + 1];
    let request = chunked_request(
        "/echo",
        &[half_the_limit_and_one.clone(), half_the_limit_and_one],
    );

    let (status, body) = send_raw(server.addr, &request).await;

    assert_eq!(status, 413);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "Failed to buffer the request body: length limit exceeded"
    );
}

#[tokio::test]
async fn a_body_at_the_limit_reaches_the_handler_intact() {
    let config = ServeConfig::default();
    let server = spawn_server(app(), config.clone()).await;
    let body = patterned_body(config.request_body_limit);

    let response = reqwest::Client::new()
        .post(server.url("/echo"))
        .body(body.clone())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), body);
}

#[tokio::test]
async fn a_chunked_body_under_the_limit_reaches_the_handler_intact() {
    let server = spawn_server(app(), ServeConfig::default()).await;
    let body = patterned_body(10_000);
    let chunks: Vec<Vec<u8>> = body.chunks(3_000).map(<[u8]>::to_vec).collect();

    let (status, echoed) = send_raw(server.addr, &chunked_request("/echo", &chunks)).await;

    assert_eq!(status, 200);
    assert_eq!(echoed, body);
}

#[tokio::test]
async fn a_client_that_stalls_mid_headers_is_disconnected_after_the_header_read_timeout() {
    let server = spawn_server(app(), config_with_header_read_timeout(SHORT_TIMEOUT)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let open_for = time_until_closed_by_server(&mut stream).await;

    assert!(
        open_for >= SHORT_TIMEOUT / 2,
        "closed after {open_for:?}, before the timeout could have fired"
    );
}

#[tokio::test]
async fn a_client_that_connects_and_sends_nothing_is_disconnected_after_the_header_read_timeout() {
    let server = spawn_server(app(), config_with_header_read_timeout(SHORT_TIMEOUT)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    let open_for = time_until_closed_by_server(&mut stream).await;

    assert!(
        open_for >= SHORT_TIMEOUT / 2,
        "closed after {open_for:?}, before the timeout could have fired"
    );
}

#[tokio::test]
async fn a_client_that_stalls_inside_the_http2_preface_is_disconnected_after_the_header_read_timeout(
) {
    let server = spawn_server(app(), config_with_header_read_timeout(SHORT_TIMEOUT)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    // A prefix of the HTTP/2 preface keeps protocol detection waiting.
    stream.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let open_for = time_until_closed_by_server(&mut stream).await;

    assert!(
        open_for >= SHORT_TIMEOUT / 2,
        "closed after {open_for:?}, before the timeout could have fired"
    );
}

/// A connection to `addr` that has had one HTTP/1.1 request answered 200
/// and is kept alive.
async fn kept_alive_after_one_request(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let (status, _) = read_response(&mut stream).await;
    assert_eq!(status, 200);
    stream
}

#[tokio::test]
async fn an_idle_http1_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let server = spawn_server(app(), config_with_header_read_timeout(SHORT_TIMEOUT)).await;
    let mut stream = kept_alive_after_one_request(server.addr).await;

    let open_for = time_until_closed_by_server(&mut stream).await;

    assert!(
        open_for >= SHORT_TIMEOUT / 2,
        "closed after {open_for:?}, before the timeout could have fired"
    );
}

#[tokio::test]
async fn a_keep_alive_client_that_stalls_mid_headers_of_its_next_request_is_disconnected() {
    let server = spawn_server(app(), config_with_header_read_timeout(SHORT_TIMEOUT)).await;
    let mut stream = kept_alive_after_one_request(server.addr).await;

    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: te")
        .await
        .unwrap();
    let open_for = time_until_closed_by_server(&mut stream).await;

    // Well before the 60 s idle timeout, which would otherwise apply.
    assert!(
        open_for >= SHORT_TIMEOUT / 2,
        "closed after {open_for:?}, before the timeout could have fired"
    );
}

/// Starts a request that the handler holds, shuts the server down, and checks
/// that the request still completes and `serve` returns only afterwards.
async fn assert_request_in_flight_completes_after_shutdown(client: reqwest::Client) {
    let gate = Gate::default();
    let server = spawn_server(gated_app(gate.clone()), ServeConfig::default()).await;
    let in_flight = tokio::spawn(client.get(server.url("/slow")).send());
    timeout(PATIENCE, gate.entered.notified())
        .await
        .expect("the request reaches the handler");

    server.stop.send(()).unwrap();
    assert_refuses_new_connections(server.addr).await;
    assert!(
        !server.handle.is_finished(),
        "serve returned while a request was in flight"
    );
    gate.release.notify_one();

    let response = timeout(PATIENCE, in_flight)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "finished");
    timeout(PATIENCE, server.handle)
        .await
        .expect("serve returns once the request is done")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn an_http1_request_in_flight_completes_after_shutdown_and_then_serve_returns() {
    assert_request_in_flight_completes_after_shutdown(reqwest::Client::new()).await;
}

#[tokio::test]
async fn an_http2_request_in_flight_completes_after_shutdown_and_then_serve_returns() {
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    assert_request_in_flight_completes_after_shutdown(client).await;
}

#[tokio::test]
async fn a_request_still_running_after_the_grace_period_is_dropped_and_serve_returns() {
    let gate = Gate::default();
    let grace_period = Duration::from_millis(200);
    let config = ServeConfig {
        shutdown_grace_period: grace_period,
        ..ServeConfig::default()
    };
    let server = spawn_server(gated_app(gate.clone()), config).await;
    let in_flight = tokio::spawn(reqwest::get(server.url("/slow")));
    timeout(PATIENCE, gate.entered.notified())
        .await
        .expect("the request reaches the handler");

    let shutdown_started = Instant::now();
    server.stop.send(()).unwrap();
    timeout(PATIENCE, server.handle)
        .await
        .expect("serve returns after the grace period")
        .unwrap()
        .unwrap();
    let shutdown_took = shutdown_started.elapsed();

    assert!(
        shutdown_took >= grace_period,
        "serve returned after {shutdown_took:?}, before the grace period was over"
    );
    let outcome = timeout(PATIENCE, in_flight).await.unwrap().unwrap();
    assert!(
        outcome.is_err(),
        "the client sees its connection dropped, got {outcome:?}"
    );
}
