//! Choosing and preparing the store: the one place adapters are picked.
//! Each store reads its own settings from the environment.

use std::fmt;
use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_ports::PaymentRepository;

/// Where payments are kept (`PAYMENTS_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// In process memory: nothing survives a restart.
    Memory,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::Memory => "memory",
        })
    }
}

/// Opens the store.
///
/// # Errors
/// When its configuration is invalid or it cannot be reached at all.
#[allow(clippy::unused_async)] // the database stores connect asynchronously
pub async fn open(kind: StoreKind) -> anyhow::Result<Arc<dyn PaymentRepository>> {
    match kind {
        StoreKind::Memory => Ok(Arc::new(MemoryRepository::new())),
    }
}

/// Prepares the store (creates its tables); safe to run twice.
///
/// # Errors
/// When the store cannot be reached or refuses the change.
#[allow(clippy::unused_async)] // the database stores migrate asynchronously
pub async fn migrate(kind: StoreKind) -> anyhow::Result<()> {
    match kind {
        StoreKind::Memory => {
            tracing::info!("the memory store needs no migration");
            Ok(())
        }
    }
}
