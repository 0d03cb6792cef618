//! What one client can hold, over real TCP on 127.0.0.1: idle connections
//! (HTTP/1 keep-alive and HTTP/2, answering PINGs or not), old ones, bodies
//! that never finish arriving, and more connections than the cap.
#![allow(clippy::unwrap_used)]

mod support;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt as _, Empty};
use http_hyper::{serve, MinDataRate, ServeConfig};
use hyper_util::rt::{TokioExecutor, TokioIo};
use support::{time_until_closed_by_server, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::{sleep, timeout};

/// The short limit each test sets, so the suite stays fast.
const SHORT: Duration = Duration::from_millis(300);

fn app() -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route("/echo", post(|body: Bytes| async move { body }))
}

struct TestServer {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn spawn_server(config: ServeConfig) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        serve(app(), listener, shutdown, &config).await
    });
    TestServer { addr, _stop: stop }
}

/// Reads until the end of the first response head.
async fn response_head(stream: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(read > 0, "closed before a response: {received:?}");
        received.extend_from_slice(&buf[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// An HTTP/2 client connection to `addr`, pinging every 50 ms when
/// `pings`, and the task driving it, which ends when the server closes it.
async fn http2_client(
    addr: SocketAddr,
    pings: bool,
) -> (
    hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    tokio::task::JoinHandle<hyper::Result<()>>,
) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    builder.timer(hyper_util::rt::TokioTimer::new());
    if pings {
        builder
            .keep_alive_interval(Duration::from_millis(50))
            .keep_alive_while_idle(true);
    }
    let (sender, connection) = builder.handshake(TokioIo::new(stream)).await.unwrap();
    (sender, tokio::spawn(connection))
}

async fn get_over_http2(
    sender: &mut hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    path: &str,
) -> (u16, Bytes) {
    let request = http::Request::get(format!("http://test{path}"))
        .body(Empty::new())
        .unwrap();
    let response = timeout(PATIENCE, sender.send_request(request))
        .await
        .unwrap()
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

async fn assert_idle_http2_connection_closes(pings: bool) {
    let server = spawn_server(ServeConfig {
        idle_timeout: SHORT,
        ..ServeConfig::default()
    })
    .await;
    let (mut sender, connection) = http2_client(server.addr, pings).await;
    assert_eq!(get_over_http2(&mut sender, "/hello").await.0, 200);
    let idle_since = Instant::now();

    timeout(PATIENCE, connection)
        .await
        .expect("the server closes the idle connection")
        .unwrap()
        .unwrap();
    let open_for = idle_since.elapsed();

    assert!(
        open_for >= SHORT / 2,
        "closed after {open_for:?}, before the idle timeout could have fired"
    );
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    assert_idle_http2_connection_closes(false).await;
}

#[tokio::test]
async fn an_idle_http2_connection_that_answers_pings_is_closed_all_the_same() {
    assert_idle_http2_connection_closes(true).await;
}

#[tokio::test]
async fn an_http2_connection_in_use_is_closed_at_its_maximum_age() {
    let server = spawn_server(ServeConfig {
        max_connection_age: SHORT,
        ..ServeConfig::default()
    })
    .await;
    let (mut sender, connection) = http2_client(server.addr, false).await;
    let opened = Instant::now();

    // Busy all along: a request every 50 ms, until the server says GOAWAY.
    let mut answered = 0;
    while sender.ready().await.is_ok() && opened.elapsed() < PATIENCE {
        let request = http::Request::get("http://test/hello")
            .body(Empty::new())
            .unwrap();
        match sender.send_request(request).await {
            Ok(response) => assert_eq!(response.status(), 200),
            Err(_) => break,
        }
        answered += 1;
        sleep(Duration::from_millis(50)).await;
    }
    timeout(PATIENCE, connection)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let lived = opened.elapsed();

    assert!(
        answered >= 2,
        "requests were answered before the age ran out: {answered}"
    );
    assert!(
        lived >= SHORT && lived < PATIENCE,
        "the connection lived {lived:?}, not its maximum age of {SHORT:?}"
    );
}

#[tokio::test]
async fn a_busy_http2_connection_outlives_the_header_read_timeout() {
    let server = spawn_server(ServeConfig {
        header_read_timeout: SHORT,
        ..ServeConfig::default()
    })
    .await;
    let (mut sender, connection) = http2_client(server.addr, false).await;

    // Busy for three header-read timeouts: a request every 50 ms.
    let started = Instant::now();
    while started.elapsed() < SHORT * 3 {
        assert_eq!(get_over_http2(&mut sender, "/hello").await.0, 200);
        sleep(Duration::from_millis(50)).await;
    }

    assert!(!connection.is_finished(), "the connection is still open");
}

#[tokio::test]
async fn an_idle_http1_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = spawn_server(ServeConfig {
        idle_timeout: SHORT,
        ..ServeConfig::default()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    assert!(response_head(&mut stream).await.starts_with("HTTP/1.1 200"));

    let open_for = time_until_closed_by_server(&mut stream).await;

    assert!(
        open_for >= SHORT / 2,
        "closed after {open_for:?}, before the idle timeout could have fired"
    );
}

/// A body announced at 1,000 bytes, sent a byte every 100 ms: the head of
/// the response, and how long after the request's head it came.
async fn trickle_a_body(addr: SocketAddr) -> (String, Duration) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let trickle = async {
        while writer.write_all(b"x").await.is_ok() {
            sleep(Duration::from_millis(100)).await;
        }
    };
    let head = tokio::select! {
        () = trickle => String::new(),
        head = response_head(&mut reader) => head,
    };
    (head, started.elapsed())
}

#[tokio::test]
async fn a_trickling_body_is_cut_once_below_the_minimum_rate_after_its_grace() {
    let grace = SHORT;
    let server = spawn_server(ServeConfig {
        // The trickle sends 10 bytes a second: once the grace is over it
        // is below 50 at once.
        min_request_body_rate: Some(MinDataRate {
            bytes_per_second: 50,
            grace,
        }),
        ..ServeConfig::default()
    })
    .await;

    let (head, after) = trickle_a_body(server.addr).await;

    // axum answers a failed body read with 400; the payments API with 408.
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(after >= grace, "cut after {after:?}, within the grace");
}

#[tokio::test]
async fn a_body_still_arriving_at_the_request_timeout_is_cut() {
    let server = spawn_server(ServeConfig {
        request_timeout: SHORT,
        min_request_body_rate: None,
        ..ServeConfig::default()
    })
    .await;

    let (head, after) = trickle_a_body(server.addr).await;

    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(after >= SHORT, "cut after {after:?}, before the timeout");
}

#[tokio::test]
async fn a_body_sent_in_time_reaches_the_handler_whole() {
    let server = spawn_server(ServeConfig {
        request_timeout: SHORT * 10,
        ..ServeConfig::default()
    })
    .await;
    let body = vec![b'x'; 50_000];

    let echoed = reqwest::Client::new()
        .post(format!("http://{}/echo", server.addr))
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    assert_eq!(echoed.as_ref(), body.as_slice());
}

#[tokio::test]
async fn handlers_see_the_clients_address() {
    let server = spawn_server(ServeConfig::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    timeout(PATIENCE, stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(
        response.ends_with(&format!("\r\n\r\n{local}")),
        "the body is the client's address {local}: {response}"
    );
}

/// Log lines written while a test runs, as text.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn at_the_connection_cap_a_new_client_waits_for_a_free_slot_and_is_then_served() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = spawn_server(ServeConfig {
        max_connections: 2,
        ..ServeConfig::default()
    })
    .await;
    // Two clients take both slots and say nothing.
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut holder = TcpStream::connect(server.addr).await.unwrap();
        holder
            .write_all(b"GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        assert!(response_head(&mut holder).await.starts_with("HTTP/1.1 200"));
        holders.push(holder);
    }

    // A third connects (the kernel's backlog takes it) and asks.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(b"GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = timeout(SHORT, third.read(&mut buf)).await;
    assert!(early.is_err(), "no answer while every slot is taken");
    drop(holders.pop());

    let head = response_head(&mut third).await;

    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        !log.contains("cannot accept connections"),
        "no accept error: {log}"
    );
}
