//! `payments` with `--store dynamodb` against DynamoDB Local, as an
//! operator runs it: migrate (twice), seed (twice), serve.

#![allow(clippy::unwrap_used)]

mod support;

use payments_tests::http_table::{KEY_A, ORGANISATION_A};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_seed_and_serve_work_on_dynamodb() {
    let emulator = payments_tests::dynamodb::emulator().await;
    let table = emulator.unique_table_name();
    // What the binary needs to reach the emulator: endpoint, region and
    // test credentials through the standard variables, and the table.
    let mut environment = emulator.environment().to_vec();
    environment.push(("PAYMENTS_DYNAMODB_TABLE", table));
    let envs: Vec<(&str, &str)> = environment.iter().map(|(k, v)| (*k, v.as_str())).collect();

    support::migrate_and_seed_twice("dynamodb", &envs);

    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let mut envs = envs;
    envs.push(("PAYMENTS_API_KEYS", &keys));
    let server = support::serve(&["--store", "dynamodb"], &envs).await;
    let page: serde_json::Value =
        support::get_json(&server.base, "/v1/payments", Some(KEY_A)).await;
    let ready = reqwest::get(format!("{}/ready", server.base))
        .await
        .unwrap()
        .status();

    assert_eq!(page["data"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["data"][0]["attributes"]["amount"], "100.21");
    assert_eq!(ready, 200);
}
