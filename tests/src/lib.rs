//! Cross-crate test suites, and the services they share. The suites live in
//! `tests/tests/`; this library holds what adapters' and front ends' tests
//! need to reach real backends:
//!
//! - [`postgres`]: a PostgreSQL server found or started, and a fresh
//!   database per test run;
//! - [`dynamodb`]: the moto DynamoDB emulator installed into the project's
//!   `.venv` and started on a free loopback port;
//! - [`http_table`]: the table of HTTP requests and expected responses that
//!   every front end and every store must answer the same way;
//! - [`log_capture`]: log output kept in memory;
//! - [`upgrade`]: data as the previous release stored it, and the reads
//!   through this release's API that must return it exactly.

pub mod dynamodb;
pub mod http_table;
pub mod log_capture;
pub mod postgres;
pub mod upgrade;
