//! One log line per request: request id, method, matched route, status,
//! latency, trace and span. Deliberately nothing else: no headers (API
//! keys), no bodies (account numbers, names), no query strings (cursors).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{PoisonError, RwLock};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
// Two lookups a request; std's SipHash was most of their cost.
use foldhash::HashMap;
use tower::{Layer, Service};

use http::{Method, StatusCode};
use metrics::{Counter, Histogram};

use crate::request_id::{self, Scope};
use crate::trace_context::TraceText;

/// Route-level layer: records which route template matched, in the
/// request's scope ([`request_id::record_route`]), for the access log (a
/// tower layer, not `from_fn`, so it boxes nothing per request).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordRouteLayer;

impl<S> Layer<S> for RecordRouteLayer {
    type Service = RecordRoute<S>;

    fn layer(&self, inner: S) -> RecordRoute<S> {
        RecordRoute { inner }
    }
}

/// A route's service, recording its template on each response.
#[derive(Debug, Clone)]
pub struct RecordRoute<S> {
    inner: S,
}

impl<S> Service<Request> for RecordRoute<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RecordRouteFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        RecordRouteFuture {
            inner: self.inner.call(request),
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of [`RecordRoute`].
    pub struct RecordRouteFuture<F> {
        #[pin]
        inner: F,
        route: Option<MatchedPath>,
    }
}

impl<F> Future for RecordRouteFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx));
        // Polled inside the request's scope, which the edge set.
        if let Some(route) = this.route.take() {
            request_id::record_route(route);
        }
        Poll::Ready(response)
    }
}

/// Writes the access line of one request: its id, method, route (or
/// `unmatched`), status, how long the API took since `started`, and its
/// trace and span ids; and counts it in the request metrics.
pub fn record(
    metrics: &RequestMetrics,
    scope: &Scope,
    method: &Method,
    response: &Response,
    started: Instant,
    trace: &TraceText,
) {
    let route = scope.route();
    let route = &*route;
    let elapsed = started.elapsed();
    let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    metrics.count(route, method, response.status(), elapsed);
    tracing::info!(
        target: "payments::access",
        request_id = scope.id(),
        method = method.as_str(),
        route,
        status = response.status().as_u16(),
        latency_us,
        trace_id = trace.trace_id(),
        span_id = trace.span_id(),
        "request"
    );
}

/// The requests counter: by route template, method and status.
pub const REQUESTS: &str = "payments_http_requests_total";
/// The latency histogram: by route template and method, in seconds.
pub const DURATION: &str = "payments_http_request_duration_seconds";

/// The request metrics' handles, kept per route, method and status once
/// made, so a request costs one lookup in a small map of its own instead
/// of the recorder's: building the labels (the route copied twice, the
/// status once) and looking them up in the recorder's registry were about
/// 2.5% of a `GET /health` under load.
///
/// Made with the Router, filled as requests come: a handle is the
/// recorder's at the time it is first needed, so the recorder must be
/// installed before the first request (as the server binaries do, before
/// they build the Router). Labels are bounded: the route is a template of
/// the Router (or `unmatched`), the method one of HTTP's (any other is
/// `other`), the status a number; never an id, a key or an organisation.
/// So is the map.
#[derive(Debug, Default)]
pub struct RequestMetrics {
    routes: RwLock<HashMap<Box<str>, RouteMetrics>>,
}

/// One route's handles, by method and status: the requests counter of
/// those labels and the latency histogram of the method (the same
/// histogram under every status, as the recorder keys it by its labels).
type RouteMetrics = HashMap<(&'static str, StatusCode), (Counter, Histogram)>;

impl RequestMetrics {
    /// Counts one answered request in the `metrics` facade (a no-op while
    /// no recorder is installed).
    fn count(&self, route: &str, method: &Method, status: StatusCode, elapsed: Duration) {
        let labels = (method_label(method), status);
        let seconds = elapsed.as_secs_f64();
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        if let Some((requests, durations)) = routes.get(route).and_then(|known| known.get(&labels))
        {
            requests.increment(1);
            durations.record(seconds);
            return;
        }
        drop(routes);
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        let (method, status) = labels;
        let (requests, durations) = routes
            .entry(route.into())
            .or_default()
            .entry(labels)
            .or_insert_with(|| {
                (
                    metrics::counter!(REQUESTS, "route" => route.to_owned(), "method" => method, "status" => status.as_str().to_owned()),
                    metrics::histogram!(DURATION, "route" => route.to_owned(), "method" => method),
                )
            });
        requests.increment(1);
        durations.record(seconds);
    }
}

/// The `method` label: one of HTTP's methods, or `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
