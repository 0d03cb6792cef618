//! Usage plans on `payments serve` as a user runs it: a real process on a
//! real TCP port, configured by its environment or its flags.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

const ORG: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
const KEY_A: &str = "tcp-usage-plan-key-a-0001";
const KEY_B: &str = "tcp-usage-plan-key-b-0001";

fn keys() -> String {
    format!("{KEY_A}:{ORG},{KEY_B}:{ORG}")
}

async fn list(client: &reqwest::Client, base: &str, key: &str) -> reqwest::Response {
    client
        .get(format!("{base}/v1/payments"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

/// `payments serve` whose default throttle is 1 request a second, bursting
/// to 3, set through the environment.
async fn serve_one_a_second_bursting_to_three() -> support::Server {
    support::serve(
        &[],
        &[
            ("PAYMENTS_API_KEYS", &keys()),
            ("PAYMENTS_THROTTLE_RATE", "1"),
            ("PAYMENTS_THROTTLE_BURST", "3"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_past_its_burst_is_refused_with_429_while_another_key_is_served() {
    let server = serve_one_a_second_bursting_to_three().await;
    let client = reqwest::Client::new();

    let mut first_three = Vec::new();
    for _ in 0..3 {
        first_three.push(list(&client, &server.base, KEY_A).await.status());
    }
    let refused = list(&client, &server.base, KEY_A).await;
    let other_key = list(&client, &server.base, KEY_B).await;
    let refused_status = refused.status();
    let retry_after = header(&refused, "retry-after");
    let policy = header(&refused, "ratelimit-policy");
    let request_id = header(&refused, "x-request-id").expect("an x-request-id");
    let problem: serde_json::Value = refused.json().await.unwrap();
    let other_status = other_key.status();
    let (_, stdout, _) = server.terminate().await;

    assert_eq!(first_three, [200, 200, 200]);
    assert_eq!(refused_status, 429);
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(policy.as_deref(), Some(r#""burst";q=3;w=3"#));
    assert_eq!(problem["type"], "/problems/too-many-requests");
    assert_eq!(problem["request_id"], request_id.as_str());
    assert_eq!(other_status, 200);
    let access = support::access_lines(&stdout);
    assert_eq!(access.len(), 5, "one access line per request: {stdout:?}");
    let refusal_line = access
        .iter()
        .find(|line| line["fields"]["status"] == 429)
        .expect("an access line for the 429");
    assert_eq!(refusal_line["fields"]["request_id"], request_id.as_str());
    let log = stdout.join("\n");
    assert!(
        !log.contains(KEY_A) && !log.contains(KEY_B),
        "a key was logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyless_requests_are_throttled_per_client_address() {
    let server = serve_one_a_second_bursting_to_three().await;
    // Two loopback addresses are two clients to the server.
    let from = |address: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(address))
            .build()
            .unwrap()
    };
    let (one, other) = (from([127, 0, 0, 1]), from([127, 0, 0, 2]));
    let health = format!("{}/health", server.base);

    let mut first_three = Vec::new();
    for _ in 0..3 {
        first_three.push(one.get(&health).send().await.unwrap().status());
    }
    let refused = one.get(&health).send().await.unwrap();
    let other_address = other.get(&health).send().await.unwrap();
    server.terminate().await;

    assert_eq!(first_three, [200, 200, 200]);
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "retry-after").as_deref(), Some("1"));
    assert_eq!(other_address.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_spaced_within_the_rate_are_never_refused() {
    // A burst of one: any request sooner than a second after the last
    // would be refused. The flags instead of the environment.
    let server = support::serve(
        &["--throttle-rate", "1", "--throttle-burst", "1"],
        &[("PAYMENTS_API_KEYS", &keys())],
    )
    .await;
    let client = reqwest::Client::new();

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(list(&client, &server.base, KEY_A).await.status());
        // The next request leaves after this one's answer, so it arrives
        // at least this long after it.
        tokio::time::sleep(Duration::from_millis(1050)).await;
    }
    server.terminate().await;

    assert_eq!(statuses, [200, 200, 200, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_its_own_plan_in_payments_api_keys_is_held_to_it() {
    let keys = format!("{KEY_A}:{ORG}:quota=1,{KEY_B}:{ORG}");
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &keys)]).await;
    let client = reqwest::Client::new();

    let first = list(&client, &server.base, KEY_A).await;
    let second = list(&client, &server.base, KEY_A).await;
    let other_key = list(&client, &server.base, KEY_B).await;
    server.terminate().await;

    assert_eq!(first.status(), 200);
    assert_eq!(
        header(&first, "ratelimit-policy").as_deref(),
        Some(r#""daily";q=1;w=86400"#)
    );
    assert_eq!(second.status(), 429);
    assert_eq!(other_key.status(), 200);
    assert_eq!(header(&other_key, "ratelimit"), None, "no default limits");
}

#[test]
fn a_bad_setting_stops_serve_naming_the_variable_and_never_a_key() {
    let cases = [
        (
            vec![("PAYMENTS_THROTTLE_RATE", "fast".to_owned())],
            "PAYMENTS_THROTTLE_RATE (--throttle-rate): the rate must be a positive number of requests per second",
        ),
        (
            vec![("PAYMENTS_QUOTA_PER_DAY", "0".to_owned())],
            "PAYMENTS_QUOTA_PER_DAY (--quota-per-day): the quota must be a positive whole number of requests per day",
        ),
        (
            vec![(
                "PAYMENTS_API_KEYS",
                format!("{KEY_A}:{ORG}:rate=1;burst=lots"),
            )],
            "PAYMENTS_API_KEYS: API key entry 1: the burst must be a positive whole number of requests",
        ),
    ];
    for (envs, expected) in cases {
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();

        let run = support::payments(&["serve", "--listen", "127.0.0.1:0"], &envs);

        assert!(!run.succeeded, "{envs:?} started");
        assert_eq!(
            run.first_error_line(),
            format!("Error: {expected}"),
            "{envs:?}"
        );
        assert!(
            !run.stdout.contains(KEY_A) && !run.stderr.contains(KEY_A),
            "the key was echoed: {run:?}"
        );
    }
}
