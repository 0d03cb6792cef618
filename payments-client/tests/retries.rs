//! The client's retries, against stand-in servers over TCP for the
//! answers a real server does not give on demand (503 and 429 with
//! `Retry-After`, a 400 to every request, API Gateway's 502 and 504, an
//! answer that never comes). What the client does against
//! the real API, on every front end, is `payments_tests::client_suite`
//! (`tests/tests/client_everywhere.rs`).

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use payments_client::{Client, Config, Error, NewRecord, RetryPolicy};
use tokio::net::TcpListener;

const KEY: &str = "client-test-key-organisation-a-01";

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

/// One request a stand-in server saw: its idempotency key, its user
/// agent, and when it came.
type Request = (Option<String>, Option<String>, Instant);

/// What a stand-in server saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Request>>>);

/// The recorded payment the stand-ins answer with.
const RECORDED: &str = r#"{"id": "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43", "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500, "version": 0, "createdOn": "2024-08-01T12:35:00Z"}"#;
/// Its id.
const RECORDED_ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";

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
                (StatusCode::CREATED, [("content-type", "application/json")], RECORDED).into_response()
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

/// How a stand-in fails a request: as API Gateway does when the function
/// failed or ran out of time, or by answering too late.
#[derive(Clone, Copy)]
enum Fault {
    /// `status` with API Gateway's own JSON body: no problem document, no
    /// `Retry-After`.
    Gateway(StatusCode),
    /// The answer after the client's attempt timeout.
    Late,
}

/// Each fault that may come after the server acted on the request.
const FAULTS: [Fault; 3] = [
    Fault::Gateway(StatusCode::BAD_GATEWAY),
    Fault::Gateway(StatusCode::GATEWAY_TIMEOUT),
    Fault::Late,
];

/// The client's attempt timeout against [`Fault::Late`].
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);

/// A stand-in in front of any route that fails the first `failures`
/// requests with `fault`, then answers the recorded payment (201 to a
/// POST, 200 to a GET, 204 to a DELETE).
fn failing(fault: Fault, failures: usize, seen: Seen) -> axum::Router {
    axum::Router::new().fallback(move |method: axum::http::Method, headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
            let count = {
                let mut seen = seen.0.lock().unwrap();
                seen.push((
                    header("idempotency-key"),
                    header("user-agent"),
                    Instant::now(),
                ));
                seen.len()
            };
            if count <= failures {
                match fault {
                    Fault::Gateway(status) => {
                        let body = r#"{"message":"Internal server error"}"#;
                        return (status, [("content-type", "application/json")], body)
                            .into_response();
                    }
                    Fault::Late => tokio::time::sleep(ATTEMPT_TIMEOUT * 4).await,
                }
            }
            let status = match method {
                axum::http::Method::POST => StatusCode::CREATED,
                axum::http::Method::DELETE => return StatusCode::NO_CONTENT.into_response(),
                _ => StatusCode::OK,
            };
            (status, [("content-type", "application/json")], RECORDED).into_response()
        }
    })
}

/// A client of `app` whose attempts last [`ATTEMPT_TIMEOUT`].
async fn client_of(app: axum::Router) -> Client {
    let mut config = Config::new(serve(app).await, KEY);
    config.request_timeout = ATTEMPT_TIMEOUT;
    Client::new(config).unwrap()
}

#[tokio::test]
async fn after_a_502_a_504_or_a_lost_answer_a_create_is_sent_again_with_its_key_and_a_read_again() {
    for fault in FAULTS {
        let seen = Seen::default();
        let client = client_of(failing(fault, 1, seen.clone())).await;
        let recorded = client.record(&gym("500")).await.unwrap();
        let created = seen.0.lock().unwrap().clone();

        let seen = Seen::default();
        let client = client_of(failing(fault, 1, seen.clone())).await;
        let read = client
            .fetch_record(RECORDED_ID.parse().unwrap())
            .await
            .unwrap();
        let reads = seen.0.lock().unwrap().len();

        assert_eq!(recorded.id.to_string(), RECORDED_ID);
        assert_eq!(created.len(), 2, "one failure, one retry");
        assert!(created[0].0.is_some());
        assert_eq!(created[0].0, created[1].0, "the retry reuses the key");
        assert_eq!(read.id.to_string(), RECORDED_ID);
        assert_eq!(reads, 2, "one failure, one retry");
    }
}

#[tokio::test]
async fn after_a_502_a_504_or_a_lost_answer_a_change_is_left_to_the_caller() {
    for fault in FAULTS {
        let seen = Seen::default();
        let client = client_of(failing(fault, 1, seen.clone())).await;

        let failed = client
            .delete_payment(RECORDED_ID.parse().unwrap(), 0)
            .await
            .unwrap_err();

        match (fault, &failed) {
            (Fault::Gateway(expected), Error::UnexpectedAnswer { status, .. }) => {
                assert_eq!(*status, expected);
            }
            (Fault::Late, Error::Transport(error)) => assert!(error.is_timeout(), "{error:?}"),
            _ => panic!("{failed:?}"),
        }
        assert_eq!(seen.0.lock().unwrap().len(), 1, "{failed:?}: sent once");
    }
}
