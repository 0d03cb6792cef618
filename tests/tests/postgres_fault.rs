//! The REST API on PostgreSQL while the database drops its connections.
//! A file (so a test process, and a database) of its own: the terminations
//! hit every connection to the test database.
//!
//! 500 creates run, 4 at a time, through the Router
//! (`POST /v1/payments`) on the Postgres store. Meanwhile an administrator's
//! connection terminates every other backend of the test database
//! (`pg_terminate_backend`, what a failover or a DBA's kill looks like to the
//! client) three times mid-stream. Each time, a table lock first holds the
//! running creates in the middle of their statement, so every round breaks
//! creates in flight, not only idle pooled connections (which the pool
//! replaces unseen). Then:
//!
//! - every create answered 201 is stored, with exactly one event;
//! - no id is stored twice;
//! - every create that failed was answered 503 with `Retry-After`, never 500;
//! - the API creates again within 5 seconds of the last termination, with no
//!   restart and no help.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use adapter_postgres::{PostgresConfig, PostgresRepository};
use axum::Router;
use bytes::Bytes;
use futures::StreamExt;
use http::{Request, StatusCode};
use http_api::{router, ApiKeys, ApiState};
use payments_domain::{OrganisationId, PaymentId};
use payments_ports::testkit::fixtures::{organisation, payment_id};
use payments_ports::PaymentService;
use payments_tests::http_table::send_in_process;
use sqlx::{Connection, PgConnection};

const CREATES: usize = 500;
const CONCURRENCY: usize = 4;
/// Terminate the connections once this many creates have finished.
const TERMINATE_AFTER: [usize; 3] = [100, 220, 340];
/// How soon after the last termination the API must create again.
const RECOVERY_BOUND: Duration = Duration::from_secs(5);
const FAULT_KEY: &str = "fault-test-key-0000001";

async fn repository(url: &str, max_connections: u32) -> PostgresRepository {
    let repository = PostgresRepository::connect(&PostgresConfig {
        max_connections,
        acquire_timeout: Duration::from_secs(2),
        ..PostgresConfig::new(url.to_owned())
    })
    .unwrap();
    repository.migrate().await.unwrap();
    repository
}

/// `POST /v1/payments` of a small payment with id `id`; the status.
async fn create(app: &Router, id: PaymentId, n: usize) -> StatusCode {
    let body = serde_json::json!({ "data": {
        "id": id.to_string(),
        "organisation_id": FAULT_ORG.get().unwrap().to_string(),
        "attributes": { "amount": format!("{}.{:02}", n + 1, n % 100), "currency": "GBP", "reference": format!("fault test payment {n}") }
    }});
    let request = Request::post("/v1/payments")
        .header("x-api-key", FAULT_KEY)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let response = send_in_process(app.clone(), request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            response.headers().contains_key("retry-after"),
            "503 without Retry-After"
        );
    }
    response.status()
}

static FAULT_ORG: std::sync::OnceLock<OrganisationId> = std::sync::OnceLock::new();

/// What the administrator's task saw.
struct Terminations {
    /// Backends terminated, per round.
    per_round: Vec<i64>,
    /// From the last termination to the first create that succeeded after it.
    recovery: Duration,
}

/// Terminates the test database's other backends at each mark, with the
/// creates held in flight, then polls the service until a create succeeds
/// again.
async fn terminate_connections(
    url: String,
    finished: Arc<AtomicUsize>,
    app: Router,
) -> Terminations {
    let mut admin = PgConnection::connect(&url).await.unwrap();
    let mut per_round = Vec::new();
    let mut last = Instant::now();
    for mark in TERMINATE_AFTER {
        while finished.load(Ordering::SeqCst) < mark {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Hold the creates inside their INSERT until the termination.
        let mut locker = PgConnection::connect(&url).await.unwrap();
        let mut lock = locker.begin().await.unwrap();
        sqlx::query("LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *lock)
            .await
            .unwrap();
        let held_since = Instant::now();
        while held_since.elapsed() < Duration::from_secs(5) {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut admin)
            .await
            .unwrap();
            if usize::try_from(waiting).unwrap() >= CONCURRENCY {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Every other backend goes, the locker's too, which frees the table.
        let terminated: i64 = sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
             FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        last = Instant::now();
        per_round.push(terminated);
        drop(lock);
        drop(locker);
    }
    // Poll with a deadline: a recovery bound, not a speed benchmark.
    let recovery = loop {
        let status = create(&app, payment_id(), CREATES).await;
        if status == StatusCode::CREATED {
            break last.elapsed();
        }
        assert!(
            last.elapsed() < RECOVERY_BOUND,
            "no create succeeded within {RECOVERY_BOUND:?} of the last termination: {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    admin.close().await.unwrap();
    Terminations {
        per_round,
        recovery,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_answered_201_are_stored_once_when_connections_are_terminated() {
    // Arrange
    let url = payments_tests::postgres::test_database_url().await;
    let repository = repository(&url, 4).await;
    let org = *FAULT_ORG.get_or_init(organisation);
    let mut keys = ApiKeys::new();
    keys.insert(FAULT_KEY, org).unwrap();
    let app = router(ApiState::new(
        PaymentService::with_system_clock(Arc::new(repository.clone())),
        keys,
    ));
    let finished = Arc::new(AtomicUsize::new(0));

    // Act
    let administrator = tokio::spawn(terminate_connections(url, finished.clone(), app.clone()));
    let results: Vec<(PaymentId, StatusCode)> = futures::stream::iter(0..CREATES)
        .map(|n| {
            let (app, finished) = (app.clone(), finished.clone());
            async move {
                let id = payment_id();
                let status = create(&app, id, n).await;
                finished.fetch_add(1, Ordering::SeqCst);
                (id, status)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let terminations = administrator.await.unwrap();

    // Assert
    let stored: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM payments WHERE organisation_id = $1")
            .bind(org.as_uuid())
            .fetch_all(repository.pool())
            .await
            .unwrap();
    let stored_ids: HashSet<uuid::Uuid> = stored.iter().copied().collect();
    let events_per_payment: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
        "SELECT payment_id, count(*) FROM payment_events WHERE organisation_id = $1 GROUP BY payment_id",
    )
    .bind(org.as_uuid())
    .fetch_all(repository.pool())
    .await
    .unwrap();
    let created: Vec<PaymentId> = results
        .iter()
        .filter(|(_, s)| *s == StatusCode::CREATED)
        .map(|(id, _)| *id)
        .collect();
    let failed: Vec<StatusCode> = results
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| *s != StatusCode::CREATED)
        .collect();
    println!(
        "creates: {} answered 201, {} failed; backends terminated per round: {:?}; \
         first 201 after the last termination: {:?}",
        created.len(),
        failed.len(),
        terminations.per_round,
        terminations.recovery
    );

    assert!(
        failed.len() >= TERMINATE_AFTER.len(),
        "each round should have broken the creates it held in flight"
    );
    for id in &created {
        assert!(
            stored_ids.contains(id.as_uuid()),
            "payment {id} was answered 201 but is not stored"
        );
    }
    assert_eq!(stored.len(), stored_ids.len(), "an id is stored twice");
    assert!(
        events_per_payment.len() == stored_ids.len()
            && events_per_payment.iter().all(|(_, events)| *events == 1),
        "every stored payment has exactly one creation event: {events_per_payment:?}"
    );
    assert!(
        failed.iter().all(|s| *s == StatusCode::SERVICE_UNAVAILABLE),
        "failures during the outage: {failed:?}"
    );
    assert!(terminations.recovery < RECOVERY_BOUND);
}
