//! `payments serve` as a user runs it: a real process on a real TCP port,
//! answering the whole HTTP table, logging JSON lines without secrets, and
//! stopping cleanly on SIGTERM.

#![allow(clippy::unwrap_used)]

mod support;

use payments_tests::http_table::{self, api_keys_setting};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_over_tcp_against_payments_serve() {
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &api_keys_setting())]).await;
    let client = reqwest::Client::new();

    http_table::run(|request| support::send(&client, &server.base, request)).await;

    let (status, stdout, _) = server.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let log = stdout.join("\n");
    for secret in &http_table::secrets() {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    assert_eq!(
        support::access_lines(&stdout).len(),
        http_table::request_count(),
        "one access line per request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_clients_are_served_too() {
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &api_keys_setting())]).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();

    let response = client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();

    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_configured_keys_serve_prints_one_usable_key() {
    let server = support::serve(&[], &[]).await;
    let stderr = server.stderr.lock().unwrap().join("\n");
    let key = stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("x-api-key:"))
        .map(str::trim)
        .expect("serve prints a key")
        .to_owned();
    let organisation = stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("organisation:"))
        .map(str::trim)
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let mut sample: serde_json::Value = serde_json::from_str(http_table::FORM3_SAMPLE).unwrap();
    sample["data"]["organisation_id"] = organisation.clone().into();

    let created = client
        .post(format!("{}/v1/payments", server.base))
        .header("x-api-key", &key)
        .json(&sample)
        .send()
        .await
        .unwrap();

    assert_eq!(created.status(), 201);
    let (_, stdout, _) = server.terminate().await;
    assert!(
        !stdout.join("\n").contains(&key),
        "the generated key is printed once, never logged"
    );
}

/// A body announced past the transport's own limit (128 KiB, twice the
/// API's) is answered by the API like any other: problem+json, a request
/// id, one access line. It was a bare `text/plain` from the transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_transport_limit_is_a_problem_with_a_request_id_and_a_log_line() {
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &api_keys_setting())]).await;

    let response = reqwest::Client::new()
        .post(format!("{}/payments", server.base))
        .header("x-api-key", http_table::KEY_A)
        .header("content-type", "application/json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"].clone();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let problem: serde_json::Value = response.json().await.unwrap();
    let (_, stdout, _) = server.terminate().await;

    assert_eq!(status, 413);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["type"], "/problems/payload-too-large");
    assert_eq!(problem["request_id"], request_id.as_str());
    let access = support::access_lines(&stdout);
    assert_eq!(access.len(), 1, "{stdout:?}");
    assert_eq!(access[0]["fields"]["status"], 413);
    assert_eq!(access[0]["fields"]["request_id"], request_id.as_str());
}

/// `PAYMENTS_CURRENCY_ALIASES` reaches the recorder route of `serve`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_currency_alias_is_recorded_as_its_code() {
    let server = support::serve(
        &[],
        &[
            ("PAYMENTS_API_KEYS", &api_keys_setting()),
            ("PAYMENTS_CURRENCY_ALIASES", "Dollars=USD"),
        ],
    )
    .await;

    let response = reqwest::Client::new()
        .post(format!("{}/payments", server.base))
        .header("x-api-key", http_table::KEY_A)
        .json(
            &serde_json::json!({ "paymentTimestamp": "2024-08-01T12:34:56Z",
            "paymentDescription": "Gym", "currency": "Dollars", "amount": 500 }),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let record: serde_json::Value = response.json().await.unwrap();
    server.terminate().await;

    assert_eq!(status, 201, "{record}");
    assert_eq!(record["currency"], "USD");
}
