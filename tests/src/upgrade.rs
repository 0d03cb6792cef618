//! Data stored by the previous release, read through the API of this one.
//!
//! Each store's upgrade test writes [`LegacyPayment`] and [`LegacyRecord`]
//! straight into the store in the form release 1 wrote them (no storage
//! format recorded, idempotency keys as release 1 kept them), runs this
//! release's `migrate`, and hands the API to [`reads_back_exactly`]. The
//! data breaks today's rules on purpose: a currency since withdrawn (`HRK`)
//! and a description longer than today's limit. Nothing of it may be lost,
//! refused or changed on the way out, and it must still take updates.

use axum::Router;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::http_table::{send_in_process, KEY_A, ORGANISATION_A};

/// The Form3-style payment: three versions in its history.
pub struct LegacyPayment;

impl LegacyPayment {
    /// Its id.
    pub const ID: &'static str = "0d2e7c54-4b1f-4e8a-9a77-3f5d6c1b2a90";
    /// How many versions it has (0, 1, 2).
    pub const VERSIONS: u64 = 3;

    /// Its attributes at `version`, as release 1 stored them (the Form3
    /// attribute JSON, decimals as strings).
    pub fn attributes(version: u64) -> Value {
        json!({
            "amount": "150.50",
            "currency": "HRK",
            "description": "d".repeat(1_500),
            "reference": format!("Invoice {version}"),
            "debtor_party": { "account_number": "31926819", "account_number_code": "BBAN" }
        })
    }

    /// When version `version` was written (the payment was created at
    /// version 0; each change one minute later).
    pub fn written_on(version: u64) -> &'static str {
        [
            "2022-06-01T10:00:00Z",
            "2022-06-01T10:01:00Z",
            "2022-06-01T10:02:00Z",
        ][usize::try_from(version).unwrap_or(0)]
    }
}

/// The recorded payment, created with an idempotency key an hour before
/// the test (so the key is in force).
pub struct LegacyRecord;

impl LegacyRecord {
    /// Its id.
    pub const ID: &'static str = "6a1f0e2b-9c3d-4f5e-8a7b-1c2d3e4f5a6b";
    /// The idempotency key it was created with.
    pub const KEY: &'static str = "legacy-release-1-key";
    /// The exact body that created it: a retry sends these bytes.
    pub const BODY: &'static str = r#"{"paymentTimestamp":"2022-12-30T10:00:00Z","paymentDescription":"Kuna","currency":"HRK","amount":"25.00"}"#;

    /// Its attributes as release 1 stored them.
    pub fn attributes() -> Value {
        json!({
            "amount": "25.00",
            "currency": "HRK",
            "description": "Kuna",
            "payment_timestamp": "2022-12-30T10:00:00Z"
        })
    }

    /// The fingerprint release 1 stored with its key: the route and body.
    pub fn fingerprint() -> String {
        http_api::request_fingerprint("/payments", Self::BODY.as_bytes())
            .as_str()
            .to_owned()
    }
}

async fn send(app: &Router, method: Method, path: &str, body: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-api-key", KEY_A);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Bytes::from(body.unwrap_or_default().to_owned()))
        .expect("a request");
    let response = send_in_process(app.clone(), request).await;
    let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), json)
}

/// Reads both legacy payments back through `app` (the API of this release
/// over the upgraded store) and checks that every read returns exactly
/// what was stored: get, list, the recorder's get, every history page; that
/// the key replays the first response although today's rules would refuse
/// its body; and that the reference of the Form3 payment can still change.
///
/// # Panics
/// When any of that does not hold.
pub async fn reads_back_exactly(app: &Router) {
    let record = reads_back(app).await;
    history_reads_back(app).await;
    reports_count(app).await;
    replays_and_updates(app, &record).await;
}

/// Both legacy payments count in reports: the Form3 one at its creation
/// (it has no payment timestamp), the record at its payment timestamp,
/// although it was created an hour ago. (The migration put them in the
/// store's period index.)
async fn reports_count(app: &Router) {
    for (from, to, amount) in [
        ("2022-06-01", "2022-07-01", "150.50"),
        ("2022-12-01", "2023-01-01", "25.00"),
    ] {
        let path = format!("/v1/reports/payments?from={from}&to={to}");
        let (status, report) = send(app, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "report: {report}");
        assert_eq!(
            report["data"]["totals"],
            json!([{ "currency": "HRK", "count": 1, "amount": amount }]),
            "{path}"
        );
    }
}

/// Get, list and the recorder's get; answers the recorder's view of the
/// keyed record, which its replay must repeat.
async fn reads_back(app: &Router) -> Value {
    let payment = format!("/v1/payments/{}", LegacyPayment::ID);
    let last = LegacyPayment::VERSIONS - 1;

    let (status, fetched) = send(app, Method::GET, &payment, None).await;
    assert_eq!(status, StatusCode::OK, "get: {fetched}");
    assert_eq!(
        fetched["data"]["attributes"],
        LegacyPayment::attributes(last)
    );
    assert_eq!(fetched["data"]["version"], json!(last));
    assert_eq!(fetched["data"]["organisation_id"], json!(ORGANISATION_A));
    assert_eq!(
        fetched["data"]["created_on"],
        json!(LegacyPayment::written_on(0))
    );

    let (status, listed) = send(app, Method::GET, "/v1/payments?page%5Bsize%5D=10", None).await;
    assert_eq!(status, StatusCode::OK, "list: {listed}");
    let listed_attributes: Vec<&Value> = listed["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|resource| &resource["attributes"])
        .collect();
    assert_eq!(
        listed_attributes,
        [
            &LegacyPayment::attributes(last),
            &LegacyRecord::attributes()
        ]
    );

    let (status, record) = send(
        app,
        Method::GET,
        &format!("/payments/{}", LegacyRecord::ID),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "recorder get: {record}");
    assert_eq!(
        record,
        json!({
            "id": LegacyRecord::ID,
            "paymentTimestamp": "2022-12-30T10:00:00Z",
            "paymentDescription": "Kuna",
            "currency": "HRK",
            "amount": 25.00,
            "version": 0,
            "createdOn": record["createdOn"],
        })
    );
    let (status, long) = send(
        app,
        Method::GET,
        &format!("/payments/{}", LegacyPayment::ID),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "recorder get: {long}");
    assert_eq!(long["paymentDescription"], json!("d".repeat(1_500)));
    record
}

async fn history_reads_back(app: &Router) {
    let payment = format!("/v1/payments/{}", LegacyPayment::ID);
    // Every history page, two events at a time, following links.next.
    let mut events = Vec::new();
    let mut next = Some(format!("{payment}/events?page%5Bsize%5D=2"));
    while let Some(page) = next.take() {
        let (status, body) = send(app, Method::GET, &page, None).await;
        assert_eq!(status, StatusCode::OK, "history page {page}: {body}");
        events.extend(body["data"].as_array().expect("events").iter().cloned());
        next = body["links"]["next"].as_str().map(str::to_owned);
    }
    let history: Vec<(Value, Value, Value)> = events
        .iter()
        .map(|event| {
            (
                event["version"].clone(),
                event["occurred_on"].clone(),
                event["payment"]["attributes"].clone(),
            )
        })
        .collect();
    let expected: Vec<(Value, Value, Value)> = (0..LegacyPayment::VERSIONS)
        .map(|version| {
            (
                json!(version),
                json!(LegacyPayment::written_on(version)),
                LegacyPayment::attributes(version),
            )
        })
        .collect();
    assert_eq!(history, expected);
}

async fn replays_and_updates(app: &Router, record: &Value) {
    let payment = format!("/v1/payments/{}", LegacyPayment::ID);
    let last = LegacyPayment::VERSIONS - 1;
    // A retry of the keyed create replays it, although today's rules would
    // refuse its currency: a refused body is checked against its key.
    let retry = Request::post("/payments")
        .header("x-api-key", KEY_A)
        .header("content-type", "application/json")
        .header("idempotency-key", LegacyRecord::KEY)
        .body(Bytes::from_static(LegacyRecord::BODY.as_bytes()))
        .expect("a request");
    let replayed = send_in_process(app.clone(), retry).await;
    assert_eq!(replayed.status(), StatusCode::CREATED);
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    let replayed: Value = serde_json::from_slice(replayed.body()).expect("JSON");
    assert_eq!(&replayed, record);

    // What the payment breaks of today's rules does not stop an update of
    // something else.
    let patch = json!({ "data": { "id": LegacyPayment::ID, "version": last,
        "attributes": { "reference": "Invoice 3, corrected" } } });
    let (status, updated) = send(app, Method::PATCH, &payment, Some(&patch.to_string())).await;
    assert_eq!(status, StatusCode::OK, "patch: {updated}");
    let mut expected = LegacyPayment::attributes(last);
    expected["reference"] = json!("Invoice 3, corrected");
    assert_eq!(updated["data"]["attributes"], expected);
    assert_eq!(updated["data"]["version"], json!(last + 1));
    let (_, fetched) = send(app, Method::GET, &payment, None).await;
    assert_eq!(fetched["data"]["attributes"], expected);
}
