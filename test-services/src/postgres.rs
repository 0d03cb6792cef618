//! PostgreSQL for tests: a server found or started, and a database of this
//! test process's own on it.
//!
//! ```no_run
//! # async fn demo() {
//! let url = payments_test_services::postgres::test_database_url().await;
//! // connect to `url`, migrate, test
//! # }
//! ```
//!
//! [`test_database_url`] finds a server, in this order:
//!
//! 1. `DATABASE_URL`, when set: the server it names (the database in it is
//!    only used to connect; the user must be allowed to create databases).
//!    If that server does not answer the tests fail: it was asked for.
//! 2. The server on `127.0.0.1:5432` as user `postgres` with trust
//!    authentication, when one answers (the port can be changed with
//!    `PAYMENTS_TEST_PG_PORT`, which is also how to test the next step on a
//!    machine that has a server).
//! 3. A throwaway cluster made with the installed server binaries (`initdb`
//!    and `pg_ctl` on `PATH` or under `/usr/lib/postgresql/*/bin`, newest
//!    first) in `<workspace>/target/pg-test-cluster`, listening on a free
//!    loopback port with trust authentication, and without durability
//!    (`fsync=off`): it holds test data only. It is made once and left
//!    running for the next test binaries and runs; a file lock keeps test
//!    binaries that start together from making two. `initdb` refuses to run
//!    as root, so under root the server runs as the `postgres` OS user
//!    (which Debian's `postgresql` package creates) through `runuser`.
//!
//! When none of them works, the caller panics with what was tried and how
//! to fix it: tests fail, never skip.
//!
//! On that server each test process (each integration-test binary) creates
//! one database, named `payments_test_<unix seconds>_<pid>_<nanos>`, at its
//! first call; its tests share it and keep apart by using fresh ids and
//! organisations. Test databases older than a day are dropped when a new
//! one is made, so repeated runs do not fill the server.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};
use tokio::process::Command;
use tokio::sync::OnceCell;

/// The test process's database, made at the first call.
static DATABASE_URL: OnceCell<String> = OnceCell::const_new();

/// What test databases' names start with, so old ones can be found.
const DATABASE_PREFIX: &str = "payments_test_";

/// How old a test database must be before a later run drops it.
const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a server has to answer before it counts as absent.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The URL of a PostgreSQL database of this test process's own: created on
/// a server found or started as the [module docs](self) describe, at the
/// first call; later calls return the same URL. The database is empty:
/// the caller migrates it.
///
/// # Panics
/// When no server can be found or started, or the database cannot be
/// created; the message says what was tried and what to install or set.
pub async fn test_database_url() -> String {
    DATABASE_URL
        .get_or_init(|| async {
            let server = server_url().await;
            create_database(&server).await
        })
        .await
        .clone()
}

/// The URL of a server on which to create the database.
async fn server_url() -> String {
    if let Some(url) = variable("DATABASE_URL") {
        if let Err(problem) = answers(&url).await {
            // The URL is not printed: it may hold a password.
            panic!(
                "DATABASE_URL is set, but that PostgreSQL server does not answer: {problem}. \
                 Fix it, or unset it to let the tests find or start a server."
            );
        }
        return url;
    }

    let port = local_port();
    let local = server_at(port);
    let local_problem = match answers(&local).await {
        Ok(()) => return local,
        Err(problem) => problem,
    };

    match throwaway_cluster().await {
        Ok(url) => url,
        Err(cluster_problem) => panic!(
            "no PostgreSQL server for the tests.\n\
             - DATABASE_URL is not set;\n\
             - nothing answers on 127.0.0.1:{port} as user postgres: {local_problem};\n\
             - a throwaway cluster could not be started in {dir}: {cluster_problem}.\n\
             Install PostgreSQL (on Debian: apt-get install -y postgresql), or set \
             DATABASE_URL to a server where this user may create databases.",
            dir = cluster_root().display()
        ),
    }
}

/// The port of the local server to try: `PAYMENTS_TEST_PG_PORT` or 5432.
fn local_port() -> u16 {
    match variable("PAYMENTS_TEST_PG_PORT") {
        None => 5432,
        Some(text) => text.parse().unwrap_or_else(|_| {
            panic!("PAYMENTS_TEST_PG_PORT must be a port number, got {text:?}")
        }),
    }
}

/// A set, non-empty, UTF-8 environment variable.
fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The URL of the `postgres` database as user `postgres` on a loopback port.
fn server_at(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// Whether the server at `url` accepts a connection and runs a query.
async fn answers(url: &str) -> Result<(), String> {
    let attempt = async {
        let mut connection = PgConnection::connect(url).await?;
        connection.execute("SELECT 1").await?;
        connection.close().await
    };
    match tokio::time::timeout(ANSWER_TIMEOUT, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {ANSWER_TIMEOUT:?}")),
    }
}

/// Creates a uniquely named database on `server` and returns its URL.
async fn create_database(server: &str) -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let name = format!(
        "{DATABASE_PREFIX}{}_{}_{}",
        since_epoch.as_secs(),
        std::process::id(),
        since_epoch.subsec_nanos()
    );
    let mut admin = PgConnection::connect(server)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the test server: {error}"));
    drop_stale_databases(&mut admin, since_epoch).await;
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap_or_else(|error| {
            panic!(
                "cannot create the test database {name} (may this user create databases?): {error}"
            )
        });
    // Closing is a courtesy to the server; the database exists either way.
    let _ = admin.close().await;
    with_database(server, &name)
}

/// Drops test databases made more than [`STALE_AFTER`] ago. Best effort: a
/// database in use or already dropped by another process is left alone.
async fn drop_stale_databases(admin: &mut PgConnection, now: Duration) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
    )
    .bind(DATABASE_PREFIX)
    .fetch_all(&mut *admin)
    .await
    else {
        return;
    };
    for name in names {
        let created = name
            .strip_prefix(DATABASE_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|seconds| seconds.parse::<u64>().ok());
        if created
            .is_some_and(|seconds| now.as_secs().saturating_sub(seconds) > STALE_AFTER.as_secs())
        {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\"").as_str())
                .await;
        }
    }
}

/// `url` with its database replaced by `database`. Keeps the user, host,
/// port and query parameters, except a `dbname` parameter, which would
/// override the path.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.split_once('?').map_or("", |(_, query)| query);
    let query = query.split('#').next().unwrap_or_default();
    let parameters: Vec<&str> = query
        .split('&')
        .filter(|parameter| !parameter.is_empty() && !parameter.starts_with("dbname="))
        .collect();
    if parameters.is_empty() {
        format!("{scheme}://{authority}/{database}")
    } else {
        format!("{scheme}://{authority}/{database}?{}", parameters.join("&"))
    }
}

/// Where the throwaway cluster lives: `<workspace>/target/pg-test-cluster`.
fn cluster_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")))
        .join("target")
        .join("pg-test-cluster")
}

/// Starts the throwaway cluster, or finds it running, and returns the URL
/// of its server.
async fn throwaway_cluster() -> Result<String, String> {
    let root = cluster_root();
    std::fs::create_dir_all(&root).map_err(|error| format!("cannot create the folder: {error}"))?;
    let lock = hold_lock(root.join("lock")).await?;

    // Another test binary, or an earlier run, may have started it.
    let port_file = root.join("port");
    if let Some(port) = std::fs::read_to_string(&port_file)
        .ok()
        .and_then(|text| text.trim().parse::<u16>().ok())
    {
        if answers(&server_at(port)).await.is_ok() {
            return Ok(server_at(port));
        }
    }

    let cluster = Cluster::prepare(root).await?;
    // A server of this cluster that runs but did not answer on the recorded
    // port is of no use; stop it so the start below can take its place.
    cluster.stop().await;
    let port = free_port()?;
    // Test data only: no durability.
    cluster
        .start(
            port,
            "-c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        )
        .await?;
    std::fs::write(&port_file, port.to_string())
        .map_err(|error| format!("cannot record the port: {error}"))?;
    drop(lock);
    Ok(server_at(port))
}

/// A cluster of the installed server binaries, in a folder of its own.
struct Cluster {
    root: PathBuf,
    data: PathBuf,
    log: PathBuf,
    binaries: PathBuf,
    account: Option<ServerAccount>,
}

impl Cluster {
    /// The cluster in `root`, made (`initdb`) when it is not there yet.
    async fn prepare(root: PathBuf) -> Result<Self, String> {
        std::fs::create_dir_all(&root)
            .map_err(|error| format!("cannot create {}: {error}", root.display()))?;
        let binaries = server_binaries()?;
        let major = major_version(&binaries).await?;
        let account = server_account().await?;
        if let Some(account) = &account {
            std::os::unix::fs::chown(&root, Some(account.uid), Some(account.gid))
                .map_err(|error| format!("cannot hand the folder to the postgres user: {error}"))?;
        }
        let cluster = Self {
            data: root.join(format!("data-{major}")),
            log: root.join("server.log"),
            root,
            binaries,
            account,
        };
        if !cluster.data.join("PG_VERSION").exists() {
            // Left half made by an interrupted initdb, which refuses a
            // non-empty folder.
            if cluster.data.exists() {
                std::fs::remove_dir_all(&cluster.data)
                    .map_err(|error| format!("cannot remove a half-made cluster: {error}"))?;
            }
            cluster
                .run("initdb")
                .output(&[
                    "-D".as_ref(),
                    cluster.data.as_os_str(),
                    "--username=postgres".as_ref(),
                    "--auth=trust".as_ref(),
                    "--encoding=UTF8".as_ref(),
                    "--no-locale".as_ref(),
                    "--no-sync".as_ref(),
                ])
                .await?;
        }
        Ok(cluster)
    }

    /// One of the server's programs, run as its account in its folder.
    fn run(&self, program: &str) -> ServerCommand {
        ServerCommand {
            program: self.binaries.join(program),
            account: self.account.as_ref().map(|account| account.name.clone()),
            directory: self.root.clone(),
        }
    }

    /// Starts the server on loopback `port` with trust authentication and
    /// no Unix socket, with `settings` besides, and waits until it answers.
    async fn start(&self, port: u16, settings: &str) -> Result<(), String> {
        let settings = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' {settings}"
        );
        let started = self
            .run("pg_ctl")
            .output(&[
                "start".as_ref(),
                "-D".as_ref(),
                self.data.as_os_str(),
                "-l".as_ref(),
                self.log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "-o".as_ref(),
                settings.as_ref(),
            ])
            .await;
        if let Err(problem) = started {
            return Err(format!("{problem}\nserver log:\n{}", log_tail(&self.log)));
        }
        answers(&server_at(port))
            .await
            .map_err(|problem| format!("the cluster started but does not answer: {problem}"))
    }

    /// Stops the server when it runs (fast: open sessions are ended).
    async fn stop(&self) {
        if self
            .run("pg_ctl")
            .output(&["status".as_ref(), "-D".as_ref(), self.data.as_os_str()])
            .await
            .is_ok()
        {
            let _ = self
                .run("pg_ctl")
                .output(&[
                    "stop".as_ref(),
                    "-D".as_ref(),
                    self.data.as_os_str(),
                    "-m".as_ref(),
                    "fast".as_ref(),
                ])
                .await;
        }
    }
}

/// A PostgreSQL database for `make dev`: on the server `wanted` names when
/// it answers, else on a cluster started for the purpose in
/// `<workspace>/target/pg-dev-cluster` (kept between runs, so its data is
/// too), which [`DevDatabase::stop`] stops again. The database `wanted`
/// names is created when missing.
pub struct DevDatabase {
    /// The database's URL.
    pub url: String,
    cluster: Option<Cluster>,
}

impl DevDatabase {
    /// Finds or starts the server and makes the database.
    ///
    /// # Errors
    /// What went wrong, when neither the server answers nor a cluster
    /// starts, or the database cannot be created.
    pub async fn open(wanted: &str) -> Result<Self, String> {
        let database = database_of(wanted);
        let named = with_database(wanted, "postgres");
        let (server, cluster) = if answers(&named).await.is_ok() {
            (named, None)
        } else {
            let cluster = Cluster::prepare(dev_cluster_root()).await?;
            cluster.stop().await;
            let port = free_port()?;
            cluster.start(port, "").await?;
            (server_at(port), Some(cluster))
        };
        let mut admin = PgConnection::connect(&server)
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&database)
                .fetch_one(&mut admin)
                .await
                .map_err(|error| format!("cannot look for the database: {error}"))?;
        if !exists {
            admin
                .execute(format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\"")).as_str())
                .await
                .map_err(|error| format!("cannot create the database {database}: {error}"))?;
        }
        let _ = admin.close().await;
        Ok(Self {
            url: with_database(&server, &database),
            cluster,
        })
    }

    /// Where the cluster [`open`](Self::open) started lives, if it started
    /// one.
    pub fn started(&self) -> Option<&Path> {
        self.cluster.as_ref().map(|cluster| cluster.root.as_path())
    }

    /// Stops the cluster, if [`open`](Self::open) started one.
    pub async fn stop(self) {
        if let Some(cluster) = self.cluster {
            cluster.stop().await;
        }
    }
}

/// The database a URL names (`payments` in `.../payments?sslmode=...`),
/// `payments` when it names none.
fn database_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split_once('/')
        .map(|(_, path)| path.split(['?', '#']).next().unwrap_or_default())
        .filter(|name| !name.is_empty())
        .unwrap_or("payments")
        .to_owned()
}

/// Where `make dev` keeps its cluster: `<workspace>/target/pg-dev-cluster`.
fn dev_cluster_root() -> PathBuf {
    cluster_root().with_file_name("pg-dev-cluster")
}

/// Takes the cluster's file lock, waiting for another test binary that holds
/// it. Released when the returned file is dropped (or the process ends).
async fn hold_lock(path: PathBuf) -> Result<std::fs::File, String> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|error| format!("the lock task failed: {error}"))?
    .map_err(|error: std::io::Error| format!("cannot lock the cluster: {error}"))
}

/// The folder holding `initdb` and `pg_ctl`: the first on `PATH`, else the
/// newest under `/usr/lib/postgresql/*/bin` (Debian's layout).
fn server_binaries() -> Result<PathBuf, String> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(dir) = on_path.into_iter().find(|dir| has_both(dir)) {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, dir)| dir)
        .ok_or_else(|| "no initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin".to_owned())
}

/// The server's major version (`15` from `pg_ctl (PostgreSQL) 15.20`), so
/// clusters of different versions live in different folders.
async fn major_version(binaries: &Path) -> Result<String, String> {
    let output = Command::new(binaries.join("pg_ctl"))
        .arg("--version")
        .output()
        .await
        .map_err(|error| format!("cannot run pg_ctl: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let major: String = text
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if major.is_empty() {
        Err(format!("cannot read the version from {text:?}"))
    } else {
        Ok(major)
    }
}

/// The OS account the server runs as, when it cannot be this process's.
struct ServerAccount {
    name: String,
    uid: u32,
    gid: u32,
}

/// `None` to run the server as this process's user; under root (which
/// initdb refuses) the `postgres` account.
async fn server_account() -> Result<Option<ServerAccount>, String> {
    if id(&["-u"]).await? != 0 {
        return Ok(None);
    }
    let missing = |_| {
        "this process runs as root, which initdb refuses, and there is no `postgres` OS \
         user to run the server as (create one, or run the tests as another user)"
            .to_owned()
    };
    let uid = id(&["-u", "postgres"]).await.map_err(missing)?;
    let gid = id(&["-g", "postgres"]).await.map_err(missing)?;
    Ok(Some(ServerAccount {
        name: "postgres".to_owned(),
        uid,
        gid,
    }))
}

/// A number printed by `id`.
async fn id(arguments: &[&str]) -> Result<u32, String> {
    let output = Command::new("id")
        .args(arguments)
        .output()
        .await
        .map_err(|error| format!("cannot run id: {error}"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| format!("id {} failed", arguments.join(" ")))
}

/// A server program, run as the server's account.
struct ServerCommand {
    program: PathBuf,
    account: Option<String>,
    directory: PathBuf,
}

impl ServerCommand {
    /// Runs the program to its end; `Err` with its output when it fails.
    async fn output(&self, arguments: &[&std::ffi::OsStr]) -> Result<(), String> {
        let mut command = match &self.account {
            Some(account) => {
                let mut command = Command::new("runuser");
                command.args(["-u", account, "--"]).arg(&self.program);
                command
            }
            None => Command::new(&self.program),
        };
        // The working folder must be one the server's account may enter;
        // stdin is closed so nothing waits for a terminal. pg_ctl start
        // sends the server's output to the log file, so the pipes close
        // when pg_ctl returns.
        let output = command
            .args(arguments)
            .current_dir(&self.directory)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|error| format!("cannot run {}: {error}", self.program.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}): {}{}",
                self.program.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("cannot find a free port: {error}"))
}

/// The last lines of the server's log, to explain a failed start.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_its_path() {
        assert_eq!(
            database_of("postgres://postgres@127.0.0.1:5432/payments"),
            "payments"
        );
        assert_eq!(database_of("postgres://app@db/dev?sslmode=require"), "dev");
        assert_eq!(database_of("postgres://app@db:5432"), "payments");
        assert_eq!(database_of("postgres://app@db/"), "payments");
    }

    #[test]
    fn the_database_is_replaced_and_everything_else_kept() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/fresh",
                "a plain URL",
            ),
            (
                "postgresql://app:pw@db.internal/app?sslmode=require",
                "postgresql://app:pw@db.internal/fresh?sslmode=require",
                "query parameters",
            ),
            (
                "postgres://app@db:5432",
                "postgres://app@db:5432/fresh",
                "no database at all",
            ),
            (
                "postgres://app@db/app?dbname=other&sslmode=disable",
                "postgres://app@db/fresh?sslmode=disable",
                "a dbname parameter would override the path",
            ),
            (
                "postgres:///app?host=/var/run/postgresql",
                "postgres:///fresh?host=/var/run/postgresql",
                "a Unix socket",
            ),
        ];
        for (url, expected, reason) in cases {
            assert_eq!(with_database(url, "fresh"), expected, "{reason}");
        }
    }

    #[test]
    fn the_throwaway_cluster_lives_in_the_workspace_target_folder() {
        let root = cluster_root();

        assert!(
            root.ends_with("target/pg-test-cluster"),
            "{}",
            root.display()
        );
        assert!(root.parent().is_some_and(|target| target
            .parent()
            .is_some_and(|workspace| workspace.join("Cargo.lock").exists())));
    }
}
