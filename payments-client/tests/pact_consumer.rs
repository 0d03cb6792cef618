//! The client as a Pact consumer: every interaction it relies on, described
//! once, exercised against the Pact mock server, and written to
//! `pacts/payments-client-payments.json` at the workspace root. The file
//! is checked in: this test fails when what it would write differs from
//! it (run with `PACT_UPDATE=1` to rewrite it), so a change of what the
//! client relies on shows in a diff, and the provider verification
//! (`tests/tests/pact_provider.rs`) checks the server against it.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use futures::StreamExt as _;
use pact_consumer::prelude::*;
use payments_client::{Client, Config, Error, ListQuery, NewRecord};
use payments_domain::{PaymentAttributesInput, PaymentId};
use serde_json::json;

/// The API key the interactions send; the provider verification gives it
/// to organisation A.
pub const KEY: &str = "pact-key-organisation-a-000000001";
/// A key no organisation has.
const UNKNOWN_KEY: &str = "pact-key-nobody-0000000000000001";
/// The payment the stale-version interaction changes.
const PAYMENT_AT_VERSION_2: &str = "0b5f4c1e-7d2a-4c3b-9e8f-1a2b3c4d5e6f";
/// A payment that does not exist.
const UNKNOWN_PAYMENT: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

fn pact_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pacts/payments-client-payments.json")
}

fn gym() -> NewRecord {
    NewRecord {
        payment_timestamp: "2024-08-01T12:34:56Z".into(),
        payment_description: "Gym".into(),
        currency: "USD".into(),
        amount: "500".into(),
    }
}

/// A recorded payment as the client reads it: the members it relies on,
/// by type where the server chooses the value.
fn record_pattern() -> JsonPattern {
    json_pattern!({
        "id": like!("6a1f0e2b-9c3d-4f5e-8a7b-1c2d3e4f5a6b"),
        "paymentTimestamp": "2024-08-01T12:34:56Z",
        "paymentDescription": "Gym",
        "currency": "USD",
        "amount": 500,
        "version": 0,
        "createdOn": like!("2024-08-01T12:35:00Z")
    })
}

fn problem_pattern(kind: &str, status: u16) -> JsonPattern {
    json_pattern!({
        "type": kind,
        "title": like!("A title"),
        "status": status,
        "detail": like!("what went wrong"),
        "request_id": like!("b8d2c6a4-0000-4000-8000-000000000001")
    })
}

fn pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("payments-client", "payments");
    creates(&mut pact);
    reads(&mut pact);
    pact
}

/// The interactions that write: creates, a replay, refusals.
fn creates(pact: &mut PactBuilder) {
    let create = serde_json::to_string(&gym()).unwrap();
    pact.interaction("a create of a recorded payment", "", |mut i| {
        i.request
            .post()
            .path("/payments")
            .header("x-api-key", KEY)
            .header("idempotency-key", "pact-create-0001")
            .header("content-type", "application/json")
            .body(create.clone());
        i.response
            .created()
            .header("content-type", "application/json")
            .json_body(record_pattern());
        i
    })
    .interaction("a create replayed with its idempotency key", "", |mut i| {
        i.given("a payment was recorded with idempotency key pact-replay-0001");
        i.request
            .post()
            .path("/payments")
            .header("x-api-key", KEY)
            .header("idempotency-key", "pact-replay-0001")
            .header("content-type", "application/json")
            .body(create.clone());
        i.response
            .created()
            .header("idempotent-replayed", "true")
            .header("content-type", "application/json")
            .json_body(record_pattern());
        i
    })
    .interaction("a create with invalid fields", "", |mut i| {
        let invalid = NewRecord {
            currency: "Dollars".into(),
            amount: "-1".into(),
            ..gym()
        };
        i.request
            .post()
            .path("/payments")
            .header("x-api-key", KEY)
            .header("idempotency-key", "pact-invalid-0001")
            .header("content-type", "application/json")
            .body(serde_json::to_string(&invalid).unwrap());
        let mut problem = problem_pattern("/problems/validation", 422);
        if let JsonPattern::Object(members) = &mut problem {
            members.insert(
                "errors".into(),
                json_pattern!([
                    { "pointer": "/amount", "detail": like!("why") },
                    { "pointer": "/currency", "detail": like!("why") }
                ]),
            );
        }
        i.response
            .status(422)
            .header("content-type", "application/problem+json")
            .json_body(problem);
        i
    })
    .interaction("an update at a stale version", "", |mut i| {
        i.given(format!(
            "a payment with id {PAYMENT_AT_VERSION_2} at version 2 exists"
        ));
        i.request
            .method("PATCH")
            .path(format!("/v1/payments/{PAYMENT_AT_VERSION_2}"))
            .header("x-api-key", KEY)
            .header("content-type", "application/json")
            .json_body(json!({
                "data": {
                    "id": PAYMENT_AT_VERSION_2,
                    "version": 1,
                    "attributes": { "reference": "stale" }
                }
            }));
        i.response
            .status(409)
            .header("content-type", "application/problem+json")
            .json_body(problem_pattern("/problems/conflict", 409));
        i
    });
}

/// The interactions that read: a listing, a missing payment, a stranger.
fn reads(pact: &mut PactBuilder) {
    pact.interaction("a list with a next page", "", |mut i| {
        i.given("organisation A has 3 payments");
        i.request
            .get()
            .path("/payments")
            .query_param("page[size]", "2")
            .header("x-api-key", KEY);
        i.response
            .ok()
            .header("content-type", "application/json")
            .json_body(json_pattern!({
                "data": each_like!(record_pattern(), min = 2),
                "links": {
                    "self": like!("/payments?page%5Bsize%5D=2"),
                    "next": like!("/payments?page%5Bsize%5D=2&page%5Bafter%5D=opaque")
                }
            }));
        i
    })
    .interaction("a fetch of a payment that does not exist", "", |mut i| {
        i.request
            .get()
            .path(format!("/payments/{UNKNOWN_PAYMENT}"))
            .header("x-api-key", KEY);
        i.response
            .not_found()
            .header("content-type", "application/problem+json")
            .json_body(problem_pattern("/problems/not-found", 404));
        i
    })
    .interaction("a request with an unknown API key", "", |mut i| {
        i.request
            .get()
            .path(format!("/payments/{UNKNOWN_PAYMENT}"))
            .header("x-api-key", UNKNOWN_KEY);
        i.response
            .unauthorized()
            .header("content-type", "application/problem+json")
            .json_body(problem_pattern("/problems/unauthorized", 401));
        i
    });
}

/// A plain test: the mock server runs its own runtime on a thread of its
/// own, and is dropped (checked and written) outside the client's.
#[test]
fn the_client_keeps_to_its_pact_and_the_checked_in_file_is_current() {
    let written = std::env::temp_dir().join(format!("payments-pact-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&written);
    let mut builder = pact();
    builder.with_output_dir(&written);
    let server = builder.start_mock_server(None, None);
    let base = server.url().to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(exercise(&base));

    // Dropping the mock server checks every interaction was used, and
    // writes the pact.
    drop(server);
    compare_with_checked_in(&written);
}

/// Every interaction of the pact, through the client, with what it gives
/// back checked.
async fn exercise(base: &str) {
    let client = Client::new(Config::new(base, KEY)).unwrap();

    let created = client
        .record_with_key(&gym(), "pact-create-0001")
        .await
        .unwrap();
    let replayed = client
        .record_with_key(&gym(), "pact-replay-0001")
        .await
        .unwrap();
    let invalid = NewRecord {
        currency: "Dollars".into(),
        amount: "-1".into(),
        ..gym()
    };
    let refused = client
        .record_with_key(&invalid, "pact-invalid-0001")
        .await
        .unwrap_err();
    let stale = client
        .update_payment(
            PaymentId::parse(PAYMENT_AT_VERSION_2).unwrap(),
            1,
            &PaymentAttributesInput {
                reference: Some("stale".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    // The first page only: the next one is the provider's to serve.
    let first_page: Vec<_> = client
        .list_records(&ListQuery::default().page_size(2))
        .take(2)
        .collect()
        .await;
    let unknown = PaymentId::parse(UNKNOWN_PAYMENT).unwrap();
    let missing = client.fetch_record(unknown).await.unwrap_err();
    let stranger = Client::new(Config::new(base, UNKNOWN_KEY)).unwrap();
    let unauthorized = stranger.fetch_record(unknown).await.unwrap_err();

    assert_eq!(
        (created.amount.to_string(), created.version),
        ("500".into(), 0)
    );
    assert_eq!(replayed.currency, "USD");
    let Error::Invalid(problem) = &refused else {
        panic!("{refused:?}")
    };
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/amount", "/currency"]);
    assert!(
        matches!(&stale, Error::VersionConflict(p) if p.status == 409),
        "{stale:?}"
    );
    assert_eq!(first_page.len(), 2);
    assert!(first_page.iter().all(Result::is_ok), "{first_page:?}");
    assert!(
        matches!(&missing, Error::NotFound(p) if p.status == 404),
        "{missing:?}"
    );
    assert!(
        matches!(&unauthorized, Error::Problem(p) if p.status == 401),
        "{unauthorized:?}"
    );
}

/// Fails unless the pact just written is the checked-in one (rewriting it
/// first with `PACT_UPDATE` set).
fn compare_with_checked_in(written: &std::path::Path) {
    let fresh = std::fs::read_to_string(written.join("payments-client-payments.json")).unwrap();
    let _ = std::fs::remove_dir_all(written);
    let fresh: serde_json::Value = serde_json::from_str(&fresh).unwrap();
    let fresh = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
    if std::env::var_os("PACT_UPDATE").is_some() {
        std::fs::write(pact_file(), &fresh).unwrap();
    }
    let checked_in = std::fs::read_to_string(pact_file()).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "pacts/payments-client-payments.json is stale: run `PACT_UPDATE=1 cargo test -p payments-client --test pact_consumer` and commit the diff"
    );
}
