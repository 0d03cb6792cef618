//! One log line per request: request id, method, matched route, status and
//! latency. Deliberately nothing else: no headers (API keys), no bodies
//! (account numbers, names), no query strings (cursors).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use http::Method;

/// The route template that handled a request, carried from the routing
/// layer out to the access log on the response.
#[derive(Debug, Clone)]
struct Route(MatchedPath);

/// Route-level middleware: records which route template matched.
pub async fn record_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| Route(path.clone()));
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Writes the access line of one request: its id, method, route (or
/// `unmatched`), status and how long the API took since `started`.
pub fn record(request_id: &str, method: &Method, response: &Response, started: Instant) {
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
}
