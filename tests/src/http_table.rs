//! The HTTP contract as one table: a script of requests, each with the
//! status, headers and body fields a client must see. The same table runs
//! against the Router in process, the hyper server over TCP, the Lambda
//! handler fed API Gateway events, and on every store.
//!
//! The script is sequential (later steps read what earlier ones created) and
//! starts from an empty store holding no payment of [`ORGANISATION_A`] or
//! [`ORGANISATION_B`]. Values captured from a response (`{recorded}`) are
//! substituted into later paths, headers and bodies.

use std::collections::HashMap;
use std::future::Future;

use bytes::Bytes;
use http::{HeaderName, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

/// The API over `repository`, accepting the table's two keys: what every
/// run of the table is sent to, whatever the transport.
///
/// # Panics
/// Never: the table's keys are valid.
pub fn app(repository: std::sync::Arc<dyn payments_ports::PaymentRepository>) -> axum::Router {
    let keys = http_api::ApiKeys::parse(&api_keys_setting()).expect("the table's keys parse");
    let service = payments_ports::PaymentService::with_system_clock(repository);
    http_api::router(http_api::ApiState::new(service, keys))
}

/// The in-process transport: `request` through `app` with `oneshot`, no
/// socket, the response body read whole.
///
/// # Panics
/// Never for a Router (its error type is `Infallible`); when the body
/// cannot be read.
pub async fn send_in_process(app: axum::Router, request: Request<Bytes>) -> Response<Bytes> {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let Ok(response) = app.oneshot(request.map(axum::body::Body::from)).await;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("the response body is readable")
        .to_bytes();
    Response::from_parts(parts, body)
}

/// The API key of organisation A, which the table mostly acts as.
pub const KEY_A: &str = "table-key-organisation-a-0001";
/// Organisation A.
pub const ORGANISATION_A: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
/// The API key of organisation B, which must see none of A's payments.
pub const KEY_B: &str = "table-key-organisation-b-0002";
/// Organisation B.
pub const ORGANISATION_B: &str = "2a8cbd4e-02f7-4d4f-8d2e-9a6c3b7a1f10";

/// `PAYMENTS_API_KEYS` for the table's two organisations.
pub fn api_keys_setting() -> String {
    format!("{KEY_A}:{ORGANISATION_A},{KEY_B}:{ORGANISATION_B}")
}

/// Strings that must never appear in a log line written while the table
/// runs: the API keys, and account numbers and names from the sample.
pub const SECRETS: &[&str] = &[
    KEY_A,
    KEY_B,
    "31926819",
    "GB29XABC10161234567801",
    "56781234",
    "Wilfred Jeremiah Owens",
    "Emelia Jane Brown",
    "EJ Brown Black",
];

/// The public Form3 sample payment document.
pub const FORM3_SAMPLE: &str = include_str!("../data/form3-sample-payment.json");
const SAMPLE_ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";

fn sample() -> Value {
    serde_json::from_str(FORM3_SAMPLE).expect("the sample is JSON")
}

/// The sample with the member at `pointer` set (added when absent).
fn sample_with(pointer: &str, value: Value) -> Value {
    let mut document = sample();
    let (parent, member) = pointer.rsplit_once('/').expect("a pointer");
    let parent = document
        .pointer_mut(parent)
        .expect("the parent is in the sample");
    match parent {
        Value::Object(members) => {
            members.insert(member.to_owned(), value);
        }
        Value::Array(items) => items[member.parse::<usize>().expect("an index")] = value,
        _ => panic!("{pointer} is not inside an object or array"),
    }
    document
}

/// What a step expects of one header.
#[derive(Debug, Clone)]
pub enum HeaderCheck {
    /// Present with exactly this value.
    Equals(&'static str),
    /// Present, containing this text.
    Contains(&'static str),
    /// Present at all.
    Present,
    /// Absent.
    Absent,
}

/// What a step expects at one JSON Pointer of the response body.
#[derive(Debug, Clone)]
pub enum BodyCheck {
    /// Exactly this JSON value.
    Equals(Value),
    /// A string containing this text.
    Contains(&'static str),
    /// Present (any value).
    Present,
    /// Absent.
    Absent,
    /// An array of this length.
    Length(usize),
    /// A problem's `errors`: exactly these pointers, in this order, each
    /// detail containing its words.
    Errors(Vec<(&'static str, &'static str)>),
}

/// One request of the script and what must come back.
#[derive(Debug, Clone)]
pub struct Step {
    /// What the step shows, used in failure messages.
    pub name: &'static str,
    method: Method,
    path: String,
    key: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    content_type: Option<&'static str>,
    status: StatusCode,
    header_checks: Vec<(&'static str, HeaderCheck)>,
    body_checks: Vec<(&'static str, BodyCheck)>,
    raw_contains: Vec<&'static str>,
    captures: Vec<(&'static str, &'static str)>,
}

impl Step {
    fn new(name: &'static str, method: Method, path: impl Into<String>) -> Self {
        Self {
            name,
            method,
            path: path.into(),
            key: Some(KEY_A),
            headers: Vec::new(),
            body: None,
            content_type: None,
            status: StatusCode::OK,
            header_checks: vec![("x-request-id", HeaderCheck::Present)],
            body_checks: Vec::new(),
            raw_contains: Vec::new(),
            captures: Vec::new(),
        }
    }

    fn get(name: &'static str, path: impl Into<String>) -> Self {
        Self::new(name, Method::GET, path)
    }

    fn post(name: &'static str, path: impl Into<String>, body: &Value) -> Self {
        Self::new(name, Method::POST, path).json(body)
    }

    fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self.content_type = Some("application/json");
        self
    }

    fn raw_body(mut self, body: &str, content_type: Option<&'static str>) -> Self {
        self.body = Some(body.to_owned());
        self.content_type = content_type;
        self
    }

    fn key(mut self, key: Option<&'static str>) -> Self {
        self.key = key;
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn expect_header(mut self, name: &'static str, check: HeaderCheck) -> Self {
        self.header_checks.push((name, check));
        self
    }

    fn expect(mut self, pointer: &'static str, check: BodyCheck) -> Self {
        self.body_checks.push((pointer, check));
        self
    }

    fn equals(self, pointer: &'static str, value: Value) -> Self {
        self.expect(pointer, BodyCheck::Equals(value))
    }

    fn raw(mut self, text: &'static str) -> Self {
        self.raw_contains.push(text);
        self
    }

    fn capture(mut self, name: &'static str, pointer: &'static str) -> Self {
        self.captures.push((name, pointer));
        self
    }

    /// A problem+json response of this status and stable type.
    fn problem(self, status: StatusCode, kind: &'static str) -> Self {
        self.status(status)
            .expect_header(
                "content-type",
                HeaderCheck::Equals("application/problem+json"),
            )
            .equals("/type", json!(format!("/problems/{kind}")))
            .equals("/status", json!(status.as_u16()))
            .expect("/title", BodyCheck::Present)
            .expect("/detail", BodyCheck::Present)
            .expect("/request_id", BodyCheck::Present)
    }

    /// A 422 with exactly one error, at `pointer`, whose detail mentions
    /// `words`.
    fn invalid(self, pointer: &'static str, words: &'static str) -> Self {
        self.invalid_all(&[(pointer, words)])
    }

    /// A 422 whose errors are exactly `errors` (pointer, words of the
    /// detail), in order.
    fn invalid_all(self, errors: &[(&'static str, &'static str)]) -> Self {
        self.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")
            .expect("/errors", BodyCheck::Errors(errors.to_vec()))
    }
}

/// The whole script.
#[allow(clippy::too_many_lines)] // a table: one entry per behaviour
pub fn steps() -> Vec<Step> {
    use BodyCheck::{Absent, Contains, Length, Present};
    use StatusCode as S;
    let sample_attributes = sample()["data"]["attributes"].clone();
    let gym = json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500 });
    let one = format!("/v1/payments/{SAMPLE_ID}");
    vec![
        // Operations.
        Step::get("health answers without a key", "/health").key(None).equals("/status", json!("ok")),
        Step::get("ready answers when the store does", "/ready").key(None).equals("/status", json!("ready")),
        Step::get("the OpenAPI document is served", "/openapi.json").key(None).equals("/openapi", json!("3.1.0")),
        // API keys.
        Step::post("a create without a key is 401", "/v1/payments", &sample()).key(None).problem(S::UNAUTHORIZED, "unauthorized"),
        Step::get("a read with an unknown key is 401", &one).key(Some("not-a-known-key-at-all")).problem(S::UNAUTHORIZED, "unauthorized"),
        Step::get("the recorder needs a key too", "/payments").key(None).problem(S::UNAUTHORIZED, "unauthorized"),
        // Form3 create.
        Step::post("the Form3 sample is created", "/v1/payments", &sample())
            .status(S::CREATED)
            .equals("/data/id", json!(SAMPLE_ID))
            .equals("/data/type", json!("Payment"))
            .equals("/data/version", json!(0))
            .equals("/data/organisation_id", json!(ORGANISATION_A))
            .equals("/data/attributes", sample_attributes.clone())
            .expect("/data/created_on", Present)
            .equals("/links/self", json!(one))
            .expect_header("etag", HeaderCheck::Equals("\"0\""))
            .expect_header("location", HeaderCheck::Equals("/v1/payments/4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43"))
            .raw("\"amount\":\"100.21\"")
            .raw("\"exchange_rate\":\"2.00000\"")
            .raw("\"amount\":\"5.00\""),
        Step::post("a taken id is 409", "/v1/payments", &sample()).problem(S::CONFLICT, "conflict"),
        Step::post("another organisation's id in the body is 403", "/v1/payments", &sample_with("/data/id", json!("0b8b2c4e-7a11-4c55-9e5b-6f1d2a3b4c5d")))
            .key(Some(KEY_B))
            .problem(S::FORBIDDEN, "forbidden"),
        Step::post("a currency that is not ISO 4217 is 422 at its pointer", "/v1/payments", &sample_with("/data/attributes/currency", json!("Dollars")))
            .invalid("/data/attributes/currency", "ISO 4217"),
        Step::post("too many places for the currency is 422", "/v1/payments", &sample_with("/data/attributes/amount", json!("100.123")))
            .invalid("/data/attributes/amount", "GBP allows at most 2"),
        Step::post("every problem is reported at once", "/v1/payments", &{
            let mut body = sample_with("/data/id", json!("not-a-uuid"));
            body["data"]["attributes"]["charges_information"]["sender_charges"][1]["currency"] = json!("Dollars");
            body["data"]["attributes"]["processing_date"] = json!("18/01/2017");
            body
        })
        .invalid_all(&[
            ("/data/id", "UUID"),
            ("/data/attributes/charges_information/sender_charges/1/currency", "ISO 4217"),
            ("/data/attributes/processing_date", "date"),
        ]),
        Step::post("an unknown field is 422 pointing at it", "/v1/payments", &sample_with("/data/attributes/colour", json!("blue")))
            .invalid("/data/attributes/colour", "unknown field"),
        Step::post("an unknown nested field is 422 pointing at it", "/v1/payments", &sample_with("/data/attributes/beneficiary_party/shoe", json!(42)))
            .invalid("/data/attributes/beneficiary_party/shoe", "unknown field"),
        Step::post("a wrong JSON type is 422 at its pointer", "/v1/payments", &sample_with("/data/attributes/amount", json!(100.21)))
            .invalid("/data/attributes/amount", "expected a string"),
        Step::new("a body that is not JSON by content type is 415", Method::POST, "/v1/payments")
            .raw_body(&sample().to_string(), Some("text/plain"))
            .problem(S::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        Step::new("no body is 400", Method::POST, "/v1/payments")
            .raw_body("", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new("malformed JSON is 400", Method::POST, "/v1/payments")
            .raw_body("{\"data\": {", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new("a syntax error is 400 even after a member the contract refuses", Method::POST, "/payments")
            .raw_body("{\"zzz\": 1, ", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new("a body over 64 KiB is 413", Method::POST, "/payments")
            .raw_body(&format!("{{\"paymentDescription\": \"{}\"}}", "x".repeat(70_000)), Some("application/json"))
            .problem(S::PAYLOAD_TOO_LARGE, "payload-too-large"),
        // Form3 read, scoped by organisation.
        Step::get("the sample reads back string for string", &one)
            .equals("/data/attributes", sample_attributes.clone())
            .expect_header("etag", HeaderCheck::Equals("\"0\""))
            .expect_header("cache-control", HeaderCheck::Equals("no-store"))
            .expect_header("x-content-type-options", HeaderCheck::Equals("nosniff")),
        Step::get("another organisation's payment is 404", &one)
            .key(Some(KEY_B))
            .problem(S::NOT_FOUND, "not-found")
            .expect_header("cache-control", HeaderCheck::Equals("no-store"))
            .expect_header("x-content-type-options", HeaderCheck::Equals("nosniff")),
        Step::get("an id that is not a UUID is 404", "/v1/payments/not-a-uuid").problem(S::NOT_FOUND, "not-found"),
        Step::get("an id whose escapes are not UTF-8 is 404", "/v1/payments/%FF").problem(S::NOT_FOUND, "not-found"),
        Step::get("an overlong-encoded id is 404", "/v1/payments/%C0%AE%C0%AE").problem(S::NOT_FOUND, "not-found"),
        Step::get("the recorder's read of an undecodable id is 404", "/payments/%FF").problem(S::NOT_FOUND, "not-found"),
        // Form3 update.
        Step::new("an update at the current version changes only what it gives", Method::PATCH, one.clone())
            .json(&json!({ "data": { "id": SAMPLE_ID, "version": 0, "attributes": { "reference": "Piano lessons, January" } } }))
            .equals("/data/version", json!(1))
            .equals("/data/attributes/reference", json!("Piano lessons, January"))
            .equals("/data/attributes/amount", json!("100.21"))
            .equals("/data/attributes/fx/exchange_rate", json!("2.00000"))
            .expect_header("etag", HeaderCheck::Equals("\"1\"")),
        Step::new("an update at a stale version is 409", Method::PATCH, one.clone())
            .json(&json!({ "data": { "id": SAMPLE_ID, "version": 0, "attributes": { "reference": "stale" } } }))
            .problem(S::CONFLICT, "conflict"),
        Step::new("an update naming a member twice is 422 and changes nothing", Method::PATCH, one.clone())
            .raw_body(&format!(r#"{{"data": {{"id": "{SAMPLE_ID}", "version": 1, "attributes": {{"reference": "first", "reference": "second"}}}}}}"#), Some("application/json"))
            .invalid("/data/attributes/reference", "more than once"),
        Step::new("an update cannot remove an attribute", Method::PATCH, one.clone())
            .json(&json!({ "data": { "id": SAMPLE_ID, "version": 1, "attributes": { "reference": null } } }))
            .invalid("/data/attributes/reference", "cannot be removed"),
        Step::new("an update is validated against what it keeps", Method::PATCH, one.clone())
            .json(&json!({ "data": { "id": SAMPLE_ID, "version": 1, "attributes": { "currency": "JPY" } } }))
            .invalid("/data/attributes/amount", "JPY allows at most 0"),
        Step::new("an update of another organisation's payment is 404", Method::PATCH, one.clone())
            .key(Some(KEY_B))
            .json(&json!({ "data": { "id": SAMPLE_ID, "version": 1, "attributes": { "reference": "mine now" } } }))
            .problem(S::NOT_FOUND, "not-found"),
        // Recorder.
        Step::post("a payment is recorded", "/payments", &gym)
            .status(S::CREATED)
            .equals("/paymentTimestamp", json!("2024-08-01T12:34:56Z"))
            .equals("/paymentDescription", json!("Gym"))
            .equals("/currency", json!("USD"))
            .equals("/amount", json!(500))
            .equals("/version", json!(0))
            .expect("/id", Present)
            .expect("/createdOn", Present)
            .expect_header("location", HeaderCheck::Contains("/payments/"))
            .capture("recorded", "/id"),
        Step::post("amounts are exact decimals, never floats", "/payments", &json!({ "paymentTimestamp": "2024-08-01T12:34:56.123456Z", "paymentDescription": "Coffee", "currency": "EUR", "amount": 0.07 }))
            .status(S::CREATED)
            .raw("\"amount\":0.07,")
            .equals("/paymentTimestamp", json!("2024-08-01T12:34:56.123456Z")),
        Step::new("a large amount comes back exactly", Method::POST, "/payments")
            .raw_body(r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Car", "currency": "USD", "amount": 1234567.89}"#, Some("application/json"))
            .status(S::CREATED)
            .raw("\"amount\":1234567.89,"),
        Step::post("an amount may be a decimal string", "/payments", &json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Rent", "currency": "BHD", "amount": "1.234" }))
            .status(S::CREATED)
            .raw("\"amount\":1.234,"),
        Step::post("Dollars is not a currency", "/payments", &json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "Dollars", "amount": 500 }))
            .invalid("/currency", "a currency name, not an ISO 4217 currency code; send the code, such as USD, CAD"),
        Step::post("missing recorder fields are each named", "/payments", &json!({ "currency": "USD" }))
            .invalid_all(&[("/paymentTimestamp", "is required"), ("/paymentDescription", "is required"), ("/amount", "is required")]),
        Step::post("a negative amount and a bad timestamp are both reported", "/payments", &json!({ "paymentTimestamp": "yesterday", "paymentDescription": "Gym", "currency": "USD", "amount": -5 }))
            .invalid_all(&[("/amount", "greater than zero"), ("/paymentTimestamp", "RFC 3339")]),
        Step::post("a description that would display reversed is 422", "/payments", &json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym\u{202E}exe.txt", "currency": "USD", "amount": 500 }))
            .invalid("/paymentDescription", "U+202E (a bidirectional control)"),
        Step::post("an unknown recorder field is 422", "/payments", &json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500, "tip": 5 }))
            .invalid("/tip", "unknown field"),
        Step::new("an empty recorder body is 400", Method::POST, "/payments").raw_body("", None).problem(S::BAD_REQUEST, "bad-request"),
        Step::new("malformed recorder JSON is 400", Method::POST, "/payments")
            .raw_body("{\"amount\": 5,", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::get("a record reads back", "/payments/{recorded}").equals("/paymentDescription", json!("Gym")).equals("/amount", json!(500)),
        Step::get("a record is a payment in the Form3 view too", "/v1/payments/{recorded}")
            .equals("/data/attributes/description", json!("Gym"))
            .equals("/data/attributes/amount", json!("500"))
            .equals("/data/attributes/payment_timestamp", json!("2024-08-01T12:34:56Z")),
        Step::get("a Form3 payment is readable as a record", format!("/payments/{SAMPLE_ID}"))
            .equals("/currency", json!("GBP"))
            .raw("\"amount\":100.21,")
            .expect("/paymentDescription", Absent),
        Step::get("another organisation's record is 404", "/payments/{recorded}").key(Some(KEY_B)).problem(S::NOT_FOUND, "not-found"),
        // Idempotency.
        Step::post("a keyed create is recorded once", "/payments", &json!({ "paymentTimestamp": "2024-08-02T09:00:00Z", "paymentDescription": "Books", "currency": "GBP", "amount": "12.50" }))
            .header("idempotency-key", "table-retry-1")
            .status(S::CREATED)
            .expect_header("idempotent-replayed", HeaderCheck::Absent)
            .capture("keyed", "/id"),
        Step::post("a retry with the same key and body replays the response", "/payments", &json!({ "paymentTimestamp": "2024-08-02T09:00:00Z", "paymentDescription": "Books", "currency": "GBP", "amount": "12.50" }))
            .header("idempotency-key", "table-retry-1")
            .status(S::CREATED)
            .expect_header("idempotent-replayed", HeaderCheck::Equals("true"))
            .equals("/id", json!("{keyed}")),
        Step::post("the same key with another body is 422", "/payments", &json!({ "paymentTimestamp": "2024-08-02T09:00:00Z", "paymentDescription": "Books", "currency": "GBP", "amount": "13.50" }))
            .header("idempotency-key", "table-retry-1")
            .problem(S::UNPROCESSABLE_ENTITY, "idempotency-key-reused"),
        Step::post("the same key in another organisation is independent", "/payments", &json!({ "paymentTimestamp": "2024-08-02T09:00:00Z", "paymentDescription": "Books", "currency": "GBP", "amount": "12.50" }))
            .key(Some(KEY_B))
            .header("idempotency-key", "table-retry-1")
            .status(S::CREATED)
            .expect_header("idempotent-replayed", HeaderCheck::Absent),
        Step::post("a 255-character key is accepted", "/payments", &json!({ "paymentTimestamp": "2024-08-02T09:00:00Z", "paymentDescription": "Long key", "currency": "GBP", "amount": "1.00" }))
            .header("idempotency-key", "k".repeat(255))
            .status(S::CREATED),
        Step::post("a 256-character key is 400", "/payments", &json!({ "paymentTimestamp": "2024-08-02T09:00:00Z", "paymentDescription": "Long key", "currency": "GBP", "amount": "1.00" }))
            .header("idempotency-key", "k".repeat(256))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::post("a keyed Form3 create replays too", "/v1/payments", &sample_with("/data/id", json!("9b2e4c1a-5d6f-4a7b-8c9d-0e1f2a3b4c5d")))
            .header("idempotency-key", "table-form3-1")
            .status(S::CREATED),
        Step::post("its retry replays the same document", "/v1/payments", &sample_with("/data/id", json!("9b2e4c1a-5d6f-4a7b-8c9d-0e1f2a3b4c5d")))
            .header("idempotency-key", "table-form3-1")
            .status(S::CREATED)
            .expect_header("idempotent-replayed", HeaderCheck::Equals("true"))
            .equals("/data/version", json!(0)),
        // Listing.
        Step::get("a page holds at most page[size] payments and links to the next", "/v1/payments?page%5Bsize%5D=2")
            .expect("/data", Length(2))
            .equals("/data/0/id", json!(SAMPLE_ID))
            .equals("/data/1/id", json!("{recorded}"))
            .expect("/links/self", Contains("page%5Bsize%5D=2"))
            .expect("/links/next", Present)
            .capture("next_page", "/links/next"),
        Step::get("the next link continues after the last payment", "{next_page}")
            .expect("/data", Length(2))
            .equals("/data/0/attributes/description", json!("Coffee")),
        Step::get("newest first reverses the order", "/payments?sort=-created_on&page%5Bsize%5D=100")
            .expect("/data", Length(8))
            .equals("/data/0/id", json!("9b2e4c1a-5d6f-4a7b-8c9d-0e1f2a3b4c5d"))
            .equals("/data/7/id", json!(SAMPLE_ID))
            .expect("/links/next", Absent),
        Step::get("another organisation lists only its own", "/payments").key(Some(KEY_B)).expect("/data", Length(1)),
        Step::get("page[size] above 100 is 400", "/v1/payments?page%5Bsize%5D=101").problem(S::BAD_REQUEST, "bad-request"),
        Step::get("a damaged cursor is 400", "/v1/payments?page%5Bafter%5D=garbage").problem(S::BAD_REQUEST, "bad-request"),
        // Well formed, but about 5000 BC: PostgreSQL cannot hold it (it was a 500).
        Step::get("a cursor before any store's time is 400", "/v1/payments?page%5Bafter%5D=cDEuLTIyMDAwMDAwMDAwMDAwMDAwMC40ZWUzYThkOGNhN2I0MjkwYTUyY2RkNWI2MTY1ZWM0Mw")
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("page[after] is not a cursor this API issued")),
        Step::get("a cursor at the first instant of year 1 is read", "/v1/payments?page%5Bafter%5D=cDEuLTYyMTM1NTk2ODAwMDAwMDAwLjRlZTNhOGQ4Y2E3YjQyOTBhNTJjZGQ1YjYxNjVlYzQz").status(S::OK),
        // Delete and history.
        Step::new("a delete at a stale version is 409", Method::DELETE, format!("{one}?version=0")).problem(S::CONFLICT, "conflict"),
        Step::new("a delete without a version is 400", Method::DELETE, one.clone()).problem(S::BAD_REQUEST, "bad-request"),
        Step::new("a delete of another organisation's payment is 404", Method::DELETE, format!("{one}?version=1"))
            .key(Some(KEY_B))
            .problem(S::NOT_FOUND, "not-found"),
        Step::new("a delete at the current version is 204", Method::DELETE, format!("{one}?version=1")).status(S::NO_CONTENT),
        Step::get("a deleted payment is 404", &one).problem(S::NOT_FOUND, "not-found"),
        Step::new("deleting it again is 404", Method::DELETE, format!("{one}?version=2")).problem(S::NOT_FOUND, "not-found"),
        Step::post("a deleted payment's id is not reused", "/v1/payments", &sample()).problem(S::CONFLICT, "conflict"),
        Step::get("the history survives deletion", format!("{one}/events"))
            .expect("/data", Length(3))
            .equals("/data/0/event", json!("created"))
            .equals("/data/1/event", json!("updated"))
            .equals("/data/2/event", json!("deleted"))
            .equals("/data/2/version", json!(2))
            .equals("/data/0/payment/attributes", sample_attributes),
        Step::get("the history comes in pages of page[size] with a link to the next", format!("{one}/events?page%5Bsize%5D=2"))
            .expect("/data", Length(2))
            .equals("/data/0/version", json!(0))
            .equals("/data/1/version", json!(1))
            .expect("/links/next", Present)
            .capture("next_events", "/links/next"),
        Step::get("the last history page has no next link", "{next_events}")
            .expect("/data", Length(1))
            .equals("/data/0/event", json!("deleted"))
            .expect("/links/next", Absent),
        Step::get("a history page[size] above 100 is 400", format!("{one}/events?page%5Bsize%5D=101")).problem(S::BAD_REQUEST, "bad-request"),
        Step::get("a listing cursor is no history cursor", format!("{one}/events?page%5Bafter%5D=cDEuMC4w")).problem(S::BAD_REQUEST, "bad-request"),
        Step::get("another organisation cannot read the history", format!("{one}/events"))
            .key(Some(KEY_B))
            .problem(S::NOT_FOUND, "not-found"),
        // Routing and request ids.
        Step::get("an unknown route is a 404 problem", "/v2/payments").problem(S::NOT_FOUND, "not-found"),
        Step::new("a wrong method is 405 with Allow", Method::PUT, "/v1/payments")
            .problem(S::METHOD_NOT_ALLOWED, "method-not-allowed")
            .expect_header("allow", HeaderCheck::Contains("POST")),
        Step::get("a sane request id is kept", "/v1/payments/00000000-0000-4000-8000-000000000000")
            .header("x-request-id", "table-request-42")
            .problem(S::NOT_FOUND, "not-found")
            .expect_header("x-request-id", HeaderCheck::Equals("table-request-42"))
            .equals("/request_id", json!("table-request-42")),
        Step::get("an unsafe request id is replaced", "/health")
            .key(None)
            .header("x-request-id", "<script>")
            .expect_header("x-request-id", HeaderCheck::Present),
    ]
}

fn substitute(text: &str, captured: &HashMap<&'static str, String>) -> String {
    captured
        .iter()
        .fold(text.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

fn substitute_json(value: &Value, captured: &HashMap<&'static str, String>) -> Value {
    match value {
        Value::String(text) => Value::String(substitute(text, captured)),
        other => other.clone(),
    }
}

/// Runs the whole table through `send`, panicking with the step's name at
/// the first response that differs from what the step expects.
///
/// # Panics
/// When a response breaks the contract.
pub async fn run<F, Fut>(send: F)
where
    F: Fn(Request<Bytes>) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    run_under("", send).await;
}

/// [`run`] for a front end the client reaches below a path prefix (an API
/// Gateway stage such as `/prod`): `send` takes paths as the Router sees
/// them, and every link and `Location` the API writes must start with
/// `base`. A link the script follows is handed to `send` without `base`.
///
/// # Panics
/// When a response breaks the contract.
pub async fn run_under<F, Fut>(base: &str, send: F)
where
    F: Fn(Request<Bytes>) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let mut captured: HashMap<&'static str, String> = HashMap::new();
    for step in steps() {
        let request = build(&step, &captured);
        let response = send(request).await;
        check(&step, &response, &captured, base);
        if !step.captures.is_empty() {
            let body: Value =
                serde_json::from_slice(response.body()).expect("a JSON body to capture from");
            for (name, pointer) in &step.captures {
                let value = body.pointer(pointer).and_then(Value::as_str);
                let value = value
                    .unwrap_or_else(|| panic!("{}: nothing to capture at {pointer}", step.name));
                let value = match value.strip_prefix(base) {
                    Some(path) if !base.is_empty() && path.starts_with('/') => path,
                    _ => value,
                };
                captured.insert(name, value.to_owned());
            }
        }
    }
}

/// Links and `Location` are written for the client, so below a base path
/// they start with it.
fn expected_link(value: &str, base: &str) -> String {
    if value.starts_with('/') {
        format!("{base}{value}")
    } else {
        value.to_owned()
    }
}

fn build(step: &Step, captured: &HashMap<&'static str, String>) -> Request<Bytes> {
    let mut request = Request::builder()
        .method(step.method.clone())
        .uri(substitute(&step.path, captured));
    if let Some(key) = step.key {
        request = request.header("x-api-key", key);
    }
    if let Some(content_type) = step.content_type {
        request = request.header("content-type", content_type);
    }
    for (name, value) in &step.headers {
        request = request.header(*name, substitute(value, captured));
    }
    let body = step
        .body
        .as_deref()
        .map(|b| substitute(b, captured))
        .unwrap_or_default();
    request
        .body(Bytes::from(body))
        .expect("a well-formed request")
}

fn check(
    step: &Step,
    response: &Response<Bytes>,
    captured: &HashMap<&'static str, String>,
    base: &str,
) {
    let name = step.name;
    let text = String::from_utf8_lossy(response.body());
    assert_eq!(
        response.status(),
        step.status,
        "{name}: status (body: {text})"
    );
    for (header, expected) in &step.header_checks {
        let value = response
            .headers()
            .get(HeaderName::from_static(header))
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        match (expected, value) {
            (HeaderCheck::Absent, None) | (HeaderCheck::Present, Some(_)) => {}
            (HeaderCheck::Equals(want), Some(got)) if *header == "location" => {
                assert_eq!(got, expected_link(want, base), "{name}: header {header}");
            }
            (HeaderCheck::Equals(want), Some(got)) => {
                assert_eq!(&got, want, "{name}: header {header}");
            }
            (HeaderCheck::Contains(want), Some(got)) => {
                assert!(got.contains(want), "{name}: header {header} = {got:?}");
            }
            (check, got) => panic!("{name}: header {header} expected {check:?}, got {got:?}"),
        }
    }
    for fragment in &step.raw_contains {
        assert!(
            text.contains(fragment),
            "{name}: body lacks {fragment:?}: {text}"
        );
    }
    if step.body_checks.is_empty() {
        return;
    }
    let body: Value = serde_json::from_slice(response.body())
        .unwrap_or_else(|_| panic!("{name}: body is not JSON: {text}"));
    for (pointer, expected) in &step.body_checks {
        let got = body.pointer(pointer);
        match (expected, got) {
            (BodyCheck::Absent, None) | (BodyCheck::Present, Some(_)) => {}
            (BodyCheck::Equals(Value::String(link)), Some(got))
                if pointer.starts_with("/links/") =>
            {
                assert_eq!(
                    got,
                    &Value::from(expected_link(link, base)),
                    "{name}: {pointer} in {text}"
                );
            }
            (BodyCheck::Equals(want), Some(got)) => {
                assert_eq!(
                    got,
                    &substitute_json(want, captured),
                    "{name}: {pointer} in {text}"
                );
            }
            (BodyCheck::Contains(want), Some(Value::String(got))) => {
                assert!(got.contains(want), "{name}: {pointer} = {got:?}");
            }
            (BodyCheck::Length(want), Some(Value::Array(items))) => {
                assert_eq!(items.len(), *want, "{name}: {pointer} length in {text}");
            }
            (BodyCheck::Errors(want), Some(Value::Array(items))) => {
                let pointers: Vec<&Value> = items.iter().map(|item| &item["pointer"]).collect();
                let wanted: Vec<Value> = want.iter().map(|(at, _)| json!(at)).collect();
                assert_eq!(
                    pointers,
                    wanted.iter().collect::<Vec<_>>(),
                    "{name}: error pointers in {text}"
                );
                for (item, (at, words)) in items.iter().zip(want) {
                    let detail = item["detail"].as_str().unwrap_or_default();
                    assert!(
                        detail.contains(words),
                        "{name}: the error at {at} says {detail:?}, not {words:?}"
                    );
                }
            }
            (check, got) => panic!("{name}: {pointer} expected {check:?}, got {got:?} in {text}"),
        }
    }
}
