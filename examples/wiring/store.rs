//! Choosing and preparing the store: the one place adapters are picked.
//! Each store reads its own settings from the environment.

use std::fmt;
use std::sync::Arc;

use adapter_dynamodb::{DynamoConfig, DynamoRepository};
use adapter_memory::MemoryRepository;
use adapter_postgres::{PostgresConfig, PostgresRepository};
use anyhow::Context as _;
use payments_ports::{MeteredRepository, PaymentRepository};

/// Where payments are kept (`PAYMENTS_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// In process memory: nothing survives a restart.
    Memory,
    /// PostgreSQL at `DATABASE_URL` (see `adapter-postgres`).
    Postgres,
    /// DynamoDB table `PAYMENTS_DYNAMODB_TABLE` (see `adapter-dynamodb`).
    Dynamodb,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::Memory => "memory",
            StoreKind::Postgres => "postgres",
            StoreKind::Dynamodb => "dynamodb",
        })
    }
}

/// Opens the store, with its calls measured ([`MeteredRepository`]) and,
/// for PostgreSQL, its pool's connections in a gauge.
///
/// # Errors
/// When its configuration is invalid or it cannot be reached at all.
pub async fn open(kind: StoreKind) -> anyhow::Result<Arc<dyn PaymentRepository>> {
    Ok(match kind {
        StoreKind::Memory => Arc::new(MeteredRepository::new(MemoryRepository::new(), "memory")),
        StoreKind::Postgres => {
            let repository = postgres()?;
            watch_pool(repository.pool().clone());
            Arc::new(MeteredRepository::new(repository, "postgres"))
        }
        StoreKind::Dynamodb => Arc::new(MeteredRepository::new(dynamodb().await, "dynamodb")),
    })
}

/// The PostgreSQL pool's connections by state (`in_use`, `idle`) and its
/// ceiling, read every second. (sqlx does not say how many callers wait
/// for a connection; a pool in use up to its ceiling is the sign.)
fn watch_pool(pool: sqlx::PgPool) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            let (size, idle) = (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            );
            let gauge = |state: &'static str, value: u32| {
                metrics::gauge!(POOL_CONNECTIONS, "state" => state).set(f64::from(value));
            };
            gauge("in_use", size.saturating_sub(idle));
            gauge("idle", idle);
            gauge("max", pool.options().get_max_connections());
        }
    });
}

/// The PostgreSQL pool gauge.
pub const POOL_CONNECTIONS: &str = "payments_db_pool_connections";

/// The DynamoDB store from the environment; the SDK client is built here,
/// once per process. Credentials come from the standard AWS chain.
async fn dynamodb() -> DynamoRepository {
    let config = DynamoConfig::from_env();
    tracing::info!(
        table = %config.table_name,
        region = %config.region,
        endpoint = config.endpoint_url.as_deref().unwrap_or("AWS"),
        "using DynamoDB"
    );
    DynamoRepository::connect(&config).await
}

/// The PostgreSQL store from the environment. Connecting is lazy: the
/// server starts even while the database is down, and answers 503 until it
/// is back.
fn postgres() -> anyhow::Result<PostgresRepository> {
    let config = PostgresConfig::from_env().context("PostgreSQL configuration")?;
    tracing::info!(database = %config.redacted_url(), "using PostgreSQL");
    PostgresRepository::connect(&config).context("PostgreSQL configuration")
}

/// Prepares the store (creates its tables); safe to run twice.
///
/// # Errors
/// When the store cannot be reached or refuses the change.
pub async fn migrate(kind: StoreKind) -> anyhow::Result<()> {
    match kind {
        StoreKind::Memory => {
            tracing::info!("the memory store needs no migration");
        }
        StoreKind::Postgres => {
            postgres()?
                .migrate()
                .await
                .context("applying the PostgreSQL migrations")?;
            tracing::info!("PostgreSQL schema is up to date");
        }
        StoreKind::Dynamodb => {
            let store = dynamodb().await;
            let setup = store
                .migrate()
                .await
                .context("creating the DynamoDB table")?;
            for setting in setup.skipped {
                tracing::warn!(
                    table = store.table_name(),
                    %setting,
                    "the DynamoDB endpoint does not implement this table setting; left out (allowed only for a custom endpoint)"
                );
            }
            tracing::info!(table = store.table_name(), "DynamoDB table is active");
        }
    }
    Ok(())
}
