//! Running the `payments` binary as a user would, for the tests.

#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The Form3 list the seed tests load: two valid payments and one with an
/// invalid currency.
pub const SEED_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/seed-payments.json");

/// What one run of `payments` did.
#[derive(Debug)]
pub struct Run {
    pub succeeded: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The first line it wrote to standard error: where `payments` states
    /// why it stopped.
    pub fn first_error_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or_default()
    }
}

/// Runs `payments ARGS` to completion with `envs` (logging only warnings).
pub fn payments(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_payments"))
        .args(args)
        .env_remove("PAYMENTS_API_KEYS")
        .env("PAYMENTS_LOG", "warn")
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    Run {
        succeeded: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// What `payments seed` prints for [`SEED_FILE`] when `created` of its
/// payments are new and `present` were stored before: the counts, then
/// the one payment it rejects and why.
pub fn seed_file_report(created: usize, present: usize) -> String {
    format!(
        "created {created}, already present {present}, rejected 1\n  rejected #3 \
         (5c6d7e8f-0a1b-4c2d-9e3f-4a5b6c7d8e9f): attributes.currency: \"Dollars\" is a \
         currency name, not an ISO 4217 currency code; send the code, such as USD, CAD, \
         AUD, NZD, SGD or HKD\n"
    )
}

/// The operator's first steps on a real store: `migrate` twice (safe),
/// then `seed` twice, the second creating nothing new.
pub fn migrate_and_seed_twice(store: &str, envs: &[(&str, &str)]) {
    let first_migrate = payments(&["migrate", "--store", store], envs);
    let second_migrate = payments(&["migrate", "--store", store], envs);
    let first_seed = payments(&["seed", SEED_FILE, "--store", store], envs);
    let second_seed = payments(&["seed", SEED_FILE, "--store", store], envs);

    assert!(
        first_migrate.succeeded && second_migrate.succeeded,
        "{first_migrate:?} {second_migrate:?}"
    );
    assert!(first_seed.succeeded, "{first_seed:?}");
    assert_eq!(first_seed.stdout, seed_file_report(2, 0));
    assert!(second_seed.succeeded, "{second_seed:?}");
    assert_eq!(second_seed.stdout, seed_file_report(0, 2));
}

/// A running `payments serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<Vec<String>>>,
}

/// Starts `payments serve --listen 127.0.0.1:0` with `envs`, and waits for
/// its "listening" log line to learn the port.
pub async fn serve(args: &[&str], envs: &[(&str, &str)]) -> Server {
    start(Command::new(env!("CARGO_BIN_EXE_payments")), args, envs).await
}

/// [`serve`], in a process that may open at most `limit` files (`ulimit
/// -n`), as a host with a low limit runs it.
pub async fn serve_with_open_file_limit(
    limit: u32,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Server {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -n {limit} && exec \"$@\""),
        "sh",
        env!("CARGO_BIN_EXE_payments"),
    ]);
    start(command, args, envs).await
}

async fn start(mut command: Command, args: &[&str], envs: &[(&str, &str)]) -> Server {
    command
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("PAYMENTS_API_KEYS")
        // A developer's shell must not throttle the tests.
        .env_remove("PAYMENTS_THROTTLE_RATE")
        .env_remove("PAYMENTS_THROTTLE_BURST")
        .env_remove("PAYMENTS_QUOTA_PER_DAY")
        .env("PAYMENTS_LOG", "info")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the payments binary starts");
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let (address_tx, address_rx) = tokio::sync::oneshot::channel();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let out = stdout.clone();
    tokio::spawn(async move {
        let mut address_tx = Some(address_tx);
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
                if json["fields"]["message"] == "listening" {
                    if let Some(tx) = address_tx.take() {
                        let _ = tx.send(
                            json["fields"]["address"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        );
                    }
                }
            }
            out.lock().unwrap().push(line);
        }
    });
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let err = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            err.lock().unwrap().push(line);
        }
    });
    let address = tokio::time::timeout(Duration::from_secs(60), address_rx)
        .await
        .expect("the server starts listening within a minute")
        .expect("the server logs its address");
    Server {
        child,
        base: format!("http://{address}"),
        stdout,
        stderr,
    }
}

/// The access-log lines among what the server printed, parsed: those whose
/// `target` is `payments::access`.
pub fn access_lines(stdout: &[String]) -> Vec<serde_json::Value> {
    stdout
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["target"] == "payments::access")
        .collect()
}

/// `GET {base}{path}` over real TCP, with `key` in `x-api-key` when
/// given; the answer's body as JSON.
pub async fn get_json(base: &str, path: &str, key: Option<&str>) -> serde_json::Value {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// Sends an `http` request over real TCP with reqwest.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    request: http::Request<Bytes>,
) -> http::Response<Bytes> {
    let (parts, body) = request.into_parts();
    let url = format!("{base}{}", parts.uri);
    let response = client
        .request(parts.method, url)
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    builder.body(response.bytes().await.unwrap()).unwrap()
}

impl Server {
    /// Asks the server to stop (SIGTERM) and waits for it, returning its
    /// exit status.
    pub async fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>, Vec<String>) {
        let pid = self.child.id().expect("running");
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the server stops within 30 s of SIGTERM")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stdout = self.stdout.lock().unwrap().clone();
        let stderr = self.stderr.lock().unwrap().clone();
        (status, stdout, stderr)
    }
}
