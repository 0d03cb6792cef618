//! Runs DynamoDB Local in the foreground, installed as the tests install
//! it, for `make dev STORE=dynamodb`: `dynamodb-local [PORT]` (default
//! 8000). It keeps its tables in memory and stops with the process
//! (Ctrl-C): it replaces itself with the Java process.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitCode};

use payments_test_services::dynamodb::Installed;

fn main() -> ExitCode {
    let port = match std::env::args().nth(1).as_deref().map(str::parse::<u16>) {
        None => 8_000,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: dynamodb-local [PORT]");
            return ExitCode::from(2);
        }
    };
    let installed = Installed::find_or_install();
    eprintln!("DynamoDB Local (in memory) on http://127.0.0.1:{port}");
    // Become the server, so whoever started this stops the server itself.
    let error = Command::new(&installed.java)
        .args(installed.arguments(port))
        .current_dir(&installed.home)
        .exec();
    eprintln!("cannot run {}: {error}", installed.java.display());
    ExitCode::FAILURE
}
