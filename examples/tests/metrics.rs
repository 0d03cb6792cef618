//! `GET /metrics` of `payments serve`, over TCP: after a scripted series
//! of requests it holds exactly the counts they caused, and no id, key or
//! organisation in any label.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use payments_tests::http_table::{KEY_A, ORGANISATION_A};

/// One sample of the text format: name, labels (sorted), value.
type Sample = (String, BTreeMap<String, String>, f64);

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap();
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value.parse().unwrap())
        })
        .collect()
}

/// The value of the sample `name` with exactly `labels`, if there is one.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|(n, l, _)| n == name && *l == wanted)
        .map(|(_, _, v)| *v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_requests_did() {
    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &keys)]).await;
    let client = reqwest::Client::new();
    let record = serde_json::json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": "500" });
    let send = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(send(client.get(format!("{}/health", server.base))).await);
    }
    for amount in ["500", "501", "-1"] {
        let mut body = record.clone();
        body["amount"] = serde_json::json!(amount);
        statuses.push(
            send(
                client
                    .post(format!("{}/payments", server.base))
                    .header("x-api-key", KEY_A)
                    .json(&body),
            )
            .await,
        );
    }
    let unknown = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";
    statuses.push(
        send(
            client
                .get(format!("{}/payments/{unknown}", server.base))
                .header("x-api-key", KEY_A),
        )
        .await,
    );
    statuses.push(send(client.get(format!("{}/no/such/route", server.base))).await);
    assert_eq!(statuses, [200, 200, 200, 201, 201, 422, 404, 404]);

    let response = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/plain; version=0.0.4"
    );
    let text = response.text().await.unwrap();
    let all = samples(&text);
    let requests = |route, method, status| {
        value(
            &all,
            "payments_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/health", "GET", "200"), Some(3.0));
    assert_eq!(requests("/payments", "POST", "201"), Some(2.0));
    assert_eq!(requests("/payments", "POST", "422"), Some(1.0));
    assert_eq!(requests("/payments/{id}", "GET", "404"), Some(1.0));
    assert_eq!(requests("unmatched", "GET", "404"), Some(1.0));
    assert_eq!(
        value(
            &all,
            "payments_http_request_duration_seconds_count",
            &[("route", "/payments"), ("method", "POST")]
        ),
        Some(3.0)
    );
    let store_calls = |operation| {
        value(
            &all,
            "payments_store_operation_duration_seconds_count",
            &[("operation", operation), ("store", "memory")],
        )
    };
    assert_eq!(
        store_calls("create"),
        Some(2.0),
        "the refused body never reached the store"
    );
    assert_eq!(store_calls("get"), Some(1.0));
    assert_eq!(
        value(
            &all,
            "payments_store_errors_total",
            &[
                ("operation", "create"),
                ("store", "memory"),
                ("kind", "unavailable")
            ]
        ),
        None
    );
    assert!(
        value(&all, "payments_http_connections_open", &[]).unwrap() >= 1.0,
        "{text}"
    );
    for secret in [KEY_A, ORGANISATION_A, unknown] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_to_an_address_of_their_own_when_asked() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let server = support::serve(&[], &[("PAYMENTS_METRICS_LISTEN", &address)]).await;
    let client = reqwest::Client::new();

    let on_api = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .status();
    let mut on_own = None;
    for _ in 0..50 {
        if let Ok(response) = client.get(format!("http://{address}/metrics")).send().await {
            on_own = Some((response.status().as_u16(), response.text().await.unwrap()));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    assert_eq!(on_api, 404);
    let (status, text) = on_own.unwrap();
    assert_eq!(status, 200);
    let all = samples(&text);
    assert_eq!(
        value(
            &all,
            "payments_http_requests_total",
            &[("route", "unmatched"), ("method", "GET"), ("status", "404")]
        ),
        Some(1.0),
        "the API's 404 for /metrics counted, the scrape not"
    );
}
