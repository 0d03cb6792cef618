//! The payment repository on PostgreSQL: [`PostgresRepository`] implements
//! the [`PaymentRepository`](payments_ports::PaymentRepository) port with
//! sqlx, and passes the shared storage contract against a real server.
//!
//! ```no_run
//! use std::sync::Arc;
//! use adapter_postgres::{PostgresConfig, PostgresRepository};
//! use payments_ports::PaymentService;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = PostgresConfig::from_env()?; // DATABASE_URL, pool size, acquire timeout
//! let repository = PostgresRepository::connect(&config)?; // lazy: the database may be down
//! repository.migrate().await?; // creates or upgrades the schema; safe to repeat
//! let service = PaymentService::with_system_clock(Arc::new(repository));
//! # let _ = service;
//! # Ok(())
//! # }
//! ```
//!
//! # Configuration
//!
//! [`PostgresConfig::from_env`] reads:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `DATABASE_URL` | `postgres://user:password@host:5432/database`, with libpq parameters such as `?sslmode=require` | required |
//! | `PAYMENTS_PG_POOL_SIZE` | the most connections open at once | 10 |
//! | `PAYMENTS_PG_ACQUIRE_TIMEOUT_MS` | how long a call waits for a connection before failing as unavailable (503) | 3000 |
//!
//! The pool connects lazily and checks each connection before use, so a
//! server starts while the database is still down, and recovers by itself
//! when the database comes back or drops its connections (a restart, a
//! failover, `pg_terminate_backend`): calls during the outage fail as
//! [`RepositoryError::Unavailable`](payments_ports::RepositoryError), the
//! ones after it succeed. The fault test `tests/connection_loss.rs` holds
//! that to a 5 second bound.
//!
//! # Schema
//!
//! `migrations/`, embedded in the binary and applied by
//! [`PostgresRepository::migrate`]:
//!
//! - `payments`: one row per payment ever created. `id` is the primary key
//!   and, because a delete only sets `deleted_on` and leaves the row as a
//!   tombstone, the key refuses a deleted payment's id too: ids are never
//!   reused. `organisation_id`, `version`, `created_on` and `deleted_on`
//!   are columns because every query filters or orders on them;
//!   `modified_on` because it is what changed last. `amount` (`NUMERIC`,
//!   which keeps the written scale) and `currency` project the attributes
//!   for queries and reports, and a `CHECK` keeps them equal to the
//!   attributes. `attributes` is `JSONB` in the domain's serde form (the
//!   Form3 attribute JSON, every decimal a string), so everything a client
//!   wrote comes back exactly.
//! - `payments_live_by_organisation`: an index on `(organisation_id,
//!   created_on, id)` of live payments only. A page is a range scan of it
//!   from the cursor, `LIMIT size + 1` entries long (the extra row says
//!   whether there is a next page), so it costs O(page) however many
//!   payments are stored; newest first scans it backwards.
//! - `payment_events`: every change with the payment as it was right
//!   after, keyed by `(payment_id, version)`, so no version is recorded
//!   twice; events outlive the payment's deletion.
//! - `idempotency_keys`: keyed by `(organisation_id, key)`, with the
//!   request's fingerprint and the payment as first created (what a retry
//!   gets back, even after later updates).
//!
//! # Atomicity
//!
//! Every rule of the storage contract is enforced by the database, never by
//! reading first and writing after:
//!
//! - a create inserts the payment and its event in one statement (a
//!   data-modifying `WITH`), which PostgreSQL runs atomically; a taken id
//!   fails on the primary key (SQLSTATE 23505) and becomes
//!   [`AlreadyExists`](payments_ports::RepositoryError::AlreadyExists), so
//!   of concurrent creates of one id exactly one wins;
//! - an idempotent create is one transaction: it claims the key with
//!   `INSERT ... ON CONFLICT DO NOTHING` (a concurrent claim waits for the
//!   first to commit or roll back), then inserts payment and event; when the
//!   key was taken it compares the stored fingerprint instead; when the id
//!   is taken the whole transaction rolls back, so the key stays free;
//! - update and delete are one statement each: an `UPDATE ... WHERE id AND
//!   organisation_id AND version = expected AND deleted_on IS NULL` with the
//!   event's insert chained to the row it returns, so of concurrent writers
//!   expecting one version the row lock lets exactly one match. When nothing
//!   matches, a read of the stored version tells `NotFound` from
//!   `VersionConflict`.
//!
//! # Errors
//!
//! sqlx errors become port errors at the boundary, the sqlx error kept as
//! the source for logs: pool timeouts and closure, I/O, TLS and protocol
//! failures, connection exceptions (SQLSTATE class 08), administrator or
//! crash shutdown (57P01–57P03), too many connections (53300),
//! serialization failures and deadlocks (40001, 40P01) are `Unavailable`;
//! values that do not decode, or rows that break the domain's rules, are
//! `Corrupt` (the message names the payment and the column, never a value);
//! everything else is `Unexpected`.
//!
//! A create that fails as `Unavailable` may still have committed (the
//! connection can drop between the commit and its answer): clients retry
//! with an idempotency key to be told which.

mod config;
mod driver_errors;
mod repository;
mod rows;

pub use config::{ConfigError, PostgresConfig};
pub use repository::PostgresRepository;
