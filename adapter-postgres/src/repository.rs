//! [`PostgresRepository`]: the [`PaymentRepository`] port on PostgreSQL.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::report::{TotalOverflow, Totals};
use payments_domain::{
    Bounds, Currency, IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentFilter,
    PaymentId, Timestamp, Version,
};
use payments_ports::{
    read_totals, refused_change, ChangeError, CreateError, HistoryPage, HistoryRequest,
    IdempotencyClaim, IdempotentCreateError, ListOrder, Page, PageRequest, PaymentRepository,
    PeriodPage, PeriodRequest, ReportError, StoreError, StoredVersion, UsedKey,
};
use rust_decimal::Decimal;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{PgExecutor, PgPool, Postgres};

use crate::config::{ConfigError, PostgresConfig};
use crate::driver_errors::{is_deadlock, is_unique_violation, store_error};
use crate::rows::{stored_version, version_number, write_attributes, EventRow, KeyRow, PaymentRow};

/// The schema, from `migrations/`, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!();

/// The columns [`PaymentRow`] reads, as a literal for `concat!`.
macro_rules! payment_columns {
    () => {
        "id, organisation_id, version, created_on, modified_on, attributes, attributes_format"
    };
}

/// The columns [`PaymentRow`] reads.
pub(crate) const PAYMENT_COLUMNS: &str = payment_columns!();

/// A payment and its creation event, in one statement: PostgreSQL runs a
/// statement atomically, so there is never one without the other, and the
/// primary key (not a read before the write) refuses a taken id, also one
/// whose payment was deleted.
const CREATE: &str = "
    WITH payment AS (
        INSERT INTO payments
            (id, organisation_id, version, created_on, modified_on, amount, currency,
             attributes, attributes_format)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        RETURNING id
    )
    INSERT INTO payment_events
        (payment_id, version, kind, occurred_on, organisation_id, created_on, modified_on,
         attributes, attributes_format)
    SELECT id, $3, $10, $11, $2, $4, $5, $8, $9 FROM payment";

/// The constraint that makes a duplicate id a conflict.
const PAYMENTS_PRIMARY_KEY: &str = "payments_pkey";

/// An update or a delete and its event, in one statement. The version check
/// is in the `WHERE` clause, so of concurrent writers expecting one version
/// the row lock lets exactly one match; the others match nothing and insert
/// no event. `$13` is the deletion instant, or NULL for an update.
const CHANGE: &str = "
    WITH changed AS (
        UPDATE payments
        SET version = $3, modified_on = $5, amount = $6, currency = $7, attributes = $8,
            attributes_format = $9, deleted_on = $13
        WHERE id = $1 AND organisation_id = $2 AND version = $12 AND deleted_on IS NULL
        RETURNING id
    )
    INSERT INTO payment_events
        (payment_id, version, kind, occurred_on, organisation_id, created_on, modified_on,
         attributes, attributes_format)
    SELECT id, $3, $10, $11, $2, $4, $5, $8, $9 FROM changed";

/// Why a change matched no row: the stored state of the payment.
const STORED_VERSION: &str = "
    SELECT organisation_id, version, deleted_on IS NULL AS live
    FROM payments WHERE id = $1";

/// Claims an idempotency key: inserts it, or replaces it when it expired
/// (first used at or before `$6`); a key in force is left alone and the
/// statement changes nothing. Under READ COMMITTED a concurrent claim of the
/// same key makes this wait for that claim to commit or roll back.
const CLAIM_KEY: &str = "
    INSERT INTO idempotency_keys (organisation_id, key, fingerprint, payment_id, created_on)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (organisation_id, key) DO UPDATE
        SET fingerprint = EXCLUDED.fingerprint, payment_id = EXCLUDED.payment_id,
            created_on = EXCLUDED.created_on, version = NULL, modified_on = NULL,
            attributes = NULL
        WHERE idempotency_keys.created_on <= $6";

/// The key in force: first used after `$3`.
const KEY_IN_FORCE: &str = "
    SELECT fingerprint, payment_id FROM idempotency_keys
    WHERE organisation_id = $1 AND key = $2 AND created_on > $3";

/// Deletes up to `$2` keys first used at or before `$1`, oldest first,
/// skipping any a create is claiming right now, so it never waits on (or
/// holds up) a create; an index range scan of the batch.
const PURGE_KEYS: &str = "
    DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM idempotency_keys
        WHERE created_on <= $1
        ORDER BY created_on
        LIMIT $2
        FOR UPDATE SKIP LOCKED))";

/// One page of a history: a range of the events' primary key
/// `(payment_id, version)` from the cursor, `$4` rows long. Versions go up
/// by exactly one per change, so the page is the versions `$3 + 1` to
/// `$3 + $4`: bounding both ends keeps every plan (an index scan, or the
/// bitmap scan and sort the planner picks when it expects few rows per
/// payment) to the page's rows, however long the history.
const HISTORY_PAGE: &str = "
    SELECT kind, occurred_on, payment_id AS id, organisation_id, version, created_on,
           modified_on, attributes, attributes_format
    FROM payment_events
    WHERE payment_id = $1 AND organisation_id = $2 AND version > $3 AND version <= $3 + $4
    ORDER BY version
    LIMIT $4";

/// One read of a period: the organisation's live payments with
/// `reported_on` in [`$3`, `$4`) (NULL: open), after the cursor
/// (`$5`, `$6`; the start of time and the nil id for the first read), in
/// `(reported_on, id)` order: a range scan of `payments_live_by_reported_on`.
const PERIOD_READ: &str = concat!(
    "SELECT ",
    payment_columns!(),
    "
    FROM payments
    WHERE organisation_id = $1 AND deleted_on IS NULL
      AND reported_on >= COALESCE($3, '-infinity'::TIMESTAMPTZ)
      AND reported_on < COALESCE($4, 'infinity'::TIMESTAMPTZ)
      AND (reported_on, id) > (COALESCE($5, '-infinity'::TIMESTAMPTZ), $6)
    ORDER BY reported_on, id
    LIMIT $2"
);

/// The totals of a period (`$2`, `$3`, as [`PERIOD_READ`]), per currency,
/// added up by the server from `payments_live_by_reported_on` alone (it
/// carries currency and amount). The sum is `numeric`, exact at any size,
/// and comes back as text. `{conditions}` holds a filter's equality
/// conditions, numbered from `$4`.
const PERIOD_TOTALS: &str = "
    SELECT currency, count(*), sum(amount)::TEXT
    FROM payments
    WHERE organisation_id = $1 AND deleted_on IS NULL
      AND reported_on >= COALESCE($2, '-infinity'::TIMESTAMPTZ)
      AND reported_on < COALESCE($3, 'infinity'::TIMESTAMPTZ){conditions}
    GROUP BY currency
    ORDER BY currency";

/// Whether the organisation ever had the payment (live or deleted).
const PAYMENT_OF: &str = "SELECT 1 FROM payments WHERE id = $1 AND organisation_id = $2";

/// Binds `$1` to `$11`, the parameters [`CREATE`] and [`CHANGE`] share: the
/// payment's columns, then the event's kind and instant. Kept in one place
/// so the order cannot drift between the two statements.
fn bind_change<'q>(
    query: Query<'q, Postgres, PgArguments>,
    event: &'q PaymentEvent,
    attributes: &'q (serde_json::Value, i16),
) -> Result<Query<'q, Postgres, PgArguments>, StoreError> {
    let payment = &event.payment;
    Ok(query
        .bind(payment.id.as_uuid())
        .bind(payment.organisation_id.as_uuid())
        .bind(version_number(payment.version)?)
        .bind(payment.created_on.as_datetime())
        .bind(payment.modified_on.as_datetime())
        .bind(payment.attributes.money.amount().value())
        .bind(payment.attributes.money.currency().code().to_owned())
        .bind(&attributes.0)
        .bind(attributes.1)
        .bind(event.kind.as_str())
        .bind(event.occurred_on.as_datetime()))
}

/// How often `migrate` waits again after losing a deadlock to a concurrent
/// migration (see [`PostgresRepository::migrate`]).
const MIGRATE_ATTEMPTS: u32 = 6;

/// The session advisory lock one migrator holds at a time (any number
/// of this workspace's own, distinct from sqlx's).
const MIGRATING: i64 = 0x7061_796d_656e_7473; // "payments"

/// How often a migrator asks for [`MIGRATING`] while another holds it.
const MIGRATING_POLL: Duration = Duration::from_millis(50);

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
    /// [`StoreError::Unavailable`] when the database cannot be reached;
    /// [`StoreError::Unexpected`] when a migration fails or the database
    /// holds migrations this build does not know.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut pause = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            match self.migrate_once().await {
                Ok(()) => return Ok(()),
                // An index built CONCURRENTLY waits for every transaction
                // open when it starts, among them another migrator's wait
                // for the migration lock, which waits for the build: the
                // server breaks the cycle by failing the waiter. Waiting
                // again succeeds once the build is done.
                Err(MigrateError::Execute(error))
                    if is_deadlock(&error) && attempt < MIGRATE_ATTEMPTS =>
                {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                // The database's own failures keep their meaning:
                // unreachable is retryable, anything else is not.
                Err(MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _)) => {
                    return Err(store_error(error))
                }
                // Applied migrations that differ from this build's: a
                // deployment mistake for a person to resolve.
                Err(other) => return Err(StoreError::Unexpected(Box::new(other))),
            }
        }
    }

    /// One run of the migrator, on one connection that first holds
    /// [`MIGRATING`]. The lock is taken by polling, never by waiting in a
    /// statement: an index built CONCURRENTLY waits for every statement
    /// open when it starts, so a second migrator waiting in
    /// `pg_advisory_lock` (as sqlx's own lock waits) would wait for the
    /// build while the build waited for it, and the server would break
    /// the cycle by failing one of them, the build itself at times.
    async fn migrate_once(&self) -> Result<(), MigrateError> {
        let mut connection = self.pool.acquire().await?;
        while !sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(MIGRATING)
            .fetch_one(&mut *connection)
            .await?
        {
            tokio::time::sleep(MIGRATING_POLL).await;
        }
        let migrated = MIGRATOR.run(&mut *connection).await;
        // Closing the session would release it too; unlocking keeps the
        // connection fit for the pool. A failed migration's error is the
        // one to report, whatever the unlock says.
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATING)
            .execute(&mut *connection)
            .await;
        migrated?;
        unlocked?;
        Ok(())
    }

    /// Inserts `created` and its event (see [`CREATE`]).
    async fn insert(
        executor: impl PgExecutor<'_>,
        created: &PaymentEvent,
    ) -> Result<(), CreateError> {
        let attributes = write_attributes(&created.payment.attributes)?;
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
                Err(CreateError::AlreadyExists)
            }
            Err(error) => Err(CreateError::Store(store_error(error))),
        }
    }

    /// Applies an update or a delete (see [`CHANGE`]); when it matches
    /// nothing, the stored state says why, by the port's one rule.
    async fn change(
        &self,
        expected: Version,
        event: &PaymentEvent,
        deleted_on: Option<DateTime<Utc>>,
    ) -> Result<(), ChangeError> {
        let payment = &event.payment;
        let attributes = write_attributes(&payment.attributes)?;
        for _ in 0..ATTEMPTS {
            let changed = bind_change(sqlx::query(CHANGE), event, &attributes)?
                .bind(version_number(expected)?)
                .bind(deleted_on)
                .execute(&self.pool)
                .await
                .map_err(store_error)?
                .rows_affected();
            if changed == 1 {
                return Ok(());
            }
            let stored: Option<(uuid::Uuid, i64, bool)> = sqlx::query_as(STORED_VERSION)
                .bind(payment.id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
            let found = stored
                .map(|(organisation, version, live)| {
                    Ok::<_, StoreError>(StoredVersion {
                        organisation_id: OrganisationId::from_uuid(organisation),
                        version: stored_version(payment.id, version)?,
                        live,
                    })
                })
                .transpose()?;
            // `None`: the payment reached the expected version between
            // the two statements, so the change may apply now.
            if let Some(refusal) = refused_change(expected, payment.organisation_id, found) {
                return Err(refusal);
            }
        }
        Err(ChangeError::Store(StoreError::Unexpected(
            "the payment's version kept moving under the change".into(),
        )))
    }
}

#[async_trait]
impl PaymentRepository for PostgresRepository {
    async fn create(&self, created: &PaymentEvent) -> Result<(), CreateError> {
        Self::insert(&self.pool, created).await
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        claim: &IdempotencyClaim,
    ) -> Result<(), IdempotentCreateError> {
        let payment = &created.payment;
        let first_used_on = created.occurred_on;
        let expired_up_to = claim.retention.expired_up_to(first_used_on);
        // Key, payment and event commit together or not at all: when the
        // payment's id is taken the transaction rolls back (on drop) and
        // the key stays as it was.
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        for _ in 0..ATTEMPTS {
            let claimed = sqlx::query(CLAIM_KEY)
                .bind(payment.organisation_id.as_uuid())
                .bind(claim.key.as_str())
                .bind(claim.fingerprint.as_str())
                .bind(payment.id.as_uuid())
                .bind(first_used_on.as_datetime())
                .bind(expired_up_to.as_datetime())
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?
                .rows_affected();
            if claimed == 1 {
                Self::insert(&mut *transaction, created).await?;
                transaction.commit().await.map_err(store_error)?;
                return Ok(());
            }
            let in_force: Option<KeyRow> = key_in_force(
                &mut *transaction,
                payment.organisation_id,
                &claim.key,
                expired_up_to,
            )
            .await?;
            // The key in force was there for the insert but not for the
            // read: it expired between the two, and can be claimed now.
            let Some(in_force) = in_force else { continue };
            return Err(IdempotentCreateError::KeyInUse(in_force.into()));
        }
        Err(IdempotentCreateError::Store(StoreError::Unexpected(
            "the idempotency key kept appearing and vanishing".into(),
        )))
    }

    async fn idempotency_key(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        expired_up_to: Timestamp,
    ) -> Result<Option<UsedKey>, StoreError> {
        Ok(key_in_force(&self.pool, organisation, key, expired_up_to)
            .await?
            .map(UsedKey::from))
    }

    async fn purge_idempotency_keys(
        &self,
        expired_up_to: Timestamp,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let deleted = sqlx::query(PURGE_KEYS)
            .bind(expired_up_to.as_datetime())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .execute(&self.pool)
            .await
            .map_err(store_error)?
            .rows_affected();
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, StoreError> {
        let row: Option<PaymentRow> = sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments
             WHERE id = $1 AND organisation_id = $2 AND deleted_on IS NULL"
        ))
        .bind(id.as_uuid())
        .bind(organisation.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.map(PaymentRow::into_payment).transpose()
    }

    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, StoreError> {
        let query = list_query(ListShape::of(&request));
        let mut rows = sqlx::query_as::<_, PaymentRow>(&query)
            .bind(organisation.as_uuid())
            .bind(limit(request.size.with_lookahead()));
        if let Some(after) = request.after {
            rows = rows
                .bind(after.created_on.as_datetime())
                .bind(*after.id.as_uuid());
        }
        for bound in [request.created.from, request.created.to]
            .into_iter()
            .flatten()
        {
            rows = rows.bind(bound.as_datetime());
        }
        let rows = rows.fetch_all(&self.pool).await.map_err(store_error)?;
        Ok(Page::from_lookahead(into_payments(rows)?, request.size))
    }

    async fn list_period(
        &self,
        organisation: OrganisationId,
        request: PeriodRequest,
    ) -> Result<PeriodPage, StoreError> {
        let after = request.after;
        let rows = sqlx::query_as::<_, PaymentRow>(PERIOD_READ)
            .bind(organisation.as_uuid())
            .bind(limit(request.limit() + 1))
            .bind(request.period.from.map(|at| at.as_datetime()))
            .bind(request.period.to.map(|at| at.as_datetime()))
            .bind(after.map(|cursor| cursor.reported_on.as_datetime()))
            .bind(after.map_or(uuid::Uuid::nil(), |cursor| *cursor.id.as_uuid()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(PeriodPage::from_lookahead(into_payments(rows)?, &request))
    }

    async fn totals(
        &self,
        organisation: OrganisationId,
        period: Bounds<Timestamp>,
        filter: &PaymentFilter,
    ) -> Result<Totals, ReportError> {
        let Some(equalities) = Equalities::of(filter) else {
            // Ranges over other members: read the period and match.
            return read_totals(self, organisation, period, filter).await;
        };
        let sql = PERIOD_TOTALS.replace("{conditions}", &equalities.conditions());
        let mut query = sqlx::query_as::<_, (String, i64, String)>(&sql)
            .bind(organisation.as_uuid())
            .bind(period.from.map(|at| at.as_datetime()))
            .bind(period.to.map(|at| at.as_datetime()));
        for (_, value) in &equalities.0 {
            query = query.bind(value.as_str());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(store_error)?;
        let mut totals = Totals::default();
        for (code, count, sum) in rows {
            let (currency, count) = Currency::from_stored(&code)
                .ok()
                .zip(u64::try_from(count).ok())
                .ok_or_else(|| {
                    StoreError::corrupt(format!(
                        "a currency code {code:?} or count {count} in the totals"
                    ))
                })?;
            let sum = Decimal::from_str_exact(&sum).map_err(|_| TotalOverflow(currency))?;
            totals.add_many(currency, count, sum)?;
        }
        Ok(totals)
    }

    async fn update(&self, expected: Version, updated: &PaymentEvent) -> Result<(), ChangeError> {
        self.change(expected, updated, None).await
    }

    async fn delete(&self, expected: Version, deleted: &PaymentEvent) -> Result<(), ChangeError> {
        // The row stays as a tombstone: the id remains taken and the events
        // keep their foreign key.
        self.change(expected, deleted, Some(deleted.occurred_on.as_datetime()))
            .await
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Result<Option<HistoryPage>, StoreError> {
        // Versions start at 0, so "after -1" is the first page.
        let after = match request.after {
            Some(version) => version_number(version)?,
            None => -1,
        };
        let rows: Vec<EventRow> = sqlx::query_as(HISTORY_PAGE)
            .bind(id.as_uuid())
            .bind(organisation.as_uuid())
            .bind(after)
            .bind(limit(request.size.with_lookahead()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        // An empty page is the end of a history, or no history at all for
        // this organisation: only then is the payment looked up.
        if rows.is_empty() {
            let known: Option<i32> = sqlx::query_scalar(PAYMENT_OF)
                .bind(id.as_uuid())
                .bind(organisation.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
            if known.is_none() {
                return Ok(None);
            }
        }
        let events = rows
            .into_iter()
            .map(EventRow::into_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(HistoryPage::from_lookahead(events, request.size)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(store_error)
    }
}

/// The key of `organisation` in force: first used after `expired_up_to`.
async fn key_in_force(
    executor: impl PgExecutor<'_>,
    organisation: OrganisationId,
    key: &IdempotencyKey,
    expired_up_to: Timestamp,
) -> Result<Option<KeyRow>, StoreError> {
    sqlx::query_as(KEY_IN_FORCE)
        .bind(organisation.as_uuid())
        .bind(key.as_str())
        .bind(expired_up_to.as_datetime())
        .fetch_optional(executor)
        .await
        .map_err(store_error)
}

/// A filter's conditions as SQL over one stored row: each a condition on
/// a column or an attribute path, with `{}` where its parameter goes, and
/// the text it binds. The attribute paths are those of the storage form.
struct Equalities(Vec<(&'static str, String)>);

impl Equalities {
    /// The conditions of `filter`, or `None` when it has a range, which
    /// is matched in Rust instead.
    fn of(filter: &PaymentFilter) -> Option<Self> {
        if !filter.processing_date.is_all() || !filter.payment_timestamp.is_all() {
            return None;
        }
        let text = |value: &Option<String>| value.clone();
        let conditions = [
            ("currency = {}", filter.currency.map(|c| c.to_string())),
            (
                "amount = CAST({} AS NUMERIC)",
                filter.amount.as_ref().map(|a| a.value().to_string()),
            ),
            ("attributes ->> 'reference' = {}", text(&filter.reference)),
            (
                "attributes ->> 'payment_scheme' = {}",
                text(&filter.payment_scheme),
            ),
            (
                "attributes ->> 'payment_type' = {}",
                text(&filter.payment_type),
            ),
            (
                "attributes -> 'beneficiary_party' ->> 'account_number' = {}",
                text(&filter.beneficiary_account_number),
            ),
            (
                "attributes -> 'debtor_party' ->> 'account_number' = {}",
                text(&filter.debtor_account_number),
            ),
        ];
        Some(Self(
            conditions
                .into_iter()
                .filter_map(|(condition, value)| value.map(|value| (condition, value)))
                .collect(),
        ))
    }

    /// ` AND ...` for each condition, with parameters from `$4`.
    fn conditions(&self) -> String {
        use std::fmt::Write as _;
        let mut sql = String::new();
        for ((condition, _), n) in self.0.iter().zip(4..) {
            let _ = write!(sql, " AND {}", condition.replace("{}", &format!("${n}")));
        }
        sql
    }
}

/// The payments of rows read, or the first that cannot be read.
fn into_payments(rows: Vec<PaymentRow>) -> Result<Vec<Payment>, StoreError> {
    rows.into_iter().map(PaymentRow::into_payment).collect()
}

/// A row count as PostgreSQL's `LIMIT`.
fn limit(rows: usize) -> i64 {
    i64::try_from(rows).unwrap_or(i64::MAX)
}

/// Which parameters a page query takes beyond the organisation (`$1`) and
/// the limit (`$2`), in this order: the cursor (`created_on`, `id`), the
/// created bounds' `from`, then `to`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListShape {
    pub order: ListOrder,
    pub after: bool,
    pub from: bool,
    pub to: bool,
}

impl ListShape {
    fn of(request: &PageRequest) -> Self {
        Self {
            order: request.order,
            after: request.after.is_some(),
            from: request.created.from.is_some(),
            to: request.created.to.is_some(),
        }
    }
}

/// The page query: the organisation's live payments inside the created
/// bounds and past the cursor, in `(created_on, id)` order, as one range
/// scan of `payments_live_by_organisation` (forwards for oldest first,
/// backwards for newest first), whatever bounds it has.
pub(crate) fn list_query(shape: ListShape) -> String {
    use std::fmt::Write as _;
    let (compare, direction) = match shape.order {
        ListOrder::OldestFirst => (">", "ASC"),
        ListOrder::NewestFirst => ("<", "DESC"),
    };
    let mut conditions = String::new();
    let mut next = 3;
    if shape.after {
        let _ = write!(
            conditions,
            " AND (created_on, id) {compare} (${next}, ${})",
            next + 1
        );
        next += 2;
    }
    if shape.from {
        let _ = write!(conditions, " AND created_on >= ${next}");
        next += 1;
    }
    if shape.to {
        let _ = write!(conditions, " AND created_on < ${next}");
    }
    format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
         WHERE organisation_id = $1 AND deleted_on IS NULL{conditions}
         ORDER BY created_on {direction}, id {direction}
         LIMIT $2"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sqlx::Executor;

    use super::*;

    /// A connection to a migrated test database whose planner may not
    /// read a whole table: on a near-empty table it rightly prefers a
    /// sequential scan, and the plans worth seeing are a large table's.
    async fn planner_connection() -> sqlx::pool::PoolConnection<Postgres> {
        let url = payments_test_services::postgres::test_database_url().await;
        let repository = PostgresRepository::connect(&PostgresConfig::new(url)).unwrap();
        repository.migrate().await.unwrap();
        let mut connection = repository.pool().acquire().await.unwrap();
        connection
            .execute("SET enable_seqscan = off")
            .await
            .unwrap();
        connection
    }

    /// The page query's plan on a real server, for every order and with and
    /// without a cursor: a range scan of the partial index that starts at
    /// the cursor and needs no sort, so a page costs O(page size).
    #[tokio::test]
    async fn a_page_is_an_index_range_scan_from_the_cursor() {
        let mut connection = planner_connection().await;

        let shapes = [ListOrder::OldestFirst, ListOrder::NewestFirst]
            .into_iter()
            .flat_map(|order| {
                (0..8).map(move |bits| ListShape {
                    order,
                    after: bits & 1 != 0,
                    from: bits & 2 != 0,
                    to: bits & 4 != 0,
                })
            });
        for shape in shapes {
            let sql = format!("EXPLAIN {}", list_query(shape));
            let mut explain = sqlx::query_scalar::<_, String>(&sql)
                .bind(uuid::Uuid::nil())
                .bind(21_i64);
            if shape.after {
                explain = explain
                    .bind(DateTime::<Utc>::UNIX_EPOCH)
                    .bind(uuid::Uuid::nil());
            }
            for _ in [shape.from, shape.to].into_iter().filter(|bound| *bound) {
                explain = explain.bind(DateTime::<Utc>::UNIX_EPOCH);
            }
            let plan = explain
                .fetch_all(&mut *connection)
                .await
                .unwrap()
                .join("\n");

            let case = format!("{shape:?}");
            assert!(
                plan.contains("Index Scan") && plan.contains("payments_live_by_organisation"),
                "{case}: {plan}"
            );
            assert!(!plan.contains("Sort"), "{case}: {plan}");
            assert!(
                !plan.contains("Filter"),
                "{case}: a filter reads rows it drops\n{plan}"
            );
            if shape.after {
                assert!(
                    plan.contains("Index Cond") && plan.contains("ROW(created_on, id)"),
                    "{case}: the cursor must bound the scan\n{plan}"
                );
            }
            if shape.from {
                assert!(
                    plan.contains("(created_on >= "),
                    "{case}: the created range must bound the scan\n{plan}"
                );
            }
            if shape.to {
                assert!(
                    plan.contains("(created_on < "),
                    "{case}: the created range must bound the scan\n{plan}"
                );
            }
        }
    }

    /// A read of a period and a period's totals are range scans of the
    /// period index bounded by the period (and the cursor); the read needs
    /// no sort, and the totals read nothing but the index (grouping by
    /// currency may sort or hash what it read, as the planner finds
    /// cheaper).
    #[tokio::test]
    async fn a_period_read_and_its_totals_are_index_range_scans() {
        let mut connection = planner_connection().await;
        let instant = Some(DateTime::<Utc>::UNIX_EPOCH);

        let read = sqlx::query_scalar::<_, String>(&format!("EXPLAIN {PERIOD_READ}"))
            .bind(uuid::Uuid::nil())
            .bind(1_001_i64)
            .bind(instant)
            .bind(instant)
            .bind(instant)
            .bind(uuid::Uuid::nil())
            .fetch_all(&mut *connection)
            .await
            .unwrap();
        let totals_sql = PERIOD_TOTALS.replace("{conditions}", "");
        let totals = sqlx::query_scalar::<_, String>(&format!("EXPLAIN {totals_sql}"))
            .bind(uuid::Uuid::nil())
            .bind(instant)
            .bind(instant)
            .fetch_all(&mut *connection)
            .await
            .unwrap();

        let scans = |plan: &[String]| -> Vec<String> {
            plan.iter()
                .filter_map(|line| line.trim().split("  (").next())
                .map(|node| node.trim_start_matches("->  ").to_owned())
                .filter(|node| node.contains("Scan"))
                .collect()
        };
        assert_eq!(
            scans(&read),
            ["Index Scan using payments_live_by_reported_on on payments"],
            "{read:#?}"
        );
        assert_eq!(
            scans(&totals),
            ["Index Only Scan using payments_live_by_reported_on on payments"],
            "{totals:#?}"
        );
        assert!(!read.iter().any(|line| line.contains("Sort")), "{read:#?}");
        for plan in [&read, &totals] {
            assert!(
                !plan.iter().any(|line| line.trim().starts_with("Filter:")),
                "a filter reads rows it drops: {plan:#?}"
            );
        }
    }

    /// A history page reads the events' primary key from the cursor, and a
    /// purge batch the keys' first-use index from its oldest entry: neither
    /// sorts, and neither reads more than its page or batch.
    #[tokio::test]
    async fn a_history_page_and_a_purge_batch_are_index_range_scans() {
        let mut connection = planner_connection().await;

        let history = sqlx::query_scalar::<_, String>(&format!("EXPLAIN {HISTORY_PAGE}"))
            .bind(uuid::Uuid::nil())
            .bind(uuid::Uuid::nil())
            .bind(9_899_i64)
            .bind(21_i64)
            .fetch_all(&mut *connection)
            .await
            .unwrap()
            .join("\n");
        connection
            .execute("SET enable_bitmapscan = off")
            .await
            .unwrap();
        let purge = sqlx::query_scalar::<_, String>(&format!("EXPLAIN {PURGE_KEYS}"))
            .bind(DateTime::<Utc>::UNIX_EPOCH)
            .bind(1_000_i64)
            .fetch_all(&mut *connection)
            .await
            .unwrap()
            .join("\n");

        // Index or bitmap scan, the key range is the page.
        let index_condition = history
            .lines()
            .find(|line| line.trim_start().starts_with("Index Cond:"))
            .map(str::trim);
        assert_eq!(
            index_condition,
            Some("Index Cond: ((payment_id = '00000000-0000-0000-0000-000000000000'::uuid) AND (version > '9899'::bigint) AND (version <= '9920'::bigint))"),
            "the cursor and the page size must bound the scan:\n{history}"
        );
        assert!(
            purge.contains("Index Scan using idempotency_keys_by_first_use")
                && purge.contains("Limit"),
            "{purge}"
        );
        assert!(!purge.contains("Sort"), "{purge}");
    }
}
