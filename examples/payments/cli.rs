//! Command line and environment: every option has an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use payments_examples::store::StoreKind;

/// Record and manage payments.
#[derive(Debug, Parser)]
#[command(name = "payments", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the payments API over HTTP/1.1 and HTTP/2.
    Serve(ServeArgs),
    /// Load a Form3 payment list into the store and report what happened.
    Seed(SeedArgs),
    /// Prepare the store (create tables); safe to run twice.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PAYMENTS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// A Form3 payment list (`{"data": [...]}`) to load before serving.
    #[arg(long, env = "PAYMENTS_SEED")]
    pub seed: Option<PathBuf>,
    /// Prepare the store before serving.
    #[arg(long, env = "PAYMENTS_MIGRATE")]
    pub migrate: bool,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The Form3 payment list to load.
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Where payments are kept.
    #[arg(long = "store", env = "PAYMENTS_STORE", value_enum, default_value_t = StoreKind::Memory)]
    pub store: StoreKind,
}
