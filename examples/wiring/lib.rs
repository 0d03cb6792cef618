//! Wiring shared by the `payments` and `payments-lambda` programs: which
//! store to open, and which API keys to accept. Only this package picks
//! adapters; the libraries never do.

pub mod keys;
pub mod store;
