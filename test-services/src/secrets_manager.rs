//! Secrets Manager for tests: moto's server, unpatched, installed into the
//! project's `.venv` on first use and started once per test process on a
//! free loopback port. Only the Lambda bootstrap's key loading uses it;
//! every DynamoDB test runs on DynamoDB Local ([`crate::dynamodb`]).
//!
//! Nothing is skipped: when Python, the install or the server fails, the
//! test panics and says what to do. The install needs PyPI once per machine
//! (`python3 -m venv .venv` and `.venv/bin/pip install 'moto[server]'`,
//! which can also be run by hand).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::background::{self, Server};

/// The region test clients use (moto accepts any).
pub const REGION: &str = "eu-west-1";

/// What pip installs.
const MOTO_REQUIREMENT: &str = "moto[server]>=5,<6";

/// How long the server may take to answer after start (it usually takes
/// about a second; the first start after an install compiles bytecode).
const READY_WAIT: Duration = Duration::from_secs(60);

/// A running moto server, shared by every test of the process.
#[derive(Debug)]
pub struct SecretsEmulator {
    endpoint_url: String,
    server: Server,
}

static EMULATOR: OnceLock<SecretsEmulator> = OnceLock::new();
static NAMES: AtomicU32 = AtomicU32::new(0);

/// The emulator of this test process, installed and started on first call.
///
/// # Panics
/// When moto cannot be installed or started; the message says why and
/// where its log is.
pub async fn emulator() -> &'static SecretsEmulator {
    match tokio::task::spawn_blocking(|| EMULATOR.get_or_init(start)).await {
        Ok(emulator) => emulator,
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}

impl SecretsEmulator {
    /// The endpoint, such as `http://127.0.0.1:40123`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// Where the server writes its log.
    pub fn log_path(&self) -> &Path {
        &self.server.log
    }

    /// A secret name no other test of this process uses.
    pub fn unique_secret_name(&self) -> String {
        format!(
            "payments/test-{}-{}",
            std::process::id(),
            NAMES.fetch_add(1, Ordering::Relaxed)
        )
    }
}

fn start() -> SecretsEmulator {
    let venv = background::workspace().join(".venv");
    let server_program = background::python_program(MOTO_REQUIREMENT, "moto_server");
    let log = std::env::temp_dir().join(format!("payments-moto-{}.log", std::process::id()));
    let server = background::start(
        "moto",
        &server_program,
        |port| {
            vec![
                "-H".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ]
        },
        &venv,
        &log,
        READY_WAIT,
    )
    .unwrap_or_else(|failure| {
        panic!("the Secrets Manager emulator (moto) did not start: {failure}")
    });
    SecretsEmulator {
        endpoint_url: format!("http://127.0.0.1:{}", server.port),
        server,
    }
}
