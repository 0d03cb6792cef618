//! What `payments-client` must do against any deployment of the API: run
//! by `tests/tests/client_everywhere.rs` against `payments serve` over TCP
//! on the memory store and on PostgreSQL, and against the Lambda function
//! through its event adapter behind a loopback bridge that speaks HTTP.
//! Each run starts from an empty store, with the HTTP table's keys.

use std::net::SocketAddr;
use std::sync::Arc;

use futures::TryStreamExt as _;
use payments_client::{Client, Config, Error, ListQuery, NewRecord};
use payments_domain::{PaymentAttributesInput, PaymentId};
use payments_ports::PaymentRepository;

use crate::http_table::{self, FORM3_SAMPLE, KEY_A};

fn gym(amount: &str) -> NewRecord {
    NewRecord {
        payment_timestamp: "2024-08-01T12:34:56Z".into(),
        payment_description: "Gym".into(),
        currency: "USD".into(),
        amount: amount.into(),
    }
}

/// Serves the API (the HTTP table's keys) on `repository` over TCP on a
/// free loopback port, as `payments serve` does, until the process ends;
/// its base URL.
///
/// # Panics
/// When no port can be bound.
pub async fn serve(repository: Arc<dyn PaymentRepository>) -> String {
    serve_router(http_table::app(repository)).await
}

/// Serves `app` on http-hyper over TCP on a free loopback port.
///
/// # Panics
/// When no port can be bound.
pub async fn serve_router(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address: SocketAddr = listener.local_addr().expect("an address");
    let config = http_hyper::ServeConfig::default();
    tokio::spawn(async move {
        let _ = http_hyper::serve(app, listener, std::future::pending(), &config).await;
    });
    format!("http://{address}")
}

/// Runs every scenario against the API at `base` (organisation A's key).
///
/// # Panics
/// When the client does not get what it should.
pub async fn run(base: &str) {
    let client = Client::new(Config::new(base, KEY_A)).expect("a client");
    records_and_replays(&client).await;
    form3_life(&client).await;
    listings_and_reports(&client).await;
    refusals(&client, base).await;
}

async fn records_and_replays(client: &Client) {
    let recorded = client
        .record_with_key(&gym("0.07"), "suite-gym-1")
        .await
        .expect("record");
    let again = client
        .record_with_key(&gym("0.07"), "suite-gym-1")
        .await
        .expect("replay");
    let fetched = client.fetch_record(recorded.id).await.expect("fetch");

    assert_eq!(again, recorded, "the same key replays the first answer");
    assert_eq!(fetched, recorded);
    assert_eq!(
        (
            recorded.amount.to_string(),
            recorded.currency.as_str(),
            recorded.version
        ),
        ("0.07".to_owned(), "USD", 0)
    );
}

async fn form3_life(client: &Client) {
    let sample: serde_json::Value = serde_json::from_str(FORM3_SAMPLE).expect("JSON");
    let created = client.create_payment(&sample).await.expect("create");
    let taken = client.create_payment(&sample).await.expect_err("taken");
    let patch = PaymentAttributesInput {
        reference: Some("Piano, January".into()),
        ..Default::default()
    };
    let updated = client
        .update_payment(created.id, 0, &patch)
        .await
        .expect("update");
    let stale = client
        .update_payment(created.id, 0, &patch)
        .await
        .expect_err("stale update");
    let stale_delete = client
        .delete_payment(created.id, 0)
        .await
        .expect_err("stale delete");
    client.delete_payment(created.id, 1).await.expect("delete");
    let gone = client.fetch_payment(created.id).await.expect_err("gone");
    let history: Vec<_> = client
        .payment_history(created.id)
        .try_collect()
        .await
        .expect("history");

    assert_eq!(created.amount(), Some("100.21"));
    assert!(
        matches!(&taken, Error::AlreadyExists(p) if p.status == 409),
        "{taken:?}"
    );
    assert_eq!(
        (
            updated.version,
            updated.attributes().expect("attributes").reference
        ),
        (1, Some("Piano, January".to_owned()))
    );
    for conflict in [&stale, &stale_delete] {
        assert!(
            matches!(conflict, Error::VersionConflict(p) if p.status == 409 && p.kind == "/problems/conflict"),
            "{conflict:?}"
        );
        assert!(conflict.request_id().is_some(), "{conflict:?}");
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

async fn listings_and_reports(client: &Client) {
    let mut ids = Vec::new();
    for amount in ["1", "2", "3", "4", "5"] {
        ids.push(client.record(&gym(amount)).await.expect("record").id);
    }
    let gbp = NewRecord {
        currency: "GBP".into(),
        ..gym("9")
    };
    client.record(&gbp).await.expect("record GBP");

    let ones: Vec<PaymentId> = client
        .list_records(
            &ListQuery::default()
                .page_size(2)
                .filter("filter[currency]", "USD")
                .filter("filter[createdOnFrom]", "2000-01-01T00:00:00Z"),
        )
        .map_ok(|record| record.id)
        .try_collect()
        .await
        .expect("list");
    let newest: Vec<PaymentId> = client
        .list_payments(&ListQuery::default().page_size(3).newest_first())
        .map_ok(|payment| payment.id)
        .try_collect()
        .await
        .expect("list newest first");
    let report = client
        .report("2024-08-01", "2024-09-01", &ListQuery::default())
        .await
        .expect("report");

    // The recorded 0.07 of the first scenario, then these five.
    assert_eq!(ones.len(), 6, "{ones:?}");
    assert_eq!(ones[1..], ids[..]);
    assert_eq!(newest.len(), 7, "with the GBP payment: {newest:?}");
    let reversed: Vec<PaymentId> = ids.iter().rev().copied().collect();
    assert_eq!(newest[1..6], reversed[..]);
    let totals: Vec<(&str, u64, &str)> = report
        .totals
        .iter()
        .map(|t| (t.currency.as_str(), t.count, t.amount.as_str()))
        .collect();
    assert_eq!(totals, [("GBP", 1, "9.00"), ("USD", 6, "15.07")]);
}

async fn refusals(client: &Client, base: &str) {
    let invalid = NewRecord {
        currency: "Dollars".into(),
        amount: "-1".into(),
        ..gym("1")
    };
    let refused = client.record(&invalid).await.expect_err("invalid");
    let Error::Invalid(problem) = &refused else {
        panic!("{refused:?}")
    };
    let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        (problem.status, pointers),
        (422, vec!["/amount", "/currency"])
    );

    let stranger =
        Client::new(Config::new(base, "not-a-known-key-000000000000")).expect("a client");
    let unknown = PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec44").expect("an id");
    let unauthorized = stranger.fetch_record(unknown).await.expect_err("401");
    assert!(
        matches!(&unauthorized, Error::Problem(p) if p.status == 401 && p.kind == "/problems/unauthorized"),
        "{unauthorized:?}"
    );
    let missing = client.fetch_record(unknown).await.expect_err("404");
    assert!(
        matches!(&missing, Error::NotFound(p) if p.status == 404),
        "{missing:?}"
    );
    client.health().await.expect("health");
    client.ready().await.expect("ready");
}
