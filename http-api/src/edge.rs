//! What every answer gets, in one layer: its request id, settled before
//! anything else runs and quoted by every problem; its place in a trace
//! (`traceparent`, [`trace_context`]); its access line; and the headers
//! that keep it out of caches and browsers' guesses.
//!
//! A hand-written tower service rather than `axum::middleware::from_fn`:
//! `from_fn` boxes the wrapped service and the future of every request,
//! which showed in the profile of `GET /health` under load; this layer
//! allocates nothing of its own.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;
use http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, Method};
use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};
use tracing::instrument::Instrumented;
use tracing::Instrument as _;

use crate::access_log::RequestMetrics;
use crate::request_id::Scope;
use crate::trace_context::{self, TraceParent, SPAN_TARGET, TRACEPARENT_NAME};
use crate::{access_log, request_id};

/// The edge around the whole Router, counting requests in `metrics`.
#[derive(Debug, Clone, Default)]
pub struct EdgeLayer {
    metrics: Arc<RequestMetrics>,
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// `inner` with the edge around it.
#[derive(Debug, Clone)]
pub struct Edge<S> {
    inner: S,
    metrics: Arc<RequestMetrics>,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let id = request_id::settle(&request);
        let method = request.method().clone();
        let parent = request
            .headers()
            .get(TRACEPARENT_NAME)
            .and_then(|value| value.to_str().ok())
            .and_then(TraceParent::parse);
        // Disabled (a callsite check) unless an OpenTelemetry layer or a
        // DEBUG log takes it.
        let span = tracing::debug_span!(
            target: SPAN_TARGET,
            "request",
            otel.kind = "server",
            http.request.method = method.as_str(),
            http.route = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            request_id = id.as_str(),
        );
        let trace = trace_context::start(&span, parent);
        let inner = request_id::scope(id, self.inner.call(request)).instrument(span.clone());
        EdgeFuture {
            inner,
            finish: Some(Finish {
                metrics: Arc::clone(&self.metrics),
                method,
                started,
                trace,
                span,
            }),
        }
    }
}

/// What the edge adds once the response is there.
struct Finish {
    metrics: Arc<RequestMetrics>,
    method: Method,
    started: Instant,
    trace: TraceParent,
    span: tracing::Span,
}

pin_project_lite::pin_project! {
    /// The response of [`Edge`]: the inner one, logged and stamped.
    pub struct EdgeFuture<F: Future> {
        #[pin]
        inner: Instrumented<TaskLocalFuture<Scope, F>>,
        finish: Option<Finish>,
    }
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Ok(mut response) = ready!(this.inner.as_mut().poll(cx));
        let scope = this.inner.inner_pin_mut().take_value();
        if let (Some(finish), Some(scope)) = (this.finish.take(), scope) {
            let trace = finish.trace.text();
            access_log::record(
                &finish.metrics,
                &scope,
                &finish.method,
                &response,
                finish.started,
                &trace,
            );
            if !finish.span.is_disabled() {
                finish.span.record("http.route", &*scope.route());
                finish
                    .span
                    .record("http.response.status_code", response.status().as_u16());
            }
            request_id::stamp(&mut response, scope.id());
            response
                .headers_mut()
                .insert(TRACEPARENT_NAME, trace.header_value());
        }
        not_kept_not_sniffed(&mut response);
        Poll::Ready(Ok(response))
    }
}

/// Every answer may hold payment data, or a problem about it: no cache
/// keeps it (`Cache-Control: no-store`, unless a handler chose otherwise)
/// and no browser guesses another type for it (`nosniff`).
fn not_kept_not_sniffed(response: &mut Response) {
    let headers = response.headers_mut();
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}
