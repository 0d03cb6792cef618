//! `payments serve` under hostile clients, as a real process on a real TCP
//! port: a trickled body is cut with a 408 the API writes, and a flood of
//! idle connections past the open-file limit neither stops the server nor
//! fills its log with accept errors.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use payments_tests::http_table::{self, api_keys_setting};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_cut_with_a_408_problem_a_request_id_and_a_log_line() {
    let server = support::serve(
        &[
            "--http-min-body-rate",
            "50",
            "--http-min-body-rate-grace",
            "0.5",
        ],
        &[("PAYMENTS_API_KEYS", &api_keys_setting())],
    )
    .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /payments HTTP/1.1\r\nHost: test\r\nx-api-key: {}\r\ncontent-type: application/json\r\nContent-Length: 1000\r\n\r\n",
        http_table::KEY_A
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();

    // A byte every 100 ms, until the server has answered and closed.
    let trickle = async {
        while writer.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::future::pending::<()>().await;
    };
    let mut response = Vec::new();
    let read = async {
        tokio::time::timeout(PATIENCE, reader.read_to_end(&mut response))
            .await
            .expect("the server answers and closes the connection")
    };
    tokio::select! {
        () = trickle => unreachable!(),
        outcome = read => { outcome.unwrap(); }
    }
    let took = started.elapsed();
    let (_, stdout, _) = server.terminate().await;

    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let headers: Vec<String> = head.lines().map(str::to_ascii_lowercase).collect();
    assert_eq!(headers[0], "http/1.1 408 request timeout");
    assert!(
        headers.contains(&"content-type: application/problem+json".to_owned()),
        "{head}"
    );
    let problem: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["type"], "/problems/request-timeout");
    assert_eq!(problem["status"], 408);
    let request_id = headers
        .iter()
        .find_map(|line| line.strip_prefix("x-request-id: "))
        .expect("a request id");
    assert_eq!(problem["request_id"], request_id);
    assert!(
        took >= Duration::from_millis(500),
        "cut after {took:?}, within the grace"
    );
    let access = support::access_lines(&stdout);
    assert_eq!(access.len(), 1, "{stdout:?}");
    assert_eq!(access[0]["fields"]["status"], 408);
}

/// The measured failure: with `ulimit -n 256`, 373 idle connections made
/// `/health` time out for everyone and the log repeat `Too many open
/// files`. Now the cap (the limit less 64) stops accepting first, idle
/// connections are closed after the header-read timeout, and a new client
/// is served once a slot frees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_past_the_file_limit_leaves_the_server_serving() {
    let server = support::serve_with_open_file_limit(
        128,
        &["--http-header-read-timeout", "1"],
        &[("PAYMENTS_API_KEYS", &api_keys_setting())],
    )
    .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut flood = Vec::new();
    for _ in 0..150 {
        flood.push(TcpStream::connect(&address).await.unwrap());
    }

    let started = Instant::now();
    let health = tokio::time::timeout(PATIENCE, reqwest::get(format!("{}/health", server.base)))
        .await
        .expect("a new client is served once the idle ones are closed")
        .unwrap();
    let waited = started.elapsed();
    let status = health.status();
    drop(flood);
    let (exit, stdout, _) = server.terminate().await;

    assert_eq!(status, 200);
    assert!(exit.success(), "{exit}");
    let listening: serde_json::Value = stdout
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| {
            line["fields"]["message"] == "listening"
                && line["fields"]["max_connections"].is_number()
        })
        .expect("the transport logs its cap");
    assert_eq!(listening["fields"]["max_connections"], 64);
    let accept_errors = stdout
        .iter()
        .filter(|line| line.contains("cannot accept connections"))
        .count();
    assert_eq!(accept_errors, 0, "{stdout:?}");
    assert!(waited < PATIENCE, "{waited:?}");
}
