//! The HTTP contract as one table: groups of requests, each with the
//! status, headers and body a client must see. The same table runs against
//! the Router in process, the hyper server over TCP, the Lambda handler fed
//! API Gateway events, and on every store.
//!
//! - [`step`] is the table's language: a request, what must come back, and
//!   values captured for later steps;
//! - [`script`] is the table itself, in independent groups.
//!
//! Each group owns its data: it acts as an organisation of its own (and a
//! second one, for what another organisation must not see), and its steps
//! run in order with their own captured values. So a group never depends on
//! what another created, and adding a step to one never breaks another.

mod script;
pub mod step;

use std::future::Future;

use bytes::Bytes;
use http::{Request, Response};

pub use script::groups;
pub use step::{Group, Organisation};

/// The API over `repository`, accepting every key of the table: what every
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

/// The API key of organisation A, the organisation of the Form3 sample
/// (its `organisation_id`).
pub const KEY_A: &str = "table-key-organisation-a-0001";
/// Organisation A.
pub const ORGANISATION_A: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
/// The API key of organisation B, which must see none of A's payments.
pub const KEY_B: &str = "table-key-organisation-b-0002";
/// Organisation B.
pub const ORGANISATION_B: &str = "2a8cbd4e-02f7-4d4f-8d2e-9a6c3b7a1f10";

/// The public Form3 sample payment document, whose organisation is
/// [`ORGANISATION_A`]: the storage testkit's fixture, read from its one
/// file, `tests/data/form3-sample-payment.json`.
pub use payments_ports::testkit::fixtures::FORM3_SAMPLE;

/// Every organisation the table acts as: A and B, then two for each group.
pub fn organisations() -> Vec<Organisation> {
    let groups = groups();
    let mut all = vec![Organisation::a(), Organisation::b()];
    for group in &groups {
        all.extend(group.organisations());
    }
    all.sort_by(|one, other| one.id.cmp(&other.id));
    all.dedup_by(|one, other| one.id == other.id);
    all
}

/// `PAYMENTS_API_KEYS` for every organisation of the table.
pub fn api_keys_setting() -> String {
    organisations()
        .iter()
        .map(|organisation| format!("{}:{}", organisation.key, organisation.id))
        .collect::<Vec<_>>()
        .join(",")
}

/// Strings that must never appear in a log line written while the table
/// runs: every API key, and account numbers and names from the sample.
pub fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> = organisations()
        .into_iter()
        .map(|organisation| organisation.key)
        .collect();
    secrets.extend(
        [
            "31926819",
            "GB29XABC10161234567801",
            "56781234",
            "Wilfred Jeremiah Owens",
            "Emelia Jane Brown",
            "EJ Brown Black",
        ]
        .map(str::to_owned),
    );
    secrets
}

/// How many requests a whole run of the table sends.
pub fn request_count() -> usize {
    groups().iter().map(Group::len).sum()
}

/// Runs the whole table through `send`, group after group, panicking with
/// the group's and step's names at the first response that differs from
/// what the step expects.
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
    for group in groups() {
        group.run(base, &send).await;
    }
}
