//! Runs the payments [`Router`] under AWS Lambda with `lambda_http`: API
//! Gateway REST API (v1) proxy events, HTTP API (v2) events and Application
//! Load Balancer events all reach the same Router that `http-hyper` serves
//! over TCP.
//!
//! ```no_run
//! use std::sync::Arc;
//! use adapter_memory::MemoryRepository;
//! use http_api::{router, ApiKeys, ApiState};
//! use payments_ports::PaymentService;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_http::Error> {
//!     http_lambda::init_json_logging();
//!     // Everything slow (configuration, SDK clients, the store) is built
//!     // here, once per execution environment, before the first event.
//!     let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
//!     let keys = ApiKeys::parse("a-long-secret-api-key:743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb")?;
//!     http_lambda::run(router(ApiState::new(service, keys))).await
//! }
//! ```
//!
//! What this crate adds to `lambda_http`, and why:
//!
//! - **The stage never reaches the Router.** `lambda_http` puts the API
//!   Gateway stage in front of the path (`/prod/v1/payments`) unless the
//!   deployer remembers `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`, and even then
//!   an HTTP API's `rawPath` still starts with a named stage. The Router's
//!   routes have no stage, so [`respond`] takes the path from the event
//!   itself whatever the environment says: a REST API's `path` (which never
//!   holds the stage), an HTTP API's `rawPath` less `/<stage>`, an ALB's
//!   `path` as it is. See [`router_path`].
//! - **Request ids.** The Lambda request id becomes `x-request-id` on the
//!   request the Router sees, so access logs and problem bodies quote the id
//!   that CloudWatch's `START`/`REPORT` lines carry. A sane `x-request-id`
//!   sent by the client is kept instead, exactly as `http-hyper` keeps it, so
//!   the HTTP contract is the same on every front end.
//! - **Logs.** [`init_json_logging`] writes JSON lines ([`json_subscriber`]);
//!   every line written while an event is handled lists the `invocation`
//!   span with `lambda_request_id` and `xray_trace_id`.
//! - **Metrics.** [`init_emf_metrics`] installs a `metrics` recorder that
//!   [`respond`] flushes after each event as CloudWatch Embedded Metric
//!   Format lines on stdout: the same request, latency and store metrics as
//!   `payments serve`'s `/metrics`, with no API call ([`emf`]).
//! - **Bodies.** Base64 request bodies are decoded by `lambda_http`.
//!   Responses are read whole here, so a failing body becomes a logged 500
//!   problem instead of a panic; `lambda_http` then sends text content types
//!   (`application/json`, `application/problem+json`, `text/*`) as text and
//!   anything else base64-encoded with `isBase64Encoded: true`.
//!
//! API keys are not checked here: the Router checks `x-api-key` on every
//! payment route with the same key → organisation mapping as `serve`, so a
//! request that reaches the function without passing API Gateway's own key
//! check is refused all the same (401).

pub mod emf;
mod logging;
mod path;
mod request_id;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::IntoResponse as _;
use axum::Router;
use http::Response;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use tracing::Instrument as _;

pub use emf::{init_emf_metrics, init_emf_metrics_with};
pub use logging::{init_json_logging, invocation_span, json_subscriber};
pub use path::{base_path, router_path};

/// Runs `router` as this process's Lambda function: polls the Lambda
/// runtime API for events and answers each through [`respond`]. Build
/// everything slow before calling it; it returns only when the runtime API
/// fails.
///
/// # Errors
/// When the Lambda runtime API cannot be reached or answers with an error.
///
/// # Panics
/// `lambda_http` panics when the Lambda environment variables
/// (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`, ...) are missing,
/// that is, when not run by Lambda.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(PaymentsFunction::new(router)).await
}

/// Hands one Lambda request to the Router and returns its response, read
/// whole. The request's path loses the API Gateway stage (see
/// [`router_path`]) and its `x-request-id` becomes the Lambda request id
/// unless the client sent a sane one. Never fails: the Router answers every
/// request, and a response body that cannot be read becomes a 500 problem.
///
/// This is the whole function minus the runtime loop, so tests can feed it
/// event JSON: deserialise a `lambda_http::request::LambdaRequest`, convert
/// it with `.into()`, attach a `lambda_http::Context` with
/// `RequestExt::with_lambda_context`, and call this.
pub async fn respond(router: Router, request: lambda_http::Request) -> Response<Body> {
    let span = invocation_span(&request);
    async move {
        let request = prepare(request);
        let response = match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let response = match body.collect().await {
            Ok(collected) => Response::from_parts(parts, Body::from(collected.to_bytes())),
            Err(error) => {
                tracing::error!(%error, status = parts.status.as_u16(), "the response body could not be read");
                http_api::Problem::internal().into_response()
            }
        };
        emf::flush();
        response
    }
    .instrument(span)
    .await
}

/// The request as the Router should see it: stage-free path, the stage as
/// the base path of the links it writes, request id, and the body as
/// axum's.
fn prepare(request: lambda_http::Request) -> http::Request<Body> {
    let path_and_query = router_path(&request);
    let base = base_path(&request);
    let mut request = request_id::adopt_lambda_request_id(request);
    if let Some(base) = base {
        request.extensions_mut().insert(base);
    }
    if let Some(path_and_query) = path_and_query {
        let mut parts = request.uri().clone().into_parts();
        parts.path_and_query = Some(path_and_query);
        match http::Uri::from_parts(parts) {
            Ok(uri) => *request.uri_mut() = uri,
            // Cannot happen for a URI lambda_http built; the Router then
            // sees lambda_http's path and answers 404 rather than failing.
            Err(error) => tracing::warn!(%error, "could not set the stage-free path"),
        }
    }
    request.map(|body| match body {
        lambda_http::Body::Text(text) => Body::from(text),
        lambda_http::Body::Binary(bytes) => Body::from(bytes),
        _ => Body::empty(),
    })
}

/// The function as a tower [`Service`](tower::Service) of Lambda requests:
/// what [`run`] hands to `lambda_http::run`. Cheap to clone (the Router is
/// shared). Tests can wrap it in `lambda_http`'s event adapter to see the
/// exact JSON a Lambda invocation returns.
#[derive(Clone)]
pub struct PaymentsFunction {
    router: Router,
}

impl PaymentsFunction {
    /// The function over a Router.
    pub fn new(router: Router) -> Self {
        Self { router }
    }
}

impl tower::Service<lambda_http::Request> for PaymentsFunction {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: lambda_http::Request) -> Self::Future {
        let router = self.router.clone();
        Box::pin(async move { Ok(respond(router, request).await) })
    }
}
