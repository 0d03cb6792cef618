//! `payments` with `--store dynamodb` against the DynamoDB emulator, as an
//! operator runs it: migrate (twice), seed (twice), serve.

#![allow(clippy::unwrap_used)]

mod support;

use payments_tests::http_table::{KEY_A, ORGANISATION_A};

const SEED_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/seed-payments.json");

/// What the binary needs to reach the emulator: endpoint, table, region and
/// (dummy) credentials through the standard AWS variables.
fn environment(endpoint: &str, table: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PAYMENTS_DYNAMODB_ENDPOINT", endpoint.to_owned()),
        ("PAYMENTS_DYNAMODB_TABLE", table.to_owned()),
        ("AWS_REGION", "eu-west-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "emulator".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "emulator".to_owned()),
        ("PAYMENTS_LOG", "warn".to_owned()),
    ]
}

fn payments(args: &[&str], environment: &[(&'static str, String)]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_payments"))
        .args(args)
        .envs(environment.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_seed_and_serve_work_on_dynamodb() {
    let emulator = payments_tests::dynamodb::emulator().await;
    let table = emulator.unique_table_name();
    let environment = environment(emulator.endpoint_url(), &table);

    let first_migrate = payments(&["migrate", "--store", "dynamodb"], &environment);
    let second_migrate = payments(&["migrate", "--store", "dynamodb"], &environment);
    let first_seed = payments(&["seed", SEED_FILE, "--store", "dynamodb"], &environment);
    let second_seed = payments(&["seed", SEED_FILE, "--store", "dynamodb"], &environment);

    assert!(
        first_migrate.0 && second_migrate.0,
        "{first_migrate:?} {second_migrate:?}"
    );
    assert!(
        first_seed
            .1
            .starts_with("created 2, already present 0, rejected 1"),
        "{first_seed:?}"
    );
    assert!(
        second_seed
            .1
            .starts_with("created 0, already present 2, rejected 1"),
        "{second_seed:?}"
    );

    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    // The server logs at info: its "listening" line says where it is.
    let mut envs: Vec<(&str, &str)> = environment
        .iter()
        .filter(|(k, _)| *k != "PAYMENTS_LOG")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    envs.push(("PAYMENTS_API_KEYS", &keys));
    let server = support::serve(&["--store", "dynamodb"], &envs).await;
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/payments", server.base))
        .header("x-api-key", KEY_A)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ready = reqwest::get(format!("{}/ready", server.base))
        .await
        .unwrap()
        .status();

    assert_eq!(page["data"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["data"][0]["attributes"]["amount"], "100.21");
    assert_eq!(ready, 200);
}
