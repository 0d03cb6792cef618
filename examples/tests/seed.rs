//! Loading a Form3 payment list: `payments seed FILE` and `serve --seed`.

#![allow(clippy::unwrap_used)]

mod support;

use payments_tests::http_table::{KEY_A, ORGANISATION_A};

use support::SEED_FILE;

#[test]
fn seed_reports_what_it_created_and_what_it_rejected_with_why() {
    let run = support::payments(&["seed", SEED_FILE, "--store", "memory"], &[]);

    assert!(run.succeeded, "{run:?}");
    assert_eq!(run.stdout, support::seed_file_report(2, 0));
}

#[test]
fn one_payment_document_seeds_as_a_list_of_one() {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/form3-sample-payment.json"
    );
    let run = support::payments(&["seed", sample, "--store", "memory"], &[]);

    assert!(run.succeeded, "{run:?}");
    assert_eq!(run.stdout, "created 1, already present 0, rejected 0\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_loads_the_seed_file_before_answering() {
    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let server = support::serve(&["--seed", SEED_FILE], &[("PAYMENTS_API_KEYS", &keys)]).await;

    let page: serde_json::Value =
        support::get_json(&server.base, "/v1/payments", Some(KEY_A)).await;

    let references: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["attributes"]["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        references,
        ["Payment for Em's piano lessons", "Second seeded payment"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_migrate_is_safe_twice_and_a_second_seed_creates_nothing() {
    let url = payments_tests::postgres::test_database_url().await;

    support::migrate_and_seed_twice("postgres", &[("DATABASE_URL", &url)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_postgres_keeps_payments_across_restarts() {
    let url = payments_tests::postgres::test_database_url().await;
    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let envs = [
        ("PAYMENTS_API_KEYS", keys.as_str()),
        ("DATABASE_URL", url.as_str()),
    ];
    let client = reqwest::Client::new();
    let record = serde_json::json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Kept", "currency": "EUR", "amount": "9.99" });

    let first = support::serve(&["--store", "postgres", "--migrate"], &envs).await;
    let created: serde_json::Value = client
        .post(format!("{}/payments", first.base))
        .header("x-api-key", KEY_A)
        .json(&record)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    first.terminate().await;
    let second = support::serve(&["--store", "postgres"], &envs).await;
    let read = client
        .get(format!(
            "{}/payments/{}",
            second.base,
            created["id"].as_str().unwrap()
        ))
        .header("x-api-key", KEY_A)
        .send()
        .await
        .unwrap();

    assert_eq!(read.status(), 200);
    assert_eq!(
        read.json::<serde_json::Value>().await.unwrap()["amount"],
        serde_json::json!(9.99)
    );
}
