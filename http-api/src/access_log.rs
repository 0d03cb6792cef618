//! One log line per request: request id, method, matched route, status and
//! latency. Deliberately nothing else: no headers (API keys), no bodies
//! (account numbers, names), no query strings (cursors).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::request_id::RequestId;

/// The route template that handled a request, carried from the routing
/// layer out to the access log on the response.
#[derive(Debug, Clone)]
struct Route(String);

/// Route-level middleware: records which route template matched.
pub async fn record_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| Route(path.as_str().to_owned()));
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Outer middleware: times the request and writes its access line.
pub async fn middleware(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or("unmatched", |route| route.0.as_str());
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "payments::access",
        request_id,
        method = %method,
        route,
        status = response.status().as_u16(),
        latency_us,
        "request"
    );
    response
}
