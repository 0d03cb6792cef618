//! Wiring shared by the `payments` and `payments-lambda` programs: which
//! store to open, which API keys to accept, and how long idempotency keys
//! last. Only this package picks adapters; the libraries never do.

pub mod currency;
pub mod idempotency;
pub mod keys;
pub mod metrics;
pub mod store;
pub mod traces;
pub mod usage_plan;

/// The transport's cap on request bodies for `payments serve` (and the
/// benchmark's replay of it). The API answers bodies over its own 64 KiB
/// limit with a problem+json 413; the transport's limit is a backstop that
/// caps what any service behind it could be made to read.
pub const TRANSPORT_BODY_LIMIT: usize = 2 * http_api::BODY_LIMIT;
