//! Cross-crate test suites, and what front ends' tests share. The suites
//! live in `tests/tests/`; this library holds:
//!
//! - [`http_table`]: the table of HTTP requests and expected responses that
//!   every front end and every store must answer the same way;
//! - [`client_suite`]: what `payments-client` must do against any
//!   deployment of the API (serve over TCP, the Lambda function);
//! - [`concurrency`]: many writers racing through the API on one payment
//!   and one idempotency key, with exactly one winner;
//! - [`lambda_events`]: requests fed to the Lambda function as the event
//!   JSON API Gateway and ALB send, and its answers read back;
//! - [`upgrade`]: data as the previous release stored it, and the reads
//!   through this release's API that must return it exactly;
//! - the real services of `payments-test-services` ([`postgres`],
//!   [`dynamodb`], [`secrets_manager`], [`stand_in`], [`log_capture`]),
//!   re-exported for the suites here and the front ends' tests. Adapters'
//!   tests use that crate directly, without the HTTP API.

pub mod client_suite;
pub mod concurrency;
pub mod http_table;
pub mod lambda_events;
pub mod upgrade;

pub use payments_test_services::{dynamodb, log_capture, postgres, secrets_manager, stand_in};
