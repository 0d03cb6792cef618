//! `payments serve` as a user runs it: a real process on a real TCP port,
//! answering the whole HTTP table, logging JSON lines without secrets, and
//! stopping cleanly on SIGTERM.

#![allow(clippy::unwrap_used)]

mod support;

use payments_tests::http_table::{self, api_keys_setting, SECRETS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_over_tcp_against_payments_serve() {
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &api_keys_setting())]).await;
    let client = reqwest::Client::new();

    http_table::run(|request| support::send(&client, &server.base, request)).await;

    let (status, stdout, _) = server.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let log = stdout.join("\n");
    for secret in SECRETS {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    let access_lines = stdout
        .iter()
        .filter(|line| line.contains("\"payments::access\""))
        .count();
    assert_eq!(
        access_lines,
        http_table::steps().len(),
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
