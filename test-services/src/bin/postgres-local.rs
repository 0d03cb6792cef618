//! A PostgreSQL database for `make dev STORE=postgres`:
//! `postgres-local [DATABASE_URL]` (default
//! `postgres://postgres@127.0.0.1:5432/payments`). When that server
//! answers, its database is created if missing; when nothing answers, a
//! cluster is started with the installed server binaries (`initdb`,
//! `pg_ctl`) in `target/pg-dev-cluster`, on a free loopback port. Prints
//! the database's URL as the first line on stdout, then waits: on Ctrl-C
//! or SIGTERM it stops the cluster it started. (Killed otherwise, it
//! leaves the cluster running; the next start stops it first.)

use std::process::ExitCode;

use payments_test_services::postgres::DevDatabase;
use tokio::signal::unix::{signal, SignalKind};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/payments";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let wanted = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let database = match DevDatabase::open(&wanted).await {
        Ok(database) => database,
        Err(problem) => {
            eprintln!("no PostgreSQL for make dev: {problem}");
            eprintln!("Install PostgreSQL (on Debian: apt-get install -y postgresql), or set DATABASE_URL.");
            return ExitCode::FAILURE;
        }
    };
    match database.started() {
        Some(folder) => eprintln!(
            "nothing answered at {wanted}: started a PostgreSQL cluster in {} (stopped on Ctrl-C)",
            folder.display()
        ),
        None => eprintln!("PostgreSQL answers at {wanted}"),
    }
    println!("{}", database.url);

    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        eprintln!("cannot wait for signals: stopping now");
        database.stop().await;
        return ExitCode::FAILURE;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    if database.started().is_some() {
        eprintln!("stopping the PostgreSQL cluster");
    }
    database.stop().await;
    ExitCode::SUCCESS
}
