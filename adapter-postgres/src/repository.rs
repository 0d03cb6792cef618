//! [`PostgresRepository`]: the [`PaymentRepository`] port on PostgreSQL.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Version};
use payments_ports::{
    IdempotentOutcome, ListOrder, Page, PageRequest, PaymentRepository, RepositoryError,
    RequestFingerprint,
};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{PgExecutor, PgPool, Postgres};

use crate::config::{ConfigError, PostgresConfig};
use crate::driver_errors::{is_unique_violation, repository_error};
use crate::rows::{attributes_to_json, stored_version, version_number, EventRow, PaymentRow};

/// The schema, from `migrations/`, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!();

/// The columns [`PaymentRow`] reads.
const PAYMENT_COLUMNS: &str = "id, organisation_id, version, created_on, modified_on, attributes";

/// A payment and its creation event, in one statement: PostgreSQL runs a
/// statement atomically, so there is never one without the other, and the
/// primary key (not a read before the write) refuses a taken id, also one
/// whose payment was deleted.
const CREATE: &str = "
    WITH payment AS (
        INSERT INTO payments
            (id, organisation_id, version, created_on, modified_on, amount, currency, attributes)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
    )
    INSERT INTO payment_events
        (payment_id, version, kind, occurred_on, organisation_id, created_on, modified_on, attributes)
    SELECT id, $3, $9, $10, $2, $4, $5, $8 FROM payment";

/// The constraint that makes a duplicate id a conflict.
const PAYMENTS_PRIMARY_KEY: &str = "payments_pkey";

/// An update or a delete and its event, in one statement. The version check
/// is in the `WHERE` clause, so of concurrent writers expecting one version
/// the row lock lets exactly one match; the others match nothing and insert
/// no event. `$12` is the deletion instant, or NULL for an update.
const CHANGE: &str = "
    WITH changed AS (
        UPDATE payments
        SET version = $3, modified_on = $5, amount = $6, currency = $7, attributes = $8,
            deleted_on = $12
        WHERE id = $1 AND organisation_id = $2 AND version = $11 AND deleted_on IS NULL
        RETURNING id
    )
    INSERT INTO payment_events
        (payment_id, version, kind, occurred_on, organisation_id, created_on, modified_on, attributes)
    SELECT id, $3, $9, $10, $2, $4, $5, $8 FROM changed";

/// Why a change matched no row: the stored state of the payment.
const STORED_VERSION: &str = "
    SELECT version, deleted_on IS NOT NULL AS deleted
    FROM payments WHERE id = $1 AND organisation_id = $2";

/// Claims an idempotency key, or finds it taken (then waiting, under
/// READ COMMITTED, for a concurrent claim to commit or roll back).
const CLAIM_KEY: &str = "
    INSERT INTO idempotency_keys
        (organisation_id, key, fingerprint, payment_id, version, created_on, modified_on, attributes)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (organisation_id, key) DO NOTHING";

/// The request fingerprint and first payment stored with a key.
const STORED_KEY: &str = "
    SELECT fingerprint, payment_id AS id, organisation_id, version, created_on, modified_on,
           attributes
    FROM idempotency_keys WHERE organisation_id = $1 AND key = $2";

/// Binds `$1` to `$10`, the parameters [`CREATE`] and [`CHANGE`] share: the
/// payment's columns, then the event's kind and instant. Kept in one place
/// so the order cannot drift between the two statements.
fn bind_change<'q>(
    query: Query<'q, Postgres, PgArguments>,
    event: &'q PaymentEvent,
    attributes: &'q serde_json::Value,
) -> Result<Query<'q, Postgres, PgArguments>, RepositoryError> {
    let payment = &event.payment;
    Ok(query
        .bind(payment.id.as_uuid())
        .bind(payment.organisation_id.as_uuid())
        .bind(version_number(payment.version)?)
        .bind(payment.created_on.as_datetime())
        .bind(payment.modified_on.as_datetime())
        .bind(payment.attributes.money.amount().value())
        .bind(payment.attributes.money.currency().code().to_owned())
        .bind(attributes)
        .bind(event.kind.as_str())
        .bind(event.occurred_on.as_datetime()))
}

/// How often a write re-reads a state that moved under it before giving up.
/// Only a client sending a version from the future can make that happen.
const ATTEMPTS: usize = 3;

/// The payment repository on a PostgreSQL connection pool. Clones share
/// the pool.
#[derive(Debug, Clone)]
pub struct PostgresRepository {
    pool: PgPool,
}

impl PostgresRepository {
    /// A repository on a new pool for `config`.
    ///
    /// Connects lazily: this succeeds while the database is down, so a
    /// server can start (and answer its readiness probe with "not ready")
    /// before the database is up. Every connection is checked before a call
    /// uses it (`test_before_acquire`), so connections the server closed —
    /// restarted, failed over, or terminated by an administrator — are
    /// dropped and replaced instead of failing a request: the pool recovers
    /// by itself once the database answers again.
    ///
    /// # Errors
    /// [`ConfigError::InvalidUrl`] when the URL does not parse.
    ///
    /// # Panics
    /// Outside a Tokio runtime: the pool starts a task there that retires
    /// idle connections.
    pub fn connect(config: &PostgresConfig) -> Result<Self, ConfigError> {
        let options = PgConnectOptions::from_str(&config.url)
            .map_err(|error| ConfigError::InvalidUrl(Box::new(error)))?;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            .test_before_acquire(true)
            .connect_lazy_with(options);
        Ok(Self::from_pool(pool))
    }

    /// A repository on a pool the caller built and configured.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for metrics or to close it at shutdown.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Creates or upgrades the schema. Safe to run again, and from several
    /// processes at once: applied migrations are recorded in
    /// `_sqlx_migrations` and an advisory lock lets one process migrate at
    /// a time.
    ///
    /// # Errors
    /// [`RepositoryError::Unavailable`] when the database cannot be reached;
    /// [`RepositoryError::Unexpected`] when a migration fails or the
    /// database holds migrations this build does not know.
    pub async fn migrate(&self) -> Result<(), RepositoryError> {
        MIGRATOR.run(&self.pool).await.map_err(|error| match error {
            // The database's own failures keep their meaning: unreachable is
            // retryable, anything else is not.
            MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _) => {
                repository_error(error)
            }
            // Applied migrations that differ from this build's: a deployment
            // mistake for a person to resolve.
            other => RepositoryError::Unexpected(Box::new(other)),
        })
    }

    /// Inserts `created` and its event (see [`CREATE`]).
    async fn insert(
        executor: impl PgExecutor<'_>,
        created: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        let attributes = attributes_to_json(&created.payment.attributes)?;
        let result = bind_change(sqlx::query(CREATE), created, &attributes)?
            .execute(executor)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error)
                if is_unique_violation(&error)
                    && error
                        .as_database_error()
                        .and_then(|e| e.constraint())
                        .is_some_and(|name| name == PAYMENTS_PRIMARY_KEY) =>
            {
                Err(RepositoryError::AlreadyExists)
            }
            Err(error) => Err(repository_error(error)),
        }
    }

    /// Applies an update or a delete (see [`CHANGE`]), telling "not found"
    /// from "stale version" when it matches nothing.
    async fn change(
        &self,
        expected: Version,
        event: &PaymentEvent,
        deleted_on: Option<DateTime<Utc>>,
    ) -> Result<(), RepositoryError> {
        let payment = &event.payment;
        let attributes = attributes_to_json(&payment.attributes)?;
        for _ in 0..ATTEMPTS {
            let changed = bind_change(sqlx::query(CHANGE), event, &attributes)?
                .bind(version_number(expected)?)
                .bind(deleted_on)
                .execute(&self.pool)
                .await
                .map_err(repository_error)?
                .rows_affected();
            if changed == 1 {
                return Ok(());
            }
            let stored: Option<(i64, bool)> = sqlx::query_as(STORED_VERSION)
                .bind(payment.id.as_uuid())
                .bind(payment.organisation_id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(repository_error)?;
            match stored {
                // Another organisation's payment is "not found" too, so
                // existence does not leak across organisations.
                None | Some((_, true)) => return Err(RepositoryError::NotFound),
                Some((actual, false)) if actual != version_number(expected)? => {
                    return Err(RepositoryError::VersionConflict {
                        expected,
                        actual: stored_version(payment.id, actual)?,
                    });
                }
                // The payment reached the expected version between the two
                // statements: the change may apply now.
                Some(_) => {}
            }
        }
        Err(RepositoryError::Unexpected(
            "the payment's version kept moving under the change".into(),
        ))
    }
}

#[async_trait]
impl PaymentRepository for PostgresRepository {
    async fn create(&self, created: &PaymentEvent) -> Result<(), RepositoryError> {
        Self::insert(&self.pool, created).await
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> Result<IdempotentOutcome, RepositoryError> {
        let payment = &created.payment;
        let attributes = attributes_to_json(&payment.attributes)?;
        // Key, payment and event commit together or not at all: when the
        // payment's id is taken the transaction rolls back (on drop) and
        // the key stays free.
        let mut transaction = self.pool.begin().await.map_err(repository_error)?;
        for _ in 0..ATTEMPTS {
            let claimed = sqlx::query(CLAIM_KEY)
                .bind(payment.organisation_id.as_uuid())
                .bind(key.as_str())
                .bind(fingerprint.as_str())
                .bind(payment.id.as_uuid())
                .bind(version_number(payment.version)?)
                .bind(payment.created_on.as_datetime())
                .bind(payment.modified_on.as_datetime())
                .bind(&attributes)
                .execute(&mut *transaction)
                .await
                .map_err(repository_error)?
                .rows_affected();
            if claimed == 1 {
                Self::insert(&mut *transaction, created).await?;
                transaction.commit().await.map_err(repository_error)?;
                return Ok(IdempotentOutcome::Created);
            }
            let stored: Option<StoredKey> = sqlx::query_as(STORED_KEY)
                .bind(payment.organisation_id.as_uuid())
                .bind(key.as_str())
                .fetch_optional(&mut *transaction)
                .await
                .map_err(repository_error)?;
            // The key row was there for the insert but gone for the read:
            // only possible if keys are ever removed; claim it again.
            let Some(stored) = stored else { continue };
            return if stored.fingerprint == fingerprint.as_str() {
                Ok(IdempotentOutcome::Replayed(Box::new(
                    stored.payment.into_payment()?,
                )))
            } else {
                Err(RepositoryError::IdempotencyKeyReused)
            };
        }
        Err(RepositoryError::Unexpected(
            "the idempotency key kept appearing and vanishing".into(),
        ))
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, RepositoryError> {
        let row: Option<PaymentRow> = sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments
             WHERE id = $1 AND organisation_id = $2 AND deleted_on IS NULL"
        ))
        .bind(id.as_uuid())
        .bind(organisation.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(repository_error)?;
        row.map(PaymentRow::into_payment).transpose()
    }

    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, RepositoryError> {
        let size = request.size.get();
        // One more than the page: if it comes back, there is a next page.
        let limit = i64::try_from(size).map_or(i64::MAX, |size| size + 1);
        let query = list_query(request.order, request.after.is_some());
        let mut rows = sqlx::query_as::<_, PaymentRow>(&query)
            .bind(organisation.as_uuid())
            .bind(limit);
        if let Some(after) = request.after {
            rows = rows
                .bind(after.created_on.as_datetime())
                .bind(*after.id.as_uuid());
        }
        let payments = rows
            .fetch_all(&self.pool)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(PaymentRow::into_payment)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_lookahead(payments, request.size))
    }

    async fn update(
        &self,
        expected: Version,
        updated: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        self.change(expected, updated, None).await
    }

    async fn delete(
        &self,
        expected: Version,
        deleted: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        // The row stays as a tombstone: the id remains taken and the events
        // keep their foreign key.
        self.change(expected, deleted, Some(deleted.occurred_on.as_datetime()))
            .await
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Vec<PaymentEvent>, RepositoryError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT kind, occurred_on, payment_id AS id, organisation_id, version, created_on,
                    modified_on, attributes
             FROM payment_events
             WHERE payment_id = $1 AND organisation_id = $2
             ORDER BY version",
        )
        .bind(id.as_uuid())
        .bind(organisation.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(repository_error)?;
        // Every payment has its creation event, so no rows means this
        // organisation never had the payment.
        if rows.is_empty() {
            return Err(RepositoryError::NotFound);
        }
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(repository_error)
    }
}

/// The row of an idempotency key.
#[derive(sqlx::FromRow)]
struct StoredKey {
    fingerprint: String,
    #[sqlx(flatten)]
    payment: PaymentRow,
}

/// The page query: the organisation's live payments from the cursor, in
/// `(created_on, id)` order, as a range scan of `payments_live_by_organisation`
/// (forwards for oldest first, backwards for newest first). `$1` is the
/// organisation, `$2` the limit, `$3`/`$4` the cursor.
pub(crate) fn list_query(order: ListOrder, after_cursor: bool) -> String {
    let (compare, direction) = match order {
        ListOrder::OldestFirst => (">", "ASC"),
        ListOrder::NewestFirst => ("<", "DESC"),
    };
    let cursor = if after_cursor {
        format!("AND (created_on, id) {compare} ($3, $4)")
    } else {
        String::new()
    };
    format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
         WHERE organisation_id = $1 AND deleted_on IS NULL {cursor}
         ORDER BY created_on {direction}, id {direction}
         LIMIT $2"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sqlx::Executor;

    use super::*;

    /// The page query's plan on a real server, for every order and with and
    /// without a cursor: a range scan of the partial index that starts at
    /// the cursor and needs no sort, so a page costs O(page size).
    #[tokio::test]
    async fn a_page_is_an_index_range_scan_from_the_cursor() {
        let url = payments_tests::postgres::test_database_url().await;
        let repository = PostgresRepository::connect(&PostgresConfig::new(url)).unwrap();
        repository.migrate().await.unwrap();
        let mut connection = repository.pool().acquire().await.unwrap();
        // On a near-empty table the planner rightly prefers a sequential
        // scan; forbid it to see the plan a large table gets.
        connection
            .execute("SET enable_seqscan = off")
            .await
            .unwrap();

        for order in [ListOrder::OldestFirst, ListOrder::NewestFirst] {
            for after_cursor in [false, true] {
                let sql = format!("EXPLAIN {}", list_query(order, after_cursor));
                let mut explain = sqlx::query_scalar::<_, String>(&sql)
                    .bind(uuid::Uuid::nil())
                    .bind(21_i64);
                if after_cursor {
                    explain = explain
                        .bind(DateTime::<Utc>::UNIX_EPOCH)
                        .bind(uuid::Uuid::nil());
                }
                let plan = explain
                    .fetch_all(&mut *connection)
                    .await
                    .unwrap()
                    .join("\n");

                let case = format!("{order:?}, cursor {after_cursor}");
                assert!(
                    plan.contains("Index Scan") && plan.contains("payments_live_by_organisation"),
                    "{case}: {plan}"
                );
                assert!(!plan.contains("Sort"), "{case}: {plan}");
                assert!(
                    !plan.contains("Filter"),
                    "{case}: a filter reads rows it drops\n{plan}"
                );
                if after_cursor {
                    assert!(
                        plan.contains("Index Cond") && plan.contains("ROW(created_on, id)"),
                        "{case}: the cursor must bound the scan\n{plan}"
                    );
                }
            }
        }
    }
}
