//! Many writers at once, through the API: on one payment, exactly one
//! update at a version wins and every other one is told the version moved
//! (409); on one idempotency key, exactly one payment is created and every
//! request answers it. Nobody sees a 500, whatever the store does about
//! the clash inside (DynamoDB cancels clashing transactions with
//! `TransactionConflict`, which the adapter retries).

use std::collections::BTreeMap;

use axum::Router;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::http_table::{send_in_process, KEY_A, ORGANISATION_A};

/// How many writers race for each prize.
pub const WRITERS: usize = 24;

const PAYMENT: &str = "0b7c1a5e-3c55-4d0b-9f6e-6f1de1f0a001";

fn request(
    method: Method,
    path: &str,
    idempotency_key: Option<&str>,
    body: &str,
) -> Request<Bytes> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-api-key", KEY_A)
        .header("content-type", "application/json");
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    request
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .expect("a request")
}

/// Sends every request at once, each from its own task, and answers the
/// statuses and bodies in the order the requests were given.
async fn race(app: &Router, requests: Vec<Request<Bytes>>) -> Vec<(StatusCode, Value)> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let app = app.clone();
            tokio::spawn(async move {
                let response = send_in_process(app, request).await;
                let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
                (response.status(), body)
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("a writer task"));
    }
    answers
}

fn tally(answers: &[(StatusCode, Value)]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for (status, _) in answers {
        *counts.entry(status.as_u16()).or_insert(0) += 1;
    }
    counts
}

/// Runs both races against `app` (the API over an empty store, with the
/// HTTP table's keys).
///
/// # Panics
/// When a race has no winner or several, or any answer is not the one a
/// client must get.
pub async fn writers_race_with_one_winner(app: &Router) {
    updates_of_one_version_have_one_winner(app).await;
    creates_with_one_key_make_one_payment(app).await;
}

async fn updates_of_one_version_have_one_winner(app: &Router) {
    let create = json!({ "data": { "type": "Payment", "id": PAYMENT,
        "organisation_id": ORGANISATION_A,
        "attributes": { "amount": "10.00", "currency": "GBP", "reference": "first" } } });
    let created = race(
        app,
        vec![request(
            Method::POST,
            "/v1/payments",
            None,
            &create.to_string(),
        )],
    )
    .await;
    assert_eq!(created[0].0, StatusCode::CREATED, "{}", created[0].1);

    let payment = format!("/v1/payments/{PAYMENT}");
    let patches = (0..WRITERS)
        .map(|writer| {
            let patch = json!({ "data": { "id": PAYMENT, "version": 0,
                "attributes": { "reference": format!("writer {writer}") } } });
            request(Method::PATCH, &payment, None, &patch.to_string())
        })
        .collect();
    let answers = race(app, patches).await;

    assert_eq!(
        tally(&answers),
        BTreeMap::from([(200, 1), (409, WRITERS - 1)]),
        "{answers:?}"
    );
    let winner = answers
        .iter()
        .position(|(status, _)| *status == StatusCode::OK)
        .expect("a winner");
    for (status, body) in &answers {
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["type"], json!("/problems/conflict"), "{body}");
        }
    }
    let read = race(app, vec![request(Method::GET, &payment, None, "")]).await;
    assert_eq!(read[0].1["data"]["version"], json!(1));
    assert_eq!(
        read[0].1["data"]["attributes"]["reference"],
        json!(format!("writer {winner}"))
    );
}

async fn creates_with_one_key_make_one_payment(app: &Router) {
    let body = r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500}"#;
    let creates = (0..WRITERS)
        .map(|_| request(Method::POST, "/payments", Some("race-key-0001"), body))
        .collect();
    let answers = race(app, creates).await;

    assert_eq!(
        tally(&answers),
        BTreeMap::from([(201, WRITERS)]),
        "{answers:?}"
    );
    let first = &answers[0].1;
    for (_, answer) in &answers {
        assert_eq!(answer, first);
    }
    let listed = race(
        app,
        vec![request(
            Method::GET,
            "/v1/payments?page%5Bsize%5D=100",
            None,
            "",
        )],
    )
    .await;
    let ids: Vec<&Value> = listed[0].1["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|payment| &payment["id"])
        .collect();
    assert_eq!(ids, [&json!(PAYMENT), &first["id"]]);
}
