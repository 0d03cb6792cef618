//! The shared storage contract, on the in-memory store.

use std::future::{ready, Ready};
use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_ports::PaymentRepository;

/// A new, empty store for each test (the macro awaits a future).
fn fresh_repository() -> Ready<Arc<dyn PaymentRepository>> {
    ready(Arc::new(MemoryRepository::new()))
}

// Memory is fast: many more random sequences than the databases run.
payments_ports::storage_contract_tests!(fresh_repository(), cases = 1_000);
