//! The DynamoDB emulator for tests: moto's server mode, installed into the
//! workspace's `.venv` on first use and started once per test process on a
//! free loopback port.
//!
//! ```no_run
//! # async fn demo() {
//! let emulator = payments_tests::dynamodb::emulator().await;
//! let table = emulator
//!     .fresh_table(|client, name| async move {
//!         // the adapter's own table definition, e.g.
//!         // adapter_dynamodb::create_table_if_missing(&client, &name).await
//!         # let _ = (client, name);
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .await;
//! let _ = (table.client, table.name);
//! # }
//! ```
//!
//! Nothing is skipped: when Python, the install or the server fails, the
//! test panics and says what to do. Tests talk to 127.0.0.1 only; the
//! install needs PyPI once per machine (`python3 -m venv .venv` and
//! `.venv/bin/pip install 'moto[server]'`, which can also be run by hand).

use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

/// The region test clients sign for (moto accepts any).
pub const REGION: &str = "eu-west-1";

/// What pip installs. The major version is pinned because the launcher
/// below wraps moto's `server.main`.
const MOTO_REQUIREMENT: &str = "moto[server]>=5,<6";

/// How long the server may take to answer after start (it usually takes
/// about a second; the first start after an install compiles bytecode).
const READY_WAIT: Duration = Duration::from_secs(60);

/// Starts `moto.server.main` with two changes that give back DynamoDB's
/// guarantees and keep large tables fast.
///
/// 1. Every request is handled under one lock. moto runs each request in
///    its own thread with no lock of its own, so its conditional writes are
///    not atomic, and a cancelled `TransactWriteItems` restores a snapshot
///    of the whole table taken before it ran, undoing writes that other
///    requests committed meanwhile: "exactly one winner" would not hold.
///    Connections stay concurrent; only the handling is serialised.
/// 2. A transaction snapshots only the items it touches, instead of deep
///    copying every table it names. That copy grows with the table: it
///    made the storage contract suite (whose pagination test writes 1,200
///    payments into one table) take 133 s instead of 17 s. Under the lock
///    the per-item snapshot restores exactly what the table copy did.
const LAUNCHER: &str = r#"
import copy, sys, threading
import moto.server as server
import moto.dynamodb.models as dynamodb
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

run_simple = server.run_simple

def serialised_run_simple(host, port, app, **options):
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, serialised, **options)

class TablesUncopied:
    """`copy` inside transact_write_items: tables are not copied, the items
    the transaction touches are (below)."""

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

transact = dynamodb.DynamoDBBackend.transact_write_items

def transact_write_items(self, transact_items):
    saved = []
    for entry in transact_items:
        for op in entry.values():
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue
            range_attr = table.range_key_attr
            if range_attr is not None and range_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[range_attr]) if range_attr else None
            item = copy.deepcopy(table.get_item(hash_value, range_value))
            saved.append((table, hash_value, range_value, item))
    dynamodb.copy = TablesUncopied
    try:
        return transact(self, transact_items)
    except BaseException:
        for table, hash_value, range_value, item in reversed(saved):
            if range_value is None:
                holder, slot = table.items, hash_value
            else:
                holder, slot = table.items[hash_value], range_value
            if item is None:
                holder.pop(slot, None)
            else:
                holder[slot] = item
        raise
    finally:
        dynamodb.copy = copy

dynamodb.DynamoDBBackend.transact_write_items = transact_write_items
server.run_simple = serialised_run_simple
server.main(sys.argv[1:])
"#;

/// Runs the server in the background and stops it when this shell's
/// standard input closes, which happens when the test process exits however
/// it exits (a static is never dropped, so nothing else would stop it).
/// The shell itself exits when the server does, so an early death shows.
const LIFELINE: &str = r#"
exec 3<&0
"$@" 3<&- </dev/null &
server=$!
(cat <&3 >/dev/null; kill "$server" 2>/dev/null) &
exec 3<&-
wait "$server"
"#;

/// A running emulator, shared by every test of the process.
#[derive(Debug)]
pub struct DynamoEmulator {
    endpoint_url: String,
    log: PathBuf,
    // Held for the life of the process: its pipe is the server's lifeline.
    _lifeline: Mutex<(Child, ChildStdin)>,
}

/// A table made for one test (or one test run).
#[derive(Debug, Clone)]
pub struct FreshTable {
    /// A client for the emulator.
    pub client: Client,
    /// The table's unique name.
    pub name: String,
}

static EMULATOR: OnceLock<DynamoEmulator> = OnceLock::new();
static TABLES: AtomicU32 = AtomicU32::new(0);

/// The emulator of this test process, installed and started on first call.
///
/// # Panics
/// When moto cannot be installed or started; the message says why and
/// where its log is.
pub async fn emulator() -> &'static DynamoEmulator {
    // Installing and starting block for a while: keep it off the runtime's
    // worker threads. Concurrent first calls wait for one start.
    match tokio::task::spawn_blocking(|| EMULATOR.get_or_init(start)).await {
        Ok(emulator) => emulator,
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}

impl DynamoEmulator {
    /// The endpoint, such as `http://127.0.0.1:40123`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// Where the server writes its log.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// An SDK client for the emulator, with dummy static credentials and
    /// [`REGION`]; nothing is read from the environment or `~/.aws`.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint_url)
            .credentials_provider(Credentials::new(
                "test-access-key",
                "test-secret-key",
                None,
                None,
                "payments-tests",
            ))
            .build();
        Client::from_conf(config)
    }

    /// A table name no other table of this emulator has.
    pub fn unique_table_name(&self) -> String {
        format!(
            "payments-test-{}-{}",
            std::process::id(),
            TABLES.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Makes a new, uniquely named table with `create`, which gets a client
    /// and the name: the table's design belongs to whoever calls this (for
    /// the DynamoDB adapter, its `create_table_if_missing`), so this helper
    /// depends on no adapter.
    ///
    /// # Panics
    /// When `create` fails.
    pub async fn fresh_table<F, Fut, E>(&self, create: F) -> FreshTable
    where
        F: FnOnce(Client, String) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::error::Error,
    {
        let (client, name) = (self.client(), self.unique_table_name());
        if let Err(error) = create(client.clone(), name.clone()).await {
            panic!(
                "could not create table {name} on the DynamoDB emulator at {}: {}; server log: {}",
                self.endpoint_url,
                error_chain(&error),
                self.log.display()
            );
        }
        FreshTable { client, name }
    }
}

fn start() -> DynamoEmulator {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf();
    let python = ensure_installed(&workspace.join(".venv"));
    let log = std::env::temp_dir().join(format!("payments-moto-{}.log", std::process::id()));
    // A port picked free can be taken before the server binds it; try again.
    let mut failures = Vec::new();
    for _ in 0..3 {
        match launch(&python, &log) {
            Ok(emulator) => return emulator,
            Err(failure) => failures.push(failure),
        }
    }
    panic!(
        "the DynamoDB emulator (moto) did not start: {}",
        failures.join("; ")
    );
}

/// Installs moto into `venv` unless it is there, under a file lock so test
/// binaries running at once install it once. Returns the venv's python.
fn ensure_installed(venv: &Path) -> PathBuf {
    let python = venv.join("bin").join("python");
    let server = venv.join("bin").join("moto_server");
    if server.exists() {
        return python;
    }
    fs::create_dir_all(venv).unwrap_or_else(|e| panic!("cannot create {}: {e}", venv.display()));
    let lock_path = venv.join(".install.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if !server.exists() {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "create the virtual environment (needs python3 with the venv module: apt-get install python3-venv)",
        );
        run(
            Command::new(venv.join("bin").join("pip"))
                .args(["install", "--disable-pip-version-check", "--quiet"])
                .arg(MOTO_REQUIREMENT),
            "install moto from PyPI",
        );
        assert!(
            server.exists(),
            "pip installed moto but {} is missing",
            server.display()
        );
    }
    drop(lock);
    python
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not {what}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "could not {what}: {command:?} exited with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn launch(python: &Path, log_path: &Path) -> Result<DynamoEmulator, String> {
    let port = free_port()?;
    let log =
        File::create(log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_too = log
        .try_clone()
        .map_err(|e| format!("cannot share {}: {e}", log_path.display()))?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(LIFELINE)
        .arg("moto-lifeline")
        .arg(python)
        .arg("-c")
        .arg(LAUNCHER)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_too)
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let stdin = child.stdin.take().ok_or("no pipe to the server")?;
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(DynamoEmulator {
                endpoint_url: format!("http://127.0.0.1:{port}"),
                log: log_path.to_path_buf(),
                _lifeline: Mutex::new((child, stdin)),
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "moto exited with {status} on port {port}; its log ({}):\n{}",
                log_path.display(),
                tail(log_path)
            ));
        }
        if started.elapsed() > READY_WAIT {
            // Dropping the pipe makes the lifeline stop the server.
            drop(stdin);
            let _ = child.wait();
            return Err(format!(
                "moto did not answer on port {port} within {READY_WAIT:?}; its log ({}):\n{}",
                log_path.display(),
                tail(log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

fn tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let start = text.len().saturating_sub(4_000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
