//! Usage plans on the Router: per-key throttle and daily quota, per-address
//! throttle of keyless requests, 429 problems with `Retry-After` and the
//! ratelimit fields — with a manual clock, so time moves only when a test
//! moves it.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use adapter_memory::MemoryRepository;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{HeaderMap, Request, StatusCode};
use http_api::{router, ApiKeys, ApiState, UsagePlan, UsagePlans};
use http_body_util::BodyExt;
use payments_domain::Timestamp;
use payments_ports::{Clock, PaymentService, RandomIds};
use serde_json::Value;
use tower::ServiceExt;

const ORG: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
const KEY_A: &str = "usage-plan-key-a-000001";
const KEY_B: &str = "usage-plan-key-b-000001";
const RECORD: &str = r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500}"#;

/// A clock that stands still until told to move.
struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    fn at(text: &str) -> Arc<Self> {
        Arc::new(Self(Mutex::new(Timestamp::parse(text).unwrap())))
    }

    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now = now.checked_add(by).unwrap();
    }

    fn set(&self, text: &str) {
        *self.0.lock().unwrap() = Timestamp::parse(text).unwrap();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

struct Api {
    app: axum::Router,
    clock: Arc<ManualClock>,
}

/// The Router with `keys` (a `PAYMENTS_API_KEYS` list) and the default
/// plan `defaults`, at `now`; the service and the plans share the clock.
fn api(keys: &str, defaults: UsagePlan, now: &str) -> Api {
    let clock = ManualClock::at(now);
    let service = PaymentService::new(
        Arc::new(MemoryRepository::new()),
        clock.clone(),
        Arc::new(RandomIds),
    );
    let plans = UsagePlans::new(defaults).with_clock(clock.clone());
    let state = ApiState::new(service, ApiKeys::parse(keys).unwrap()).with_usage_plans(plans);
    Api {
        app: router(state),
        clock,
    }
}

/// A plan as `PAYMENTS_API_KEYS` writes one (`rate=1;burst=3`).
fn plan(text: &str) -> UsagePlan {
    UsagePlan::parse(text).unwrap()
}

fn both_keys() -> String {
    format!("{KEY_A}:{ORG},{KEY_B}:{ORG}")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// `GET path`, with `key` as `x-api-key` and `peer` as the connection's
/// address, when given.
fn get(path: &str, key: Option<&str>, peer: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    let mut request = request.body(Body::empty()).unwrap();
    if let Some(peer) = peer {
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    }
    request
}

fn record(key: &str) -> Request<Body> {
    Request::post("/payments")
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(Body::from(RECORD))
        .unwrap()
}

#[tokio::test]
async fn a_key_over_its_burst_gets_a_429_problem_with_retry_after_and_ratelimit_fields() {
    let api = api(
        &both_keys(),
        plan("rate=1;burst=3;quota=1000"),
        "2024-08-01T12:00:00Z",
    );
    for _ in 0..3 {
        let served = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
        assert_eq!(served.status, StatusCode::OK);
    }

    let refused = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;

    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some(r#""burst";q=3;w=3, "daily";q=1000;w=86400"#)
    );
    assert_eq!(
        refused.header("ratelimit"),
        Some(r#""burst";r=0;t=1, "daily";r=997;t=43200"#)
    );
    assert_eq!(refused.body["type"], "/problems/too-many-requests");
    assert_eq!(refused.body["title"], "Too many requests");
    assert_eq!(refused.body["status"], 429);
    assert_eq!(
        refused.body["detail"],
        "this API key has used its burst of 3 requests; retry after 1 s"
    );
    let request_id = refused.header("x-request-id").expect("an x-request-id");
    assert_eq!(refused.body["request_id"], request_id);
}

#[tokio::test]
async fn served_responses_say_what_is_left_of_each_policy() {
    let api = api(
        &both_keys(),
        plan("rate=1;burst=3;quota=1000"),
        "2024-08-01T23:00:00.5Z",
    );

    let first = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
    let second = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;

    assert_eq!(
        first.header("ratelimit-policy"),
        Some(r#""burst";q=3;w=3, "daily";q=1000;w=86400"#)
    );
    assert_eq!(
        first.header("ratelimit"),
        Some(r#""burst";r=2, "daily";r=999;t=3600"#)
    );
    assert_eq!(
        second.header("ratelimit"),
        Some(r#""burst";r=1, "daily";r=998;t=3600"#)
    );
}

#[tokio::test]
async fn a_key_within_its_rate_is_never_refused() {
    let api = api(&both_keys(), plan("rate=2;burst=1"), "2024-08-01T12:00:00Z");

    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(
            send(&api.app, get("/v1/payments", Some(KEY_A), None))
                .await
                .status,
        );
        api.clock.advance(Duration::from_millis(500));
    }

    assert_eq!(statuses, vec![StatusCode::OK; 20]);
}

#[tokio::test]
async fn a_key_a_little_faster_than_its_rate_is_refused() {
    let api = api(&both_keys(), plan("rate=2;burst=1"), "2024-08-01T12:00:00Z");

    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(
            send(&api.app, get("/v1/payments", Some(KEY_A), None))
                .await
                .status,
        );
        api.clock.advance(Duration::from_millis(499));
    }

    assert_eq!(statuses, [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
}

#[tokio::test]
async fn another_key_is_not_slowed_by_a_throttled_one() {
    let api = api(&both_keys(), plan("rate=1;burst=3"), "2024-08-01T12:00:00Z");
    for _ in 0..4 {
        send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
    }

    let other = send(&api.app, get("/v1/payments", Some(KEY_B), None)).await;

    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.header("ratelimit"), Some(r#""burst";r=2"#));
}

#[tokio::test]
async fn the_daily_quota_is_used_up_then_starts_again_at_midnight_utc() {
    let api = api(&both_keys(), plan("quota=2"), "2024-08-01T23:59:30Z");
    let first = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
    let second = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;

    let refused = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
    api.clock.set("2024-08-02T00:00:00Z");
    let next_day = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;

    assert_eq!(
        (first.status, second.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(second.header("ratelimit"), Some(r#""daily";r=0;t=30"#));
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some(r#""daily";q=2;w=86400"#)
    );
    assert_eq!(refused.header("ratelimit"), Some(r#""daily";r=0;t=30"#));
    assert_eq!(refused.body["type"], "/problems/too-many-requests");
    assert_eq!(refused.body["status"], 429);
    assert_eq!(
        refused.body["detail"],
        "this API key's quota of 2 requests per day is used up; it resets at 00:00 UTC"
    );
    assert_eq!(next_day.status, StatusCode::OK);
    assert_eq!(next_day.header("ratelimit"), Some(r#""daily";r=1;t=86400"#));
}

#[tokio::test]
async fn a_request_the_throttle_refuses_uses_none_of_the_daily_quota() {
    let api = api(
        &both_keys(),
        plan("rate=1;burst=1;quota=2"),
        "2024-08-01T12:00:00Z",
    );
    send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
    let throttled = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;
    api.clock.advance(Duration::from_secs(1));

    let served = send(&api.app, get("/v1/payments", Some(KEY_A), None)).await;

    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        served.header("ratelimit"),
        Some(r#""burst";r=0, "daily";r=0;t=43199"#)
    );
}

#[tokio::test]
async fn keyless_routes_are_throttled_per_client_address() {
    let api = api(
        &both_keys(),
        plan("rate=1;burst=2;quota=1000"),
        "2024-08-01T12:00:00Z",
    );
    let one = "192.0.2.1:40000";
    let first = send(&api.app, get("/health", None, Some(one))).await;
    // Another port of the same host is the same client.
    let second = send(&api.app, get("/health", None, Some("192.0.2.1:40001"))).await;

    let refused = send(&api.app, get("/health", None, Some(one))).await;
    let other_address = send(&api.app, get("/health", None, Some("192.0.2.2:40000"))).await;

    assert_eq!(
        (first.status, second.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(first.header("ratelimit-policy"), Some(r#""burst";q=2;w=2"#));
    assert_eq!(first.header("ratelimit"), Some(r#""burst";r=1"#));
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("ratelimit"), Some(r#""burst";r=0;t=1"#));
    assert_eq!(
        refused.body["detail"],
        "this client address has used its burst of 2 requests; retry after 1 s"
    );
    assert_eq!(other_address.status, StatusCode::OK);
}

#[tokio::test]
async fn a_key_sent_to_an_open_route_is_counted_by_address_not_by_key() {
    let api = api(&both_keys(), plan("rate=1;burst=1"), "2024-08-01T12:00:00Z");
    let peer = Some("192.0.2.7:1234");

    let health = send(&api.app, get("/health", Some(KEY_A), peer)).await;
    let openapi = send(&api.app, get("/openapi.json", Some(KEY_A), peer)).await;
    let payments = send(&api.app, get("/v1/payments", Some(KEY_A), peer)).await;

    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(
        openapi.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address's burst is used"
    );
    assert_eq!(
        payments.status,
        StatusCode::OK,
        "the key's burst is untouched"
    );
}

#[tokio::test]
async fn requests_with_an_unknown_key_are_throttled_per_address_before_their_401() {
    let api = api(&both_keys(), plan("rate=1;burst=2"), "2024-08-01T12:00:00Z");
    let peer = Some("198.51.100.9:5000");
    let wrong = Some("not-a-known-key-00000001");

    let first = send(&api.app, get("/v1/payments", wrong, peer)).await;
    let second = send(&api.app, get("/v1/payments", None, peer)).await;
    let third = send(&api.app, get("/v1/payments", wrong, peer)).await;

    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert_eq!(second.status, StatusCode::UNAUTHORIZED);
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn requests_without_a_peer_address_share_one_bucket() {
    let api = api(&both_keys(), plan("rate=1;burst=2"), "2024-08-01T12:00:00Z");

    let statuses = [
        send(&api.app, get("/health", None, None)).await.status,
        send(&api.app, get("/ready", None, None)).await.status,
        send(&api.app, get("/health", None, None)).await.status,
    ];

    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn a_throttled_create_stores_nothing() {
    let api = api(&both_keys(), plan("rate=1;burst=1"), "2024-08-01T12:00:00Z");
    let created = send(&api.app, record(KEY_A)).await;

    let throttled = send(&api.app, record(KEY_A)).await;
    api.clock.advance(Duration::from_secs(1));
    let listed = send(&api.app, get("/payments", Some(KEY_A), None)).await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        listed.body
    );
}

#[tokio::test]
async fn a_key_with_its_own_plan_is_held_to_it_and_the_others_to_the_defaults() {
    let keys = format!("{KEY_A}:{ORG}:burst=1;rate=1;quota=5,{KEY_B}:{ORG}");
    let api = api(
        &keys,
        plan("rate=1;burst=3;quota=1000"),
        "2024-08-01T12:00:00Z",
    );

    let own_plan = [
        send(&api.app, get("/v1/payments", Some(KEY_A), None)).await,
        send(&api.app, get("/v1/payments", Some(KEY_A), None)).await,
    ];
    let defaults = send(&api.app, get("/v1/payments", Some(KEY_B), None)).await;

    assert_eq!(
        own_plan[0].header("ratelimit-policy"),
        Some(r#""burst";q=1;w=1, "daily";q=5;w=86400"#)
    );
    assert_eq!(own_plan[1].status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        defaults.header("ratelimit-policy"),
        Some(r#""burst";q=3;w=3, "daily";q=1000;w=86400"#)
    );
    assert_eq!(defaults.status, StatusCode::OK);
}

#[tokio::test]
async fn a_key_plan_may_limit_a_key_when_the_defaults_limit_nothing() {
    let keys = format!("{KEY_A}:{ORG}:quota=1,{KEY_B}:{ORG}");
    let api = api(&keys, UsagePlan::unlimited(), "2024-08-01T12:00:00Z");
    let app = api.app;

    let limited = [
        send(&app, get("/v1/payments", Some(KEY_A), None))
            .await
            .status,
        send(&app, get("/v1/payments", Some(KEY_A), None))
            .await
            .status,
    ];
    let unlimited = send(&app, get("/v1/payments", Some(KEY_B), None)).await;
    let keyless = send(&app, get("/health", None, None)).await;

    assert_eq!(limited, [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
    assert_eq!(unlimited.header("ratelimit"), None);
    assert_eq!(keyless.header("ratelimit-policy"), None);
}

#[tokio::test]
async fn without_usage_plans_nothing_is_limited_and_no_field_is_added() {
    let mut keys = ApiKeys::new();
    keys.insert(KEY_A, ORG.parse().unwrap()).unwrap();
    let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
    let plain = router(ApiState::new(service.clone(), keys.clone()));
    let unlimited = router(
        ApiState::new(service, keys).with_usage_plans(UsagePlans::new(UsagePlan::unlimited())),
    );

    for app in [plain, unlimited] {
        for _ in 0..50 {
            let answer = send(&app, get("/v1/payments", Some(KEY_A), None)).await;
            assert_eq!(answer.status, StatusCode::OK);
            assert_eq!(answer.header("ratelimit-policy"), None);
            assert_eq!(answer.header("ratelimit"), None);
        }
    }
}
