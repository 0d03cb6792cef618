//! Routes for operators: liveness, readiness and the API description.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::{HeaderValue, CONTENT_TYPE};

use crate::errors::not_ready;
use crate::ApiState;

/// The routes that need no API key: probes and the API description.
pub(crate) const OPEN_ROUTES: &[&str] = &["/health", "/ready", "/openapi.json"];

/// `GET /health`: the process is up. Touches nothing else, and builds no
/// JSON: load balancers call it more than anything.
pub async fn health() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

/// `GET /ready`: the store answers; 503 when it does not.
pub async fn ready(State(state): State<ApiState>) -> Response {
    match state.service.ready().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(error) => not_ready(&error).into_response(),
    }
}
