//! The table itself: every behaviour of the HTTP contract a client relies
//! on, in groups that each own their data. Payment ids are global, so each
//! group creates Form3 payments with ids of its own.

use http::StatusCode as S;
use serde_json::{json, Value};

use super::step::{BodyCheck, Caller, Group, HeaderCheck, Step};
use super::FORM3_SAMPLE;

const SAMPLE_ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";

/// Every group, in the order a run sends them.
pub fn groups() -> Vec<Group> {
    vec![
        Group::new("operations", 1, operations()),
        Group::new("api keys", 2, api_keys()),
        Group::new("the Form3 sample's life", 3, sample_life()).as_sample_organisation(),
        Group::new("Form3 bodies and ids the API refuses", 4, form3_refusals()),
        Group::new("the recorder", 5, recorder()),
        Group::new("idempotency", 6, idempotency()),
        Group::new("listing", 7, listing()),
        Group::new("routing and request ids", 8, routing()),
        Group::new("filters", 9, filters()),
        Group::new("reports", 10, reports()),
    ]
}

fn sample() -> Value {
    serde_json::from_str(FORM3_SAMPLE).expect("the sample is JSON")
}

/// The sample as the group's own organisation's, with payment id `id`.
fn sample_as(id: &str) -> Value {
    let mut document = sample();
    document["data"]["id"] = json!(id);
    document["data"]["organisation_id"] = json!("{organisation}");
    document
}

/// `document` with the member at `pointer` set (added when absent).
fn with(mut document: Value, pointer: &str, value: Value) -> Value {
    let (parent, member) = pointer.rsplit_once('/').expect("a pointer");
    match document.pointer_mut(parent) {
        Some(Value::Object(members)) => {
            members.insert(member.to_owned(), value);
        }
        Some(Value::Array(items)) => items[member.parse::<usize>().expect("an index")] = value,
        _ => panic!("{pointer} is not inside an object or array"),
    }
    document
}

/// A recorder body with these members.
fn record(timestamp: &str, description: &str, currency: &str, amount: &Value) -> Value {
    json!({ "paymentTimestamp": timestamp, "paymentDescription": description, "currency": currency, "amount": amount })
}

fn gym() -> Value {
    record("2024-08-01T12:34:56Z", "Gym", "USD", &json!(500))
}

fn operations() -> Vec<Step> {
    vec![
        Step::get("health answers without a key", "/health")
            .by(Caller::Anonymous)
            .equals("", json!({ "status": "ok" })),
        Step::get("ready answers when the store does", "/ready")
            .by(Caller::Anonymous)
            .equals("", json!({ "status": "ready" })),
        Step::get("the OpenAPI document is served", "/openapi.json")
            .by(Caller::Anonymous)
            .equals("/openapi", json!("3.1.0")),
    ]
}

fn api_keys() -> Vec<Step> {
    vec![
        Step::post(
            "a create without a key is 401",
            "/v1/payments",
            &sample_as("5a1c9e52-8a0b-4c1e-9f0d-2b3c4d5e6f70"),
        )
        .by(Caller::Anonymous)
        .problem(S::UNAUTHORIZED, "unauthorized"),
        Step::get(
            "a read with an unknown key is 401",
            format!("/v1/payments/{SAMPLE_ID}"),
        )
        .by(Caller::Unknown("not-a-known-key-at-all"))
        .problem(S::UNAUTHORIZED, "unauthorized"),
        Step::get("the recorder needs a key too", "/payments")
            .by(Caller::Anonymous)
            .problem(S::UNAUTHORIZED, "unauthorized"),
        Step::get("nothing was created without a key", "/v1/payments")
            .expect("/data", BodyCheck::Length(0)),
    ]
}

/// The public sample, exactly as published: created, read, updated,
/// deleted, and its history read back.
#[allow(clippy::too_many_lines)] // a table: one entry per behaviour
fn sample_life() -> Vec<Step> {
    let attributes = sample()["data"]["attributes"].clone();
    let one = format!("/v1/payments/{SAMPLE_ID}");
    let update = |version: u64, attributes: Value| json!({ "data": { "id": SAMPLE_ID, "version": version, "attributes": attributes } });
    vec![
        Step::post("the Form3 sample is created", "/v1/payments", &sample())
            .status(S::CREATED)
            .equals("/data/id", json!(SAMPLE_ID))
            .equals("/data/type", json!("Payment"))
            .equals("/data/version", json!(0))
            .equals("/data/organisation_id", json!("{organisation}"))
            .equals("/data/attributes", attributes.clone())
            .expect("/data/created_on", BodyCheck::Present)
            .equals("/links/self", json!(one))
            .header_equals("etag", "\"0\"")
            .header_equals("location", one.clone())
            .expect_header("idempotent-replayed", HeaderCheck::Absent)
            .raw("/data/attributes/amount", "\"100.21\"")
            .raw("/data/attributes/fx/exchange_rate", "\"2.00000\"")
            .raw("/data/attributes/charges_information/sender_charges/0/amount", "\"5.00\""),
        Step::post("a taken id is 409", "/v1/payments", &sample()).problem(S::CONFLICT, "conflict"),
        Step::post("a body naming another organisation than the key's is 403", "/v1/payments", &with(sample(), "/data/id", json!("0b8b2c4e-7a11-4c55-9e5b-6f1d2a3b4c5d")))
            .by(Caller::Other)
            .problem(S::FORBIDDEN, "forbidden"),
        Step::get("the sample reads back string for string", &one)
            .equals("/data/attributes", attributes.clone())
            .raw("/data/attributes/amount", "\"100.21\"")
            .header_equals("etag", "\"0\"")
            .header_equals("cache-control", "no-store")
            .header_equals("x-content-type-options", "nosniff"),
        Step::get("another organisation's payment is 404", &one)
            .by(Caller::Other)
            .problem(S::NOT_FOUND, "not-found")
            .header_equals("cache-control", "no-store")
            .header_equals("x-content-type-options", "nosniff"),
        Step::get("a Form3 payment is readable as a record", format!("/payments/{SAMPLE_ID}"))
            .equals("/id", json!(SAMPLE_ID))
            .equals("/currency", json!("GBP"))
            .raw("/amount", "100.21")
            .expect("/paymentDescription", BodyCheck::Absent)
            .header_equals("etag", "\"0\""),
        Step::patch("an update at the current version changes only what it gives", &one, &update(0, json!({ "reference": "Piano lessons, January" })))
            .equals("/data/version", json!(1))
            .equals("/data/attributes/reference", json!("Piano lessons, January"))
            .raw("/data/attributes/amount", "\"100.21\"")
            .raw("/data/attributes/fx/exchange_rate", "\"2.00000\"")
            .header_equals("etag", "\"1\""),
        Step::patch("an update at a stale version is 409", &one, &update(0, json!({ "reference": "stale" })))
            .problem(S::CONFLICT, "conflict"),
        Step::new("an update naming a member twice is 422", http::Method::PATCH, one.clone())
            .raw_body(&format!(r#"{{"data": {{"id": "{SAMPLE_ID}", "version": 1, "attributes": {{"reference": "first", "reference": "second"}}}}}}"#), Some("application/json"))
            .invalid("/data/attributes/reference", "more than once"),
        Step::patch("an update cannot remove an attribute", &one, &update(1, json!({ "reference": null })))
            .invalid("/data/attributes/reference", "must not be null"),
        Step::patch("an update is validated against what it keeps", &one, &update(1, json!({ "currency": "JPY" })))
            .invalid("/data/attributes/amount", "JPY allows at most 0"),
        Step::patch("an update of another organisation's payment is 404", &one, &update(1, json!({ "reference": "mine now" })))
            .by(Caller::Other)
            .problem(S::NOT_FOUND, "not-found"),
        Step::get("refused updates changed nothing", &one)
            .equals("/data/version", json!(1))
            .equals("/data/attributes/reference", json!("Piano lessons, January"))
            .equals("/data/attributes/currency", json!("GBP")),
        Step::delete("a delete at a stale version is 409", format!("{one}?version=0")).problem(S::CONFLICT, "conflict"),
        Step::delete("a delete without a version is 400", &one).problem(S::BAD_REQUEST, "bad-request"),
        Step::delete("a delete of another organisation's payment is 404", format!("{one}?version=1"))
            .by(Caller::Other)
            .problem(S::NOT_FOUND, "not-found"),
        Step::delete("a delete at the current version is 204", format!("{one}?version=1")).status(S::NO_CONTENT),
        Step::get("a deleted payment is 404", &one).problem(S::NOT_FOUND, "not-found"),
        Step::delete("deleting it again is 404", format!("{one}?version=2")).problem(S::NOT_FOUND, "not-found"),
        Step::post("a deleted payment's id is not reused", "/v1/payments", &sample()).problem(S::CONFLICT, "conflict"),
        Step::get("the history survives deletion", format!("{one}/events"))
            .expect("/data", BodyCheck::Length(3))
            .equals("/data/0/event", json!("created"))
            .equals("/data/1/event", json!("updated"))
            .equals("/data/2/event", json!("deleted"))
            .equals("/data/2/version", json!(2))
            .equals("/data/0/payment/attributes", attributes)
            .equals("/data/1/payment/attributes/reference", json!("Piano lessons, January"))
            .equals("/links/self", json!(format!("{one}/events?page%5Bsize%5D=20")))
            .expect("/links/next", BodyCheck::Absent),
        Step::get("the history comes in pages of page[size] with a link to the next", format!("{one}/events?page%5Bsize%5D=2"))
            .expect("/data", BodyCheck::Length(2))
            .equals("/data/0/version", json!(0))
            .equals("/data/1/version", json!(1))
            .capture("next_events", "/links/next")
            .equals("/links/next", json!("{next_events}"))
            .equals("/links/self", json!(format!("{one}/events?page%5Bsize%5D=2"))),
        Step::get("the last history page has no next link", "{next_events}")
            .expect("/data", BodyCheck::Length(1))
            .equals("/data/0/event", json!("deleted"))
            .expect("/links/next", BodyCheck::Absent),
        Step::get("a history page[size] above 100 is 400", format!("{one}/events?page%5Bsize%5D=101"))
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("page[size] must be between 1 and 100, got 101")),
        Step::get("a listing cursor is no history cursor", format!("{one}/events?page%5Bafter%5D=cDEuMC4w"))
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("page[after] is not a cursor this API issued")),
        Step::get("another organisation cannot read the history", format!("{one}/events"))
            .by(Caller::Other)
            .problem(S::NOT_FOUND, "not-found"),
    ]
}

/// Creates that are refused, each with the exact error, and path ids that
/// name no payment. None of them creates anything.
#[allow(clippy::too_many_lines)] // a table: one entry per behaviour
fn form3_refusals() -> Vec<Step> {
    const ID: &str = "3c1f0a9e-4b2d-4e8f-a6c7-5d9e0f1a2b3c";
    let refused = |name, pointer: &str, value: Value| {
        Step::post(name, "/v1/payments", &with(sample_as(ID), pointer, value))
    };
    vec![
        Step::post(
            "a document inside an array is 422 at the root",
            "/v1/payments",
            &json!([sample_as(ID)]),
        )
        .invalid("", "must be a JSON object"),
        Step::post(
            "data as an array is 422 at /data, not read by position",
            "/v1/payments",
            &json!({ "data": [ID, "Payment", 0] }),
        )
        .invalid("/data", "expected a JSON object"),
        refused(
            "a party as an array is 422 at its pointer",
            "/data/attributes/debtor_party",
            json!(["EJ Brown Black", "GB29XABC10161234567801"]),
        )
        .invalid("/data/attributes/debtor_party", "expected a JSON object"),
        refused(
            "a sender charge as an array is 422 at its pointer",
            "/data/attributes/charges_information/sender_charges/0",
            json!(["5.00", "GBP"]),
        )
        .invalid(
            "/data/attributes/charges_information/sender_charges/0",
            "expected a JSON object",
        ),
        refused(
            "a currency that is not ISO 4217 is 422 at its pointer",
            "/data/attributes/currency",
            json!("Dollars"),
        )
        .invalid("/data/attributes/currency", "ISO 4217"),
        refused(
            "too many places for the currency is 422",
            "/data/attributes/amount",
            json!("100.123"),
        )
        .invalid("/data/attributes/amount", "GBP allows at most 2"),
        Step::post("every problem is reported at once", "/v1/payments", &{
            let mut body = with(sample_as(ID), "/data/id", json!("not-a-uuid"));
            body["data"]["attributes"]["charges_information"]["sender_charges"][1]["currency"] =
                json!("Dollars");
            body["data"]["attributes"]["processing_date"] = json!("18/01/2017");
            body
        })
        .invalid_all(&[
            ("/data/id", "UUID"),
            (
                "/data/attributes/charges_information/sender_charges/1/currency",
                "ISO 4217",
            ),
            ("/data/attributes/processing_date", "date"),
        ]),
        refused(
            "an unknown field is 422 pointing at it",
            "/data/attributes/colour",
            json!("blue"),
        )
        .invalid("/data/attributes/colour", "unknown field"),
        refused(
            "an unknown nested field is 422 pointing at it",
            "/data/attributes/beneficiary_party/shoe",
            json!(42),
        )
        .invalid("/data/attributes/beneficiary_party/shoe", "unknown field"),
        refused(
            "a wrong JSON type is 422 at its pointer",
            "/data/attributes/amount",
            json!(100.21),
        )
        .invalid("/data/attributes/amount", "expected a string"),
        refused(
            "a reference that would display reversed is 422 naming the code point",
            "/data/attributes/reference",
            json!("Rent\u{202E}gnp.exe"),
        )
        .invalid(
            "/data/attributes/reference",
            "U+202E (a bidirectional control)",
        ),
        Step::new(
            "a create naming a member twice is 422",
            http::Method::POST,
            "/v1/payments",
        )
        .raw_body(
            &format!(r#"{{"data": {{"id": "{ID}", "id": "{ID}"}}}}"#),
            Some("application/json"),
        )
        .invalid("/data/id", "more than once"),
        Step::new(
            "a body that is not JSON by content type is 415",
            http::Method::POST,
            "/v1/payments",
        )
        .raw_body(&sample_as(ID).to_string(), Some("text/plain"))
        .problem(S::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        Step::new("no body is 400", http::Method::POST, "/v1/payments")
            .raw_body("", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new("malformed JSON is 400", http::Method::POST, "/v1/payments")
            .raw_body("{\"data\": {", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new(
            "a syntax error after a wrong type is still 400",
            http::Method::POST,
            "/v1/payments",
        )
        .raw_body(&format!("{}]", "[".repeat(200)), Some("application/json"))
        .problem(S::BAD_REQUEST, "bad-request"),
        Step::get("an id that is not a UUID is 404", "/v1/payments/not-a-uuid")
            .problem(S::NOT_FOUND, "not-found"),
        Step::get(
            "an id whose escapes are not UTF-8 is 404",
            "/v1/payments/%FF",
        )
        .problem(S::NOT_FOUND, "not-found"),
        Step::get("an overlong-encoded id is 404", "/v1/payments/%C0%AE%C0%AE")
            .problem(S::NOT_FOUND, "not-found"),
        Step::get(
            "the recorder's read of an undecodable id is 404",
            "/payments/%FF",
        )
        .problem(S::NOT_FOUND, "not-found"),
        Step::get("nothing refused was created", "/v1/payments")
            .expect("/data", BodyCheck::Length(0)),
    ]
}

/// The recorder contract, and one payment seen through both contracts.
#[allow(clippy::too_many_lines)] // a table: one entry per behaviour
fn recorder() -> Vec<Step> {
    const FORM3_ID: &str = "6d2a7b3c-1e4f-4a5b-9c8d-7e6f5a4b3c2d";
    vec![
        Step::post("the members of a record in an array, in order, are 422 at the root", "/payments", &json!(["2024-08-01T12:34:56Z", "Gym", "USD", 500]))
            .invalid("", "must be a JSON object"),
        Step::post("a string is not a record either", "/payments", &json!("Gym"))
            .invalid("", "must be a JSON object"),
        Step::post("a payment is recorded", "/payments", &gym())
            .status(S::CREATED)
            .capture("recorded", "/id")
            .capture("created_on", "/createdOn")
            .equals("", json!({ "id": "{recorded}", "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500, "version": 0, "createdOn": "{created_on}" }))
            .header_equals("location", "/payments/{recorded}")
            .header_equals("etag", "\"0\"")
            .expect_header("idempotent-replayed", HeaderCheck::Absent),
        Step::post("amounts are exact decimals, never floats", "/payments", &record("2024-08-01T12:34:56.123456Z", "Coffee", "EUR", &json!(0.07)))
            .status(S::CREATED)
            .raw("/amount", "0.07")
            .equals("/paymentTimestamp", json!("2024-08-01T12:34:56.123456Z")),
        Step::new("a large amount comes back exactly", http::Method::POST, "/payments")
            .raw_body(r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Car", "currency": "USD", "amount": 1234567.89}"#, Some("application/json"))
            .status(S::CREATED)
            .raw("/amount", "1234567.89"),
        Step::post("an amount may be a decimal string", "/payments", &record("2024-08-01T12:34:56Z", "Rent", "BHD", &json!("1.234")))
            .status(S::CREATED)
            .raw("/amount", "1.234"),
        Step::post("Dollars is not a currency", "/payments", &record("2024-08-01T12:34:56Z", "Gym", "Dollars", &json!(500)))
            .invalid("/currency", "a currency name, not an ISO 4217 currency code; send the code, such as USD, CAD"),
        Step::post("missing recorder fields are each named", "/payments", &json!({ "currency": "USD" }))
            .invalid_all(&[("/paymentTimestamp", "is required"), ("/paymentDescription", "is required"), ("/amount", "is required")]),
        Step::post("a negative amount and a bad timestamp are both reported", "/payments", &record("yesterday", "Gym", "USD", &json!(-5)))
            .invalid_all(&[("/amount", "greater than zero"), ("/paymentTimestamp", "RFC 3339")]),
        Step::post("a description that would display reversed is 422", "/payments", &record("2024-08-01T12:34:56Z", "Gym\u{202E}exe.txt", "USD", &json!(500)))
            .invalid("/paymentDescription", "U+202E (a bidirectional control)"),
        Step::post("an unknown recorder field is 422", "/payments", &with(gym(), "/tip", json!(5)))
            .invalid("/tip", "unknown field"),
        Step::new("a recorder body naming a member twice is 422", http::Method::POST, "/payments")
            .raw_body(r#"{"paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500, "amount": 5}"#, Some("application/json"))
            .invalid("/amount", "more than once"),
        Step::new("an empty recorder body is 400", http::Method::POST, "/payments").raw_body("", None).problem(S::BAD_REQUEST, "bad-request"),
        Step::new("malformed recorder JSON is 400", http::Method::POST, "/payments")
            .raw_body("{\"amount\": 5,", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new("a syntax error is 400 even after a member the contract refuses", http::Method::POST, "/payments")
            .raw_body("{\"zzz\": 1, ", Some("application/json"))
            .problem(S::BAD_REQUEST, "bad-request"),
        Step::new("a body over 64 KiB is 413", http::Method::POST, "/payments")
            .raw_body(&format!("{{\"paymentDescription\": \"{}\"}}", "x".repeat(70_000)), Some("application/json"))
            .problem(S::PAYLOAD_TOO_LARGE, "payload-too-large"),
        Step::get("a record reads back", "/payments/{recorded}")
            .equals("/id", json!("{recorded}"))
            .equals("/paymentDescription", json!("Gym"))
            .raw("/amount", "500")
            .header_equals("etag", "\"0\""),
        Step::get("a record is a payment in the Form3 view too", "/v1/payments/{recorded}")
            .equals("/data/organisation_id", json!("{organisation}"))
            .equals("/data/attributes", json!({ "amount": "500", "currency": "USD", "description": "Gym", "payment_timestamp": "2024-08-01T12:34:56Z" })),
        Step::post("a Form3 payment is created", "/v1/payments", &sample_as(FORM3_ID)).status(S::CREATED),
        Step::get("the Form3 payment reads as a record", format!("/payments/{FORM3_ID}"))
            .equals("/currency", json!("GBP"))
            .raw("/amount", "100.21")
            .expect("/paymentDescription", BodyCheck::Absent)
            .expect("/paymentTimestamp", BodyCheck::Absent),
        Step::get("another organisation's record is 404", "/payments/{recorded}")
            .by(Caller::Other)
            .problem(S::NOT_FOUND, "not-found"),
        Step::get("the recorder lists what was recorded, and nothing refused", "/payments")
            .expect("/data", BodyCheck::Length(5))
            .equals("/data/0/id", json!("{recorded}"))
            .equals("/data/4/id", json!(FORM3_ID)),
    ]
}

fn idempotency() -> Vec<Step> {
    const FORM3_ID: &str = "9b2e4c1a-5d6f-4a7b-8c9d-0e1f2a3b4c5d";
    let books = || record("2024-08-02T09:00:00Z", "Books", "GBP", &json!("12.50"));
    let long_key = || record("2024-08-02T09:00:00Z", "Long key", "GBP", &json!("1.00"));
    vec![
        Step::post("a keyed create is recorded once", "/payments", &books())
            .header("idempotency-key", "table-retry-1")
            .status(S::CREATED)
            .expect_header("idempotent-replayed", HeaderCheck::Absent)
            .capture("keyed", "/id"),
        Step::post(
            "a retry with the same key and body replays the response",
            "/payments",
            &books(),
        )
        .header("idempotency-key", "table-retry-1")
        .status(S::CREATED)
        .header_equals("idempotent-replayed", "true")
        .header_equals("location", "/payments/{keyed}")
        .equals("/id", json!("{keyed}")),
        Step::post(
            "the same key with another body is 422",
            "/payments",
            &with(books(), "/amount", json!("13.50")),
        )
        .header("idempotency-key", "table-retry-1")
        .problem(S::UNPROCESSABLE_ENTITY, "idempotency-key-reused"),
        Step::post(
            "the same key in another organisation is independent",
            "/payments",
            &books(),
        )
        .by(Caller::Other)
        .header("idempotency-key", "table-retry-1")
        .status(S::CREATED)
        .expect_header("idempotent-replayed", HeaderCheck::Absent)
        .capture("other_keyed", "/id"),
        Step::get(
            "the other organisation's create is its own payment",
            "/payments/{other_keyed}",
        )
        .by(Caller::Other)
        .equals("/paymentDescription", json!("Books")),
        Step::post("a 255-character key is accepted", "/payments", &long_key())
            .header("idempotency-key", "k".repeat(255))
            .status(S::CREATED),
        Step::post("a 256-character key is 400", "/payments", &long_key())
            .header("idempotency-key", "k".repeat(256))
            .problem(S::BAD_REQUEST, "bad-request")
            .equals(
                "/detail",
                json!("the Idempotency-Key header must be 1 to 255 characters, got 256"),
            ),
        Step::post("a keyed Form3 create", "/v1/payments", &sample_as(FORM3_ID))
            .header("idempotency-key", "table-form3-1")
            .status(S::CREATED)
            .expect_header("idempotent-replayed", HeaderCheck::Absent),
        Step::post(
            "its retry replays the same document",
            "/v1/payments",
            &sample_as(FORM3_ID),
        )
        .header("idempotency-key", "table-form3-1")
        .status(S::CREATED)
        .header_equals("idempotent-replayed", "true")
        .header_equals("location", format!("/v1/payments/{FORM3_ID}"))
        .equals("/data/id", json!(FORM3_ID))
        .equals("/data/version", json!(0)),
        Step::get("each create made one payment", "/payments")
            .expect("/data", BodyCheck::Length(3))
            .equals("/data/0/id", json!("{keyed}"))
            .equals("/data/2/id", json!(FORM3_ID)),
    ]
}

fn listing() -> Vec<Step> {
    const FORM3_ID: &str = "1f3e5d7c-9b2a-4c6e-8d0f-a1b2c3d4e5f6";
    let recorded = |name, description: &str, capture| {
        Step::post(
            name,
            "/payments",
            &record("2024-08-03T10:00:00Z", description, "GBP", &json!("1.00")),
        )
        .status(S::CREATED)
        .capture(capture, "/id")
    };
    vec![
        Step::post("a Form3 payment is listed with the records", "/v1/payments", &sample_as(FORM3_ID)).status(S::CREATED),
        recorded("the second payment", "second", "second"),
        recorded("the third payment", "third", "third"),
        recorded("the fourth payment", "fourth", "fourth"),
        recorded("the fifth payment", "fifth", "fifth"),
        Step::post("another organisation records one", "/payments", &record("2024-08-03T10:00:00Z", "theirs", "GBP", &json!("1.00")))
            .by(Caller::Other)
            .status(S::CREATED)
            .capture("theirs", "/id"),
        Step::get("a page holds at most page[size] payments, oldest first, and links to the next", "/v1/payments?page%5Bsize%5D=2")
            .expect("/data", BodyCheck::Length(2))
            .equals("/data/0/id", json!(FORM3_ID))
            .equals("/data/1/id", json!("{second}"))
            .equals("/links/self", json!("/v1/payments?page%5Bsize%5D=2"))
            .capture("next_page", "/links/next"),
        Step::get("the next link continues after the last payment", "{next_page}")
            .expect("/data", BodyCheck::Length(2))
            .equals("/data/0/id", json!("{third}"))
            .equals("/data/1/id", json!("{fourth}"))
            .equals("/links/self", json!("{next_page}"))
            .capture("last_page", "/links/next"),
        Step::get("the last page has no next link", "{last_page}")
            .expect("/data", BodyCheck::Length(1))
            .equals("/data/0/id", json!("{fifth}"))
            .expect("/links/next", BodyCheck::Absent),
        Step::get("newest first reverses the order, in both views", "/payments?sort=-created_on&page%5Bsize%5D=100")
            .expect("/data", BodyCheck::Length(5))
            .equals("/data/0/id", json!("{fifth}"))
            .equals("/data/1/id", json!("{fourth}"))
            .equals("/data/4/id", json!(FORM3_ID))
            .equals("/links/self", json!("/payments?page%5Bsize%5D=100&sort=-created_on"))
            .expect("/links/next", BodyCheck::Absent),
        Step::get("another organisation lists only its own", "/payments")
            .by(Caller::Other)
            .expect("/data", BodyCheck::Length(1))
            .equals("/data/0/id", json!("{theirs}")),
        Step::get("page[size] above 100 is 400", "/v1/payments?page%5Bsize%5D=101")
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("page[size] must be between 1 and 100, got 101")),
        Step::get("a damaged cursor is 400", "/v1/payments?page%5Bafter%5D=garbage")
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("page[after] is not a cursor this API issued")),
        // Well formed, but about 5000 BC: PostgreSQL cannot hold it (it was a 500).
        Step::get("a cursor before any store's time is 400", "/v1/payments?page%5Bafter%5D=cDEuLTIyMDAwMDAwMDAwMDAwMDAwMC40ZWUzYThkOGNhN2I0MjkwYTUyY2RkNWI2MTY1ZWM0Mw")
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("page[after] is not a cursor this API issued")),
        Step::get("a cursor at the first instant of year 1 lists from the start", "/v1/payments?page%5Bafter%5D=cDEuLTYyMTM1NTk2ODAwMDAwMDAwLjRlZTNhOGQ4Y2E3YjQyOTBhNTJjZGQ1YjYxNjVlYzQz")
            .expect("/data", BodyCheck::Length(5)),
        Step::get("an unknown query parameter is 400 naming it", "/v1/payments?colour=blue")
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!("unknown query parameter \"colour\"; this route takes page[size], page[after], sort and filter[...]")),
    ]
}

/// Every filter once, on the route that names it, with the payments it
/// must find and those it must not; bad filters; and next links that keep
/// the filters.
fn filters() -> Vec<Step> {
    const FORM3_ID: &str = "7a1e0c52-3b4d-4e8f-9a6b-2c5d8e1f0a93";
    let recorded = |name, timestamp, currency, amount: Value, capture| {
        Step::post(
            name,
            "/payments",
            &record(timestamp, "filtered", currency, &amount),
        )
        .status(S::CREATED)
        .capture(capture, "/id")
    };
    let found = |name, path: &str, ids: &[&str]| {
        let mut step = Step::get(name, path).expect("/data", BodyCheck::Length(ids.len()));
        for (at, id) in ids.iter().enumerate() {
            const AT: [&str; 4] = ["/data/0/id", "/data/1/id", "/data/2/id", "/data/3/id"];
            step = step.equals(AT[at], json!(id));
        }
        step
    };
    let refused = |name, path: &str, detail: &str| {
        Step::get(name, path)
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!(detail))
    };
    vec![
        Step::post("the Form3 sample", "/v1/payments", &sample_as(FORM3_ID)).status(S::CREATED),
        recorded("a payment of 100.2 GBP on the 1st of August", "2024-08-01T00:00:00Z", "GBP", json!(100.2), "aug1"),
        recorded("one of 100.20 GBP at the end of July", "2024-07-31T23:59:59Z", "GBP", json!("100.20"), "jul31"),
        recorded("one of 5 USD on the 1st of September", "2024-09-01T00:00:00Z", "USD", json!(5), "sep1"),
        Step::post("another organisation's GBP payment", "/payments", &record("2024-08-01T00:00:00Z", "theirs", "GBP", &json!(100.2)))
            .by(Caller::Other)
            .status(S::CREATED),
        found("filter[currency] finds the GBP payments, the sample's too", "/v1/payments?filter%5Bcurrency%5D=GBP", &[FORM3_ID, "{aug1}", "{jul31}"]),
        found("filter[amount] compares numbers: 100.2 finds 100.20", "/payments?filter%5Bamount%5D=100.2", &["{aug1}", "{jul31}"]),
        found("filter[amount] with another scale finds the same", "/payments?filter%5Bamount%5D=100.200", &["{aug1}", "{jul31}"]),
        found("the August timestamps: _from inclusive, _to exclusive", "/payments?filter%5BpaymentTimestampFrom%5D=2024-08-01T00:00:00Z&filter%5BpaymentTimestampTo%5D=2024-09-01T00:00:00Z", &["{aug1}"]),
        found("the same range under Form3's names", "/v1/payments?filter%5Bpayment_timestamp_from%5D=2024-08-01T00:00:00Z&filter%5Bpayment_timestamp_to%5D=2024-09-01T00:00:00Z", &["{aug1}"]),
        found("filter[reference] finds the sample", "/v1/payments?filter%5Breference%5D=Payment%20for%20Em%27s%20piano%20lessons", &[FORM3_ID]),
        found("filter[payment_scheme]", "/v1/payments?filter%5Bpayment_scheme%5D=FPS", &[FORM3_ID]),
        found("filter[payment_type]", "/v1/payments?filter%5Bpayment_type%5D=Credit", &[FORM3_ID]),
        found("filter[processing_date_from] and _to around the sample's day", "/v1/payments?filter%5Bprocessing_date_from%5D=2017-01-18&filter%5Bprocessing_date_to%5D=2017-01-19", &[FORM3_ID]),
        found("filter[processing_date_to] is exclusive", "/v1/payments?filter%5Bprocessing_date_to%5D=2017-01-18", &[]),
        found("filter[beneficiary_party.account_number]", "/v1/payments?filter%5Bbeneficiary_party.account_number%5D=31926819", &[FORM3_ID]),
        found("filter[debtor_party.account_number]", "/v1/payments?filter%5Bdebtor_party.account_number%5D=GB29XABC10161234567801", &[FORM3_ID]),
        found("filter[organisation_id] of the key's organisation changes nothing", "/payments?filter%5Bcurrency%5D=USD&filter%5Borganisation_id%5D={organisation}", &["{sep1}"]),
        found("filter[organisation_id] of another organisation finds nothing", "/payments?filter%5Borganisation_id%5D={other_organisation}", &[]),
        found("filters combine with sort", "/payments?sort=-created_on&filter%5Bcurrency%5D=GBP", &["{jul31}", "{aug1}", FORM3_ID]),
        Step::get("a filtered page links to its next page with the filters", "/payments?page%5Bsize%5D=1&filter%5Bcurrency%5D=GBP")
            .expect("/data", BodyCheck::Length(1))
            .equals("/data/0/id", json!(FORM3_ID))
            .equals("/links/self", json!("/payments?page%5Bsize%5D=1&filter%5Bcurrency%5D=GBP"))
            .capture("next_gbp", "/links/next"),
        Step::get("which finds the next match", "{next_gbp}")
            .expect("/data", BodyCheck::Length(1))
            .equals("/data/0/id", json!("{aug1}")),
        found("filter[createdOnFrom] far in the future finds nothing", "/payments?filter%5BcreatedOnFrom%5D=9999-01-01T00:00:00Z", &[]),
        found("filter[created_on_to] far in the past finds nothing", "/v1/payments?filter%5Bcreated_on_to%5D=2000-01-01T00:00:00Z", &[]),
        refused("a bad currency is 400 naming the filter", "/v1/payments?filter%5Bcurrency%5D=XYZ", "filter[currency] must be an active ISO 4217 currency code, got \"XYZ\""),
        refused("a bad date is 400 naming the filter", "/v1/payments?filter%5Bprocessing_date_from%5D=18-01-2017", "filter[processing_date_from] must be a date (YYYY-MM-DD), got \"18-01-2017\""),
        refused("a bad instant is 400 naming the filter", "/payments?filter%5BpaymentTimestampTo%5D=soon", "filter[paymentTimestampTo] must be an RFC 3339 date-time, got \"soon\""),
        refused("a bad amount is 400 naming the filter", "/payments?filter%5Bamount%5D=-1", "filter[amount] must be a decimal amount above zero, got \"-1\""),
        refused("an empty filter is 400", "/v1/payments?filter%5Breference%5D=", "filter[reference] must not be empty"),
        // A filter given twice is a 400 too (http-api's unit tests), but
        // not a table step: an ALB without multi-value headers passes only
        // the last value, so the API cannot see the first.
        refused(
            "an unknown filter is 400 listing the known ones",
            "/v1/payments?filter%5Bstatus%5D=paid",
            "unknown filter \"filter[status]\"; this route filters by filter[processing_date_from], filter[processing_date_to], filter[payment_timestamp_from], filter[payment_timestamp_to], filter[created_on_from], filter[created_on_to], filter[currency], filter[amount], filter[reference], filter[payment_scheme], filter[payment_type], filter[beneficiary_party.account_number], filter[debtor_party.account_number], filter[organisation_id]",
        ),
        refused(
            "the recorder route takes its own camelCase names only",
            "/payments?filter%5Bpayment_timestamp_from%5D=2024-08-01T00:00:00Z",
            "unknown filter \"filter[payment_timestamp_from]\"; this route filters by filter[processing_date_from], filter[processing_date_to], filter[paymentTimestampFrom], filter[paymentTimestampTo], filter[createdOnFrom], filter[createdOnTo], filter[currency], filter[amount], filter[reference], filter[payment_scheme], filter[payment_type], filter[beneficiary_party.account_number], filter[debtor_party.account_number], filter[organisation_id]",
        ),
    ]
}

fn reports() -> Vec<Step> {
    let recorded = |name, timestamp, currency, amount: Value| {
        Step::post(
            name,
            "/payments",
            &record(timestamp, "reported", currency, &amount),
        )
        .status(S::CREATED)
    };
    let report = |name, query: &str, totals: Value| {
        Step::get(name, format!("/v1/reports/payments?{query}")).status(S::OK).equals(
            "/data",
            json!({ "from": "2024-08-01T00:00:00Z", "to": "2024-09-01T00:00:00Z", "totals": totals }),
        )
    };
    let refused = |name, query: &str, detail: &str| {
        Step::get(name, format!("/v1/reports/payments?{query}"))
            .problem(S::BAD_REQUEST, "bad-request")
            .equals("/detail", json!(detail))
    };
    let august = json!([
        { "currency": "BHD", "count": 2, "amount": "1.501" },
        { "currency": "GBP", "count": 2, "amount": "100.25" },
        { "currency": "JPY", "count": 1, "amount": "1000" },
        { "currency": "USD", "count": 1, "amount": "5.00" },
    ]);
    vec![
        recorded("100.2 GBP exactly at the start of August", "2024-08-01T00:00:00Z", "GBP", json!(100.2)),
        recorded("0.05 GBP a microsecond before September", "2024-08-31T23:59:59.999999Z", "GBP", json!("0.05")),
        recorded("7 GBP exactly at the start of September", "2024-09-01T00:00:00Z", "GBP", json!(7)),
        recorded("1 GBP a second before August", "2024-07-31T23:59:59Z", "GBP", json!(1)),
        recorded("5 USD mid-August", "2024-08-15T09:00:00Z", "USD", json!(5)),
        recorded("1000 JPY in August", "2024-08-10T09:00:00Z", "JPY", json!(1000)),
        recorded("0.001 BHD in August", "2024-08-10T09:00:00Z", "BHD", json!("0.001")),
        recorded("1.5 BHD in August", "2024-08-11T09:00:00Z", "BHD", json!("1.5")),
        Step::post("another organisation's GBP in August", "/payments", &record("2024-08-02T00:00:00Z", "theirs", "GBP", &json!("100.20")))
            .by(Caller::Other)
            .status(S::CREATED),
        Step::post("the Form3 sample, created now, outside August 2024", "/v1/payments", &sample_as("9b3c1d27-5e4f-4a8b-8c6d-0e1f2a3b4c5d")).status(S::CREATED),
        report("August by dates: from inclusive, to exclusive, per currency, exact", "from=2024-08-01&to=2024-09-01", august.clone()),
        report("the same period as instants with an offset", "from=2024-08-01T02:00:00%2B02:00&to=2024-09-01T00:00:00Z", august.clone()),
        report("filter[currency] keeps one line", "from=2024-08-01&to=2024-09-01&filter%5Bcurrency%5D=GBP", json!([{ "currency": "GBP", "count": 2, "amount": "100.25" }])),
        report("filter[amount] compares numbers: 100.20 finds 100.2", "from=2024-08-01&to=2024-09-01&filter%5Bamount%5D=100.20", json!([{ "currency": "GBP", "count": 1, "amount": "100.20" }])),
        report("filter[reference] that nothing has counts nothing", "from=2024-08-01&to=2024-09-01&filter%5Breference%5D=none", json!([])),
        report("filter[organisation_id] of the key's organisation changes nothing", "from=2024-08-01&to=2024-09-01&filter%5Borganisation_id%5D={organisation}", august),
        report("filter[organisation_id] of another organisation counts nothing", "from=2024-08-01&to=2024-09-01&filter%5Borganisation_id%5D={other_organisation}", json!([])),
        report("another organisation's report counts only its own", "from=2024-08-01&to=2024-09-01", json!([{ "currency": "GBP", "count": 1, "amount": "100.20" }]))
            .by(Caller::Other),
        Step::get("a period with no payments has no lines", "/v1/reports/payments?from=2023-01-01&to=2023-02-01")
            .status(S::OK)
            .equals("/data", json!({ "from": "2023-01-01T00:00:00Z", "to": "2023-02-01T00:00:00Z", "totals": [] })),
        refused("to is required", "from=2024-08-01", "to is required: the report's period is from (inclusive) to to (exclusive)"),
        refused("a bad from is 400 naming it", "from=August&to=2024-09-01", "from must be an RFC 3339 date-time or a date (YYYY-MM-DD), got \"August\""),
        refused("to must be after from", "from=2024-09-01&to=2024-08-01", "to (2024-08-01T00:00:00Z) must be after from (2024-09-01T00:00:00Z)"),
        refused("a bad filter value is 400 naming it", "from=2024-08-01&to=2024-09-01&filter%5Bcurrency%5D=XYZ", "filter[currency] must be an active ISO 4217 currency code, got \"XYZ\""),
        refused(
            "a range filter is not the report's: 400 listing the ones it takes",
            "from=2024-08-01&to=2024-09-01&filter%5Bpayment_timestamp_from%5D=2024-08-01T00:00:00Z",
            "unknown filter \"filter[payment_timestamp_from]\"; this route filters by filter[currency], filter[amount], filter[reference], filter[payment_scheme], filter[payment_type], filter[beneficiary_party.account_number], filter[debtor_party.account_number], filter[organisation_id]",
        ),
        refused("an unknown parameter is 400", "from=2024-08-01&to=2024-09-01&page%5Bsize%5D=5", "unknown query parameter \"page[size]\"; this route takes from, to and filter[...]"),
        Step::get("a report needs an API key", "/v1/reports/payments?from=2024-08-01&to=2024-09-01")
            .by(Caller::Anonymous)
            .problem(S::UNAUTHORIZED, "unauthorized"),
    ]
}

fn routing() -> Vec<Step> {
    vec![
        Step::get("an unknown route is a 404 problem", "/v2/payments")
            .problem(S::NOT_FOUND, "not-found"),
        Step::new(
            "a wrong method is 405 with Allow",
            http::Method::PUT,
            "/v1/payments",
        )
        .problem(S::METHOD_NOT_ALLOWED, "method-not-allowed")
        .header_equals("allow", "GET,HEAD,POST"),
        Step::get(
            "a sane request id is kept",
            "/v1/payments/00000000-0000-4000-8000-000000000000",
        )
        .header("x-request-id", "table-request-42")
        .problem(S::NOT_FOUND, "not-found")
        .header_equals("x-request-id", "table-request-42"),
        Step::get("an unsafe request id is replaced", "/health")
            .by(Caller::Anonymous)
            .header("x-request-id", "<script>")
            .expect_header("x-request-id", HeaderCheck::Not("<script>")),
    ]
}
