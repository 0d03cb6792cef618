//! `payments`: run the payments API, load payments, prepare a store.
//!
//! ```text
//! payments serve [--listen 127.0.0.1:8080] [--store memory] [--seed FILE] [--migrate]
//! payments seed FILE [--store ...]
//! payments migrate [--store ...]
//! ```
//!
//! Logs are JSON lines on stdout; human-facing notices (the generated API
//! key) go to stderr.

mod cli;
mod seed;

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser as _;
use http_api::{router, ApiState};
use payments_examples::{currency, idempotency, keys, store};
use payments_ports::PaymentService;

use crate::cli::{Cli, Command, ServeArgs};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Seed(args) => {
            let repository = store::open(args.store.store).await?;
            let service = PaymentService::with_system_clock(repository)
                .with_key_retention(idempotency::retention_from_env()?);
            let report = seed::load_file(&service, &args.file).await?;
            println!("{report}");
            Ok(())
        }
        Command::Migrate(args) => store::migrate(args.store.store).await,
    }
}

/// JSON lines on stdout, filtered by `PAYMENTS_LOG` (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYMENTS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .init();
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.migrate {
        store::migrate(args.store.store).await?;
    }
    let repository = store::open(args.store.store).await?;
    let service = PaymentService::with_system_clock(repository)
        .with_key_retention(idempotency::retention_from_env()?);
    let aliases = currency::aliases_from_env()?;
    let keys = keys::from_env()?;
    if let Some(file) = &args.seed {
        let report = seed::load_file(&service, file).await?;
        tracing::info!(
            created = report.created,
            present = report.present,
            rejected = report.rejected.len(),
            "seeded"
        );
    }

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address: SocketAddr = listener.local_addr()?;
    tracing::info!(%address, store = %args.store.store, "listening");

    // Expired idempotency keys already count as new; this returns their
    // space (DynamoDB deletes them by itself, so there it does nothing).
    idempotency::spawn_purge(service.clone());
    let state = ApiState::new(service, keys).with_currency_aliases(aliases);
    let app = router(state);
    let config = http_hyper::ServeConfig {
        // The API answers bodies over its own 64 KiB limit with a
        // problem+json 413; the transport's limit is a backstop that caps
        // what any service behind it could be made to read.
        request_body_limit: 2 * http_api::BODY_LIMIT,
        ..http_hyper::ServeConfig::default()
    };
    http_hyper::serve(app, listener, http_hyper::shutdown_signal(), &config).await?;
    tracing::info!("stopped");
    Ok(())
}
