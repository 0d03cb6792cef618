//! Wiring shared by the `payments` and `payments-lambda` programs: which
//! store to open, which API keys to accept, and how long idempotency keys
//! last. Only this package picks adapters; the libraries never do.

pub mod currency;
pub mod idempotency;
pub mod keys;
pub mod store;
pub mod usage_plan;
