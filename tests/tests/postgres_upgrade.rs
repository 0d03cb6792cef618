//! Upgrading a PostgreSQL store: rows written by release 1 (its schema, its
//! attribute JSON, its idempotency keys with a copy of the payment) read
//! back exactly through this release's API after this release's migrate.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use payments_tests::http_table::{self, ORGANISATION_A};
use payments_tests::upgrade::{self, LegacyPayment, LegacyRecord};
use sqlx::migrate::Migrator;
use sqlx::{Executor, PgPool};

/// The first migration's version: the schema release 1 shipped.
const RELEASE_1_SCHEMA: i64 = 20_240_801_000_000;

/// Applies the schema as release 1 left it, and nothing newer.
async fn migrate_as_release_1(pool: &PgPool) {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../adapter-postgres/migrations");
    let mut release_1 = Migrator::new(directory).await.unwrap();
    // The migrations are sqlx's own type; keeping the first of them is the
    // only way to stop at a version. (A test-only use of a field sqlx
    // exempts from semver: a sqlx upgrade that breaks it fails here.)
    release_1.migrations = Cow::Owned(
        release_1
            .migrations
            .iter()
            .filter(|migration| migration.version <= RELEASE_1_SCHEMA)
            .cloned()
            .collect(),
    );
    release_1.run(pool).await.unwrap();
}

/// Writes the legacy payments exactly as release 1's statements did.
async fn write_as_release_1(pool: &PgPool) {
    let payment = LegacyPayment::ID;
    let last = LegacyPayment::VERSIONS - 1;
    let mut statements = vec![format!(
        "INSERT INTO payments (id, organisation_id, version, created_on, modified_on, amount, currency, attributes)
         VALUES ('{payment}', '{ORGANISATION_A}', {last}, '{}', '{}', 150.50, 'HRK', '{}')",
        LegacyPayment::written_on(0),
        LegacyPayment::written_on(last),
        LegacyPayment::attributes(last)
    )];
    for version in 0..LegacyPayment::VERSIONS {
        let kind = if version == 0 { "created" } else { "updated" };
        statements.push(format!(
            "INSERT INTO payment_events (payment_id, version, kind, occurred_on, organisation_id, created_on, modified_on, attributes)
             VALUES ('{payment}', {version}, '{kind}', '{at}', '{ORGANISATION_A}', '{created}', '{at}', '{attributes}')",
            at = LegacyPayment::written_on(version),
            created = LegacyPayment::written_on(0),
            attributes = LegacyPayment::attributes(version),
        ));
    }
    let record = LegacyRecord::ID;
    let attributes = LegacyRecord::attributes();
    statements.extend([
        format!(
            "INSERT INTO idempotency_keys (organisation_id, key, fingerprint, payment_id, version, created_on, modified_on, attributes)
             VALUES ('{ORGANISATION_A}', '{}', '{}', '{record}', 0, now() - interval '1 hour', now() - interval '1 hour', '{attributes}')",
            LegacyRecord::KEY,
            LegacyRecord::fingerprint(),
        ),
        format!(
            "INSERT INTO payments (id, organisation_id, version, created_on, modified_on, amount, currency, attributes)
             VALUES ('{record}', '{ORGANISATION_A}', 0, now() - interval '1 hour', now() - interval '1 hour', 25.00, 'HRK', '{attributes}')"
        ),
        format!(
            "INSERT INTO payment_events (payment_id, version, kind, occurred_on, organisation_id, created_on, modified_on, attributes)
             VALUES ('{record}', 0, 'created', now() - interval '1 hour', '{ORGANISATION_A}', now() - interval '1 hour', now() - interval '1 hour', '{attributes}')"
        ),
    ]);
    let mut transaction = pool.begin().await.unwrap();
    for statement in statements {
        transaction.execute(statement.as_str()).await.unwrap();
    }
    transaction.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_by_release_1_read_back_exactly_after_migrate() {
    // This test process's own database: empty until this test fills it.
    let url = payments_tests::postgres::test_database_url().await;
    let repository = PostgresRepository::connect(&PostgresConfig {
        acquire_timeout: Duration::from_secs(10),
        ..PostgresConfig::new(url)
    })
    .unwrap();
    migrate_as_release_1(repository.pool()).await;
    write_as_release_1(repository.pool()).await;

    repository.migrate().await.unwrap();

    let app = http_table::app(Arc::new(repository));
    upgrade::reads_back_exactly(&app).await;
}
