//! RFC 9457 problem details: every error response of the API.

use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use http::StatusCode;
use serde::Serialize;

use crate::request_id;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying when the store is down.
const STORE_RETRY_AFTER_SECONDS: u64 = 1;

/// What every problem `type` starts with.
pub(crate) const TYPE_PREFIX: &str = "/problems/";

/// Every problem `type` the API answers with, after `/problems/`: the
/// OpenAPI document lists them, and a test holds each constructor to it.
pub const PROBLEM_TYPES: &[&str] = &[
    "bad-request",
    "unauthorized",
    "forbidden",
    "not-found",
    "method-not-allowed",
    "conflict",
    "payload-too-large",
    "request-timeout",
    "unsupported-media-type",
    "validation",
    "idempotency-key-reused",
    "total-too-large",
    "too-many-requests",
    "unavailable",
    "internal",
];

/// One problem with one part of the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// RFC 6901 JSON Pointer into the request body (`/data/attributes/amount`).
    pub pointer: String,
    /// What is wrong there.
    pub detail: String,
}

impl FieldProblem {
    /// The problem `detail` at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// An error response: `type`, `title`, `status`, `detail`, the request id,
/// and for validation failures an `errors` list. The `type` is a stable
/// relative URI (`/problems/validation`) clients may switch on.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldProblem>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "<[FieldProblem]>::is_empty")]
    errors: &'a [FieldProblem],
}

impl Problem {
    fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// What went wrong, for people.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// 400: the request cannot be read (no body, malformed JSON, bad query).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 401: no API key, or one that is not known.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "send a valid API key in the x-api-key header",
        )
    }

    /// 403: the request names another organisation than the API key's.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 404: no such payment for this organisation, or no such route.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 405: the route exists but not for this method (axum adds `Allow`).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "this route does not accept this method; see the Allow header",
        )
    }

    /// 409: the id is taken, or the payment changed since it was read.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    /// 413: the body is larger than the server accepts.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            "the request body is larger than the server accepts",
        )
    }

    /// 408: the body did not arrive in time, or arrived too slowly (the
    /// transport's request timeout or minimum data rate).
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "Request timeout",
            "the request body did not arrive in time; send it again, faster",
        )
    }

    /// 415: the body is not JSON.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as JSON with Content-Type: application/json",
        )
    }

    /// 422: the body is JSON but breaks the contract; one entry per problem.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = match errors.len() {
            1 => "the request has 1 invalid field".to_owned(),
            n => format!("the request has {n} invalid fields"),
        };
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                detail,
            )
        }
    }

    /// 422: the idempotency key was used before with a different body.
    pub fn idempotency_key_reused() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Idempotency key reused",
            "this Idempotency-Key was already used with a different request; use a new key for a new request",
        )
    }

    /// 422: a report's sum in one currency is beyond an exact decimal.
    pub fn total_too_large(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "total-too-large",
            "Total too large",
            detail,
        )
    }

    /// 429: the caller's usage plan allows no more requests for now;
    /// comes with `Retry-After: retry_after_seconds` (at least 1).
    pub fn too_many_requests(detail: impl Into<String>, retry_after_seconds: u64) -> Self {
        Self {
            retry_after: Some(retry_after_seconds.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
                detail,
            )
        }
    }

    /// 503: the store is unavailable; comes with `Retry-After`.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(STORE_RETRY_AFTER_SECONDS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the payment store is unavailable; retry shortly",
            )
        }
    }

    /// 500: anything unexpected. Says nothing of the cause: log it instead.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "an unexpected error occurred; quote the request id when reporting it",
        )
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The field problems (for 422).
    pub fn errors(&self) -> &[FieldProblem] {
        &self.errors
    }

    /// The seconds the client is told to wait before retrying (for 429
    /// and 503).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            kind: format!("{TYPE_PREFIX}{}", self.kind),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            request_id: request_id::current(),
            errors: &self.errors,
        };
        let mut json = Vec::with_capacity(256);
        if crate::json::to_vec(&mut json, &body).is_err() {
            json.clear();
        }
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(problem: Problem) -> Option<String> {
        problem
            .into_response()
            .headers()
            .get(RETRY_AFTER)
            .map(|value| value.to_str().unwrap().to_owned())
    }

    #[test]
    fn only_429_and_503_tell_the_client_when_to_retry() {
        assert_eq!(
            retry_after(Problem::too_many_requests("slow down", 7)),
            Some("7".into())
        );
        assert_eq!(
            retry_after(Problem::too_many_requests("slow down", 0)),
            Some("1".into()),
            "never less than a second"
        );
        assert_eq!(retry_after(Problem::unavailable()), Some("1".into()));
        assert_eq!(retry_after(Problem::conflict("taken")), None);
    }

    #[test]
    fn every_problem_type_is_one_the_document_lists() {
        let made: Vec<&str> = [
            Problem::bad_request("x"),
            Problem::unauthorized(),
            Problem::forbidden("x"),
            Problem::not_found("x"),
            Problem::method_not_allowed(),
            Problem::conflict("x"),
            Problem::payload_too_large(),
            Problem::request_timeout(),
            Problem::unsupported_media_type(),
            Problem::validation(Vec::new()),
            Problem::idempotency_key_reused(),
            Problem::total_too_large("x"),
            Problem::too_many_requests("x", 1),
            Problem::unavailable(),
            Problem::internal(),
        ]
        .iter()
        .map(|problem| problem.kind)
        .collect();
        assert_eq!(made, PROBLEM_TYPES);
    }
}
