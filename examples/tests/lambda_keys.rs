//! The Lambda bootstrap reads its API keys from Secrets Manager at init
//! (moto's Secrets Manager stands in for AWS), and refuses to start without them.
//! A loopback listener stands in for the Lambda runtime API: the
//! bootstrap's first poll of it shows that init succeeded.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use payments_tests::http_table::{api_keys_setting, KEY_A};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::process::Command;

/// Starts `payments-lambda` on the memory store with the keys secret
/// `secret_id`, pointed at the emulator and at `runtime_api`.
fn bootstrap(endpoint: &str, secret_id: &str, runtime_api: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payments-lambda"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PAYMENTS_STORE", "memory")
        .env("PAYMENTS_API_KEYS_SECRET_ID", secret_id)
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "emulator")
        .env("AWS_SECRET_ACCESS_KEY", "emulator")
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "payments")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

fn secrets_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "emulator", "emulator", None, None, "test",
        ))
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_reads_its_keys_from_secrets_manager_at_init() {
    let emulator = payments_tests::secrets_manager::emulator().await;
    let secret_id = emulator.unique_secret_name();
    secrets_client(emulator.endpoint_url())
        .create_secret()
        .name(&secret_id)
        .secret_string(api_keys_setting())
        .send()
        .await
        .unwrap();
    let runtime_api = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = runtime_api.local_addr().unwrap().to_string();

    let mut child = bootstrap(emulator.endpoint_url(), &secret_id, &address)
        .spawn()
        .unwrap();
    let (mut poll, _) = tokio::time::timeout(Duration::from_secs(30), runtime_api.accept())
        .await
        .expect("the bootstrap finishes init and polls the runtime API")
        .unwrap();
    let mut request = vec![0; 1024];
    let read = poll.read(&mut request).await.unwrap();
    child.kill().await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&output.stdout);

    assert!(String::from_utf8_lossy(&request[..read])
        .starts_with("GET /2018-06-01/runtime/invocation/next"));
    assert!(
        log.contains("\"keys\":2"),
        "init logs the number of keys: {log}"
    );
    assert!(!log.contains(KEY_A), "the log holds an API key: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_refuses_to_start_when_the_keys_secret_is_missing() {
    let emulator = payments_tests::secrets_manager::emulator().await;
    let runtime_api = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = runtime_api.local_addr().unwrap().to_string();

    let output = tokio::time::timeout(
        Duration::from_secs(60),
        bootstrap(emulator.endpoint_url(), "payments/no-such-secret", &address).output(),
    )
    .await
    .expect("the bootstrap gives up")
    .unwrap();
    let log = String::from_utf8_lossy(&output.stdout);

    assert!(!output.status.success());
    assert!(
        log.contains("refusing to start") && log.contains("payments/no-such-secret"),
        "{log}"
    );
}
