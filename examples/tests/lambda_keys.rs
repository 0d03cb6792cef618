//! The Lambda bootstrap reads its API keys from Secrets Manager at init
//! (moto's Secrets Manager stands in for AWS), and refuses to start without
//! them. A loopback listener stands in for the Lambda runtime API: the
//! bootstrap's first poll of it shows that init succeeded, and an event it
//! serves shows what the bootstrap logs while handling one.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use payments_tests::http_table::{self, api_keys_setting, FORM3_SAMPLE, KEY_A};
use payments_tests::secrets_manager::SecretsEmulator;
use payments_tests::stand_in::Connection;
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

/// A new secret holding the HTTP table's keys, on the emulator.
async fn keys_secret() -> (&'static SecretsEmulator, String) {
    let emulator = payments_tests::secrets_manager::emulator().await;
    let secret_id = emulator.unique_secret_name();
    secrets_client(emulator.endpoint_url())
        .create_secret()
        .name(&secret_id)
        .secret_string(api_keys_setting())
        .send()
        .await
        .unwrap();
    (emulator, secret_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_reads_its_keys_from_secrets_manager_at_init() {
    let (emulator, secret_id) = keys_secret().await;
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
    let initialised = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "initialised")
        .unwrap_or_else(|| panic!("init logs a line: {log}"));
    assert_eq!(
        initialised["fields"]["keys"],
        serde_json::json!(http_table::organisations().len()),
        "init logs the number of keys"
    );
    assert!(!log.contains(KEY_A), "the log holds an API key: {log}");
}

/// The lines `log` holds at `level` (`"WARN"`), as JSON.
fn lines_at<'a>(log: &'a str, level: &'a str) -> impl Iterator<Item = serde_json::Value> + 'a {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(move |line| line["level"] == level)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_its_own_usage_plan_is_loaded_and_the_unapplied_plan_is_warned_of() {
    let emulator = payments_tests::secrets_manager::emulator().await;
    let secret_id = emulator.unique_secret_name();
    secrets_client(emulator.endpoint_url())
        .create_secret()
        .name(&secret_id)
        .secret_string(format!(
            "{KEY_A}:743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb:rate=5;burst=10,lambda-key-without-plan-0002:2a8cbd4e-02f7-4d4f-8d2e-9a6c3b7a1f10"
        ))
        .send()
        .await
        .unwrap();
    let runtime_api = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = runtime_api.local_addr().unwrap().to_string();

    let mut child = bootstrap(emulator.endpoint_url(), &secret_id, &address)
        .spawn()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), runtime_api.accept())
        .await
        .expect("the bootstrap finishes init and polls the runtime API")
        .unwrap();
    child.kill().await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&output.stdout);

    let warnings: Vec<serde_json::Value> = lines_at(&log, "WARN")
        .map(|line| line["fields"].clone())
        .collect();
    assert_eq!(
        warnings,
        vec![serde_json::json!({
            "message": "API keys carry usage plans of their own, which this front end does not apply: API Gateway's usage plans limit callers of the Lambda function",
            "keys_with_plans": 1,
        })],
        "{log}"
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

/// An API Gateway (REST) event creating the Form3 sample with `KEY_A`.
fn create_event() -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/data/lambda-apigw-rest.json")).unwrap();
    event["resource"] = "/v1/payments".into();
    event["path"] = "/v1/payments".into();
    event["httpMethod"] = "POST".into();
    event["requestContext"]["httpMethod"] = "POST".into();
    event["requestContext"]["resourcePath"] = "/v1/payments".into();
    event["requestContext"]["path"] = "/prod/v1/payments".into();
    for (name, value) in [("x-api-key", KEY_A), ("content-type", "application/json")] {
        event["headers"][name] = value.into();
        event["multiValueHeaders"][name] = serde_json::json!([value]);
    }
    event["body"] = FORM3_SAMPLE.into();
    event.to_string()
}

/// Serves the runtime API on `listener`: one event, then whatever the
/// bootstrap answers to it, sent back on the returned channel.
fn serve_one_event(listener: TcpListener) -> tokio::sync::mpsc::Receiver<serde_json::Value> {
    let (answers, answered) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        let served = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (answers, served) = (answers.clone(), std::sync::Arc::clone(&served));
            tokio::spawn(async move {
                let mut connection = Connection::new(stream);
                while let Some(request) = connection.next_request().await {
                    if request.path.ends_with("/invocation/next") {
                        if served.swap(true, std::sync::atomic::Ordering::SeqCst) {
                            return; // one event is all this test serves
                        }
                        let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            .to_string();
                        let headers = [
                            ("content-type", "application/json"),
                            ("lambda-runtime-aws-request-id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
                            ("lambda-runtime-deadline-ms", deadline.as_str()),
                            ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:eu-west-1:123456789012:function:payments"),
                            ("lambda-runtime-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
                        ];
                        connection
                            .respond("200 OK", &headers, create_event().as_bytes())
                            .await;
                    } else {
                        connection.respond("202 Accepted", &[], b"{}").await;
                        let answer = serde_json::from_slice(&request.body).unwrap_or_default();
                        let _ = answers.send(answer).await;
                    }
                }
            });
        }
    });
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_trace_level_the_bootstrap_logs_no_key_and_no_body() {
    let (emulator, secret_id) = keys_secret().await;
    let runtime_api = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = runtime_api.local_addr().unwrap().to_string();
    let mut answered = serve_one_event(runtime_api);

    let mut child = bootstrap(emulator.endpoint_url(), &secret_id, &address)
        .env("PAYMENTS_LOG", "trace")
        .spawn()
        .unwrap();
    // Trace output overflows a pipe: read it while the bootstrap runs.
    let mut stdout = child.stdout.take().unwrap();
    let reader = tokio::spawn(async move {
        let mut log = Vec::new();
        stdout.read_to_end(&mut log).await.map(|_| log)
    });
    let answer = tokio::time::timeout(Duration::from_secs(30), answered.recv()).await;
    child.kill().await.unwrap();
    let log = reader.await.unwrap().unwrap();
    let log = String::from_utf8_lossy(&log);
    let answer = answer
        .unwrap_or_else(|_| panic!("the bootstrap answers the event; its log: {log}"))
        .unwrap();

    assert_eq!(answer["statusCode"], 201, "{answer}");
    assert!(
        log.contains(r#""level":"TRACE""#),
        "trace lines are written: {log}"
    );
    for secret in &http_table::secrets() {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
}
