//! The HTTP table against the Router in process (`oneshot`, no socket), on
//! the in-memory store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_tests::http_table::{self, send_in_process};

fn app() -> axum::Router {
    http_table::app(Arc::new(MemoryRepository::new()))
}

#[tokio::test]
async fn the_table_passes_in_process() {
    let app = app();
    http_table::run(|request| send_in_process(app.clone(), request)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_have_one_winner_in_process() {
    payments_tests::concurrency::writers_race_with_one_winner(&app()).await;
}

/// A deployment that accepts legacy currency names on the recorder route
/// records the code they stand for; names it does not list still get the
/// suggestions.
#[tokio::test]
async fn a_currency_alias_is_recorded_as_its_code() {
    use bytes::Bytes;
    use http::{Request, StatusCode};
    use http_api::{ApiKeys, ApiState, CurrencyAliases};
    use payments_ports::PaymentService;

    let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
    let keys = ApiKeys::parse(&http_table::api_keys_setting()).unwrap();
    let aliases = CurrencyAliases::parse("Dollars=USD").unwrap();
    let app = http_api::router(ApiState::new(service, keys).with_currency_aliases(aliases));
    let record = |currency: &str| {
        let body = serde_json::json!({ "paymentTimestamp": "2024-08-01T12:34:56Z",
            "paymentDescription": "Gym", "currency": currency, "amount": 500 });
        Request::post("/payments")
            .header("x-api-key", http_table::KEY_A)
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_string()))
            .unwrap()
    };

    let dollars = send_in_process(app.clone(), record("Dollars")).await;
    let pounds = send_in_process(app.clone(), record("Pounds")).await;

    assert_eq!(dollars.status(), StatusCode::CREATED);
    let recorded: serde_json::Value = serde_json::from_slice(dollars.body()).unwrap();
    assert_eq!(recorded["currency"], "USD");
    let location = dollars.headers()["location"].to_str().unwrap().to_owned();
    let read = send_in_process(
        app,
        Request::get(location)
            .header("x-api-key", http_table::KEY_A)
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    let read: serde_json::Value = serde_json::from_slice(read.body()).unwrap();
    assert_eq!(read["currency"], "USD");
    assert_eq!(pounds.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = serde_json::from_slice(pounds.body()).unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/currency");
    assert_eq!(
        problem["errors"][0]["detail"],
        r#""Pounds" is a currency name, not an ISO 4217 currency code; send the code, such as GBP or EGP"#
    );
}
