//! The client against the real API over TCP (the Router on http-hyper, on
//! the memory store), and against stand-in servers for the faults a real
//! server does not show on demand (503 and 429 with `Retry-After`).

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adapter_memory::MemoryRepository;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use futures::TryStreamExt as _;
use http_api::{router, ApiKeys, ApiState, BasePath};
use payments_client::{Client, Config, Error, ListQuery, NewRecord, RetryPolicy};
use payments_domain::{PaymentAttributesInput, PaymentId};
use payments_ports::PaymentService;
use tokio::net::TcpListener;

const KEY: &str = "client-test-key-organisation-a-01";
const ORGANISATION: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
const SAMPLE: &str = include_str!("../../tests/data/form3-sample-payment.json");

/// Serves `app` on a free loopback port until the test ends; its URL.
async fn serve(app: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let config = http_hyper::ServeConfig::default();
    tokio::spawn(async move {
        http_hyper::serve(app, listener, std::future::pending(), &config)
            .await
            .unwrap();
    });
    format!("http://{address}")
}

fn api() -> axum::Router {
    let mut keys = ApiKeys::new();
    keys.insert(KEY, ORGANISATION.parse().unwrap()).unwrap();
    router(ApiState::new(
        PaymentService::with_system_clock(Arc::new(MemoryRepository::new())),
        keys,
    ))
}

fn client(base: &str) -> Client {
    Client::new(Config::new(base, KEY)).unwrap()
}

fn gym(amount: &str) -> NewRecord {
    NewRecord {
        payment_timestamp: "2024-08-01T12:34:56Z".into(),
        payment_description: "Gym".into(),
        currency: "USD".into(),
        amount: amount.into(),
    }
}

#[tokio::test]
async fn records_read_back_exactly_and_a_retried_create_is_a_replay() {
    let client = client(&serve(api()).await);

    let recorded = client.record_with_key(&gym("0.07"), "gym-1").await.unwrap();
    let again = client.record_with_key(&gym("0.07"), "gym-1").await.unwrap();
    let fetched = client.fetch_record(recorded.id).await.unwrap();

    assert_eq!(again, recorded, "the same key replays the first answer");
    assert_eq!(fetched, recorded);
    assert_eq!(recorded.amount.to_string(), "0.07");
    assert_eq!((recorded.currency.as_str(), recorded.version), ("USD", 0));
}

#[tokio::test]
async fn a_form3_payment_lives_changes_and_dies_at_its_versions() {
    let client = client(&serve(api()).await);
    let sample: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();

    let created = client.create_payment(&sample).await.unwrap();
    let taken = client.create_payment(&sample).await.unwrap_err();
    let patch = PaymentAttributesInput {
        reference: Some("Piano, January".into()),
        ..Default::default()
    };
    let updated = client.update_payment(created.id, 0, &patch).await.unwrap();
    let stale = client
        .update_payment(created.id, 0, &patch)
        .await
        .unwrap_err();
    let stale_delete = client.delete_payment(created.id, 0).await.unwrap_err();
    client.delete_payment(created.id, 1).await.unwrap();
    let gone = client.fetch_payment(created.id).await.unwrap_err();
    let history: Vec<_> = client
        .payment_history(created.id)
        .try_collect()
        .await
        .unwrap();

    assert_eq!(created.amount(), Some("100.21"));
    assert!(
        matches!(&taken, Error::AlreadyExists(p) if p.status == 409),
        "{taken:?}"
    );
    assert_eq!(
        (updated.version, updated.attributes().unwrap().reference),
        (1, Some("Piano, January".to_owned()))
    );
    for conflict in [&stale, &stale_delete] {
        assert!(
            matches!(conflict, Error::VersionConflict(p) if p.status == 409 && p.kind == "/problems/conflict"),
            "{conflict:?}"
        );
        assert!(conflict.request_id().is_some());
    }
    assert!(
        matches!(&gone, Error::NotFound(p) if p.status == 404),
        "{gone:?}"
    );
    let kinds: Vec<(&str, u64)> = history
        .iter()
        .map(|event| (event.kind.as_str(), event.version))
        .collect();
    assert_eq!(kinds, [("created", 0), ("updated", 1), ("deleted", 2)]);
}

#[tokio::test]
async fn a_listing_follows_next_to_the_end_with_its_filters() {
    let client = client(&serve(api()).await);
    let mut ids = Vec::new();
    for amount in ["1", "2", "3", "4", "5"] {
        ids.push(client.record(&gym(amount)).await.unwrap().id);
    }
    client
        .record(&NewRecord {
            currency: "GBP".into(),
            ..gym("9")
        })
        .await
        .unwrap();

    let usd: Vec<PaymentId> = client
        .list_records(
            &ListQuery::default()
                .page_size(2)
                .filter("filter[currency]", "USD"),
        )
        .map_ok(|record| record.id)
        .try_collect()
        .await
        .unwrap();
    let newest: Vec<PaymentId> = client
        .list_payments(&ListQuery::default().page_size(4).newest_first())
        .map_ok(|payment| payment.id)
        .try_collect()
        .await
        .unwrap();

    assert_eq!(usd, ids);
    assert_eq!(newest.len(), 6);
    assert_eq!(
        newest[1..],
        ids.iter().rev().copied().collect::<Vec<_>>()[..]
    );
}

#[tokio::test]
async fn field_errors_come_back_with_their_pointers() {
    let client = client(&serve(api()).await);

    let refused = client
        .record(&NewRecord {
            currency: "Dollars".into(),
            amount: "-1".into(),
            ..gym("1")
        })
        .await
        .unwrap_err();

    let Error::Invalid(problem) = &refused else {
        panic!("{refused:?}")
    };
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        (problem.status, pointers),
        (422, vec!["/amount", "/currency"])
    );
}

#[tokio::test]
async fn a_base_url_with_a_stage_prefix_is_kept_and_its_links_followed() {
    let staged = axum::Router::new()
        .nest("/prod", api())
        .layer(axum::Extension(BasePath::new("/prod").unwrap()));
    let client = client(&format!("{}/prod/", serve(staged).await));
    for amount in ["1", "2", "3"] {
        client.record(&gym(amount)).await.unwrap();
    }

    let listed: Vec<_> = client
        .list_records(&ListQuery::default().page_size(1))
        .try_collect()
        .await
        .unwrap();
    let report = client
        .report("2024-08-01", "2024-09-01", &ListQuery::default())
        .await
        .unwrap();

    assert_eq!(listed.len(), 3);
    assert_eq!(
        report
            .totals
            .iter()
            .map(|t| (t.currency.as_str(), t.count, t.amount.as_str()))
            .collect::<Vec<_>>(),
        [("USD", 3, "6.00")]
    );
    client.health().await.unwrap();
    client.ready().await.unwrap();
}

#[tokio::test]
async fn an_unknown_key_is_a_401_problem_never_retried() {
    let base = serve(api()).await;
    let stranger = Client::new(Config::new(&base, "not-a-known-key-000000000000")).unwrap();

    let refused = stranger
        .fetch_record(PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap())
        .await
        .unwrap_err();

    assert!(
        matches!(&refused, Error::Problem(p) if p.status == 401 && p.kind == "/problems/unauthorized"),
        "{refused:?}"
    );
}

/// One request a stand-in server saw: its idempotency key, its user
/// agent, and when it came.
type Request = (Option<String>, Option<String>, Instant);

/// What a stand-in server saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Request>>>);

/// A stand-in that answers `status` with `Retry-After: 1` to the first
/// `failures` requests, then records a payment.
fn flaky(status: StatusCode, failures: usize, seen: Seen) -> axum::Router {
    axum::Router::new().route(
        "/payments",
        axum::routing::post(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
                let count = {
                    let mut seen = seen.0.lock().unwrap();
                    seen.push((header("idempotency-key"), header("user-agent"), Instant::now()));
                    seen.len()
                };
                if count <= failures {
                    let problem = serde_json::json!({"type": "/problems/unavailable", "title": "Service unavailable", "status": status.as_u16(), "detail": "try later"});
                    return (status, [("retry-after", "1"), ("content-type", "application/problem+json")], problem.to_string()).into_response();
                }
                let body = serde_json::json!({"id": "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43", "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500, "version": 0, "createdOn": "2024-08-01T12:35:00Z"});
                (StatusCode::CREATED, [("content-type", "application/json")], body.to_string()).into_response()
            }
        }),
    )
}

#[tokio::test]
async fn a_503_and_a_429_are_retried_after_retry_after_with_the_same_idempotency_key() {
    for status in [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let seen = Seen::default();
        let client = client(&serve(flaky(status, 1, seen.clone())).await);

        let recorded = client.record(&gym("500")).await.unwrap();

        let seen = seen.0.lock().unwrap().clone();
        assert_eq!(recorded.amount.to_string(), "500");
        assert_eq!(seen.len(), 2, "{status}: one failure, one retry");
        assert!(seen[0].0.is_some());
        assert_eq!(seen[0].0, seen[1].0, "{status}: the retry reuses the key");
        assert_eq!(
            seen[0].1.as_deref(),
            Some(concat!("payments-client/", env!("CARGO_PKG_VERSION")))
        );
        let waited = seen[1].2 - seen[0].2;
        assert!(
            waited >= Duration::from_secs(1),
            "{status}: Retry-After honoured, waited {waited:?}"
        );
    }
}

#[tokio::test]
async fn retries_stop_at_the_deadline_and_a_4xx_is_never_retried() {
    let seen = Seen::default();
    let mut config = Config::new(
        serve(flaky(
            StatusCode::SERVICE_UNAVAILABLE,
            usize::MAX,
            seen.clone(),
        ))
        .await,
        KEY,
    );
    config.retry = RetryPolicy {
        deadline: Duration::from_millis(1500),
        ..RetryPolicy::default()
    };
    let client = Client::new(config).unwrap();

    let started = Instant::now();
    let failed = client.record(&gym("500")).await.unwrap_err();

    assert!(
        matches!(&failed, Error::DeadlineExceeded { last, .. } if matches!(**last, Error::Problem(ref p) if p.status == 503)),
        "{failed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        seen.0.lock().unwrap().len(),
        2,
        "one retry fits before the deadline"
    );

    let seen = Seen::default();
    let client =
        self::client(&serve(flaky(StatusCode::BAD_REQUEST, usize::MAX, seen.clone())).await);
    let refused = client.record(&gym("500")).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Problem(p) if p.status == 400),
        "{refused:?}"
    );
    assert_eq!(seen.0.lock().unwrap().len(), 1);
}
