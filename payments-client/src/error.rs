//! What can go wrong, typed: the server's problem documents (RFC 9457)
//! decoded with their field errors and request id, and the client's own
//! failures (transport, deadline, an answer it cannot read).

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

/// A problem document the server answered with (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// The problem type, a stable URI path such as `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// The request id to quote when reporting it.
    #[serde(default)]
    pub request_id: Option<String>,
    /// One entry per invalid field (422), each with a JSON pointer into
    /// the request body.
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// A JSON pointer into the body sent (`/data/attributes/currency`).
    pub pointer: String,
    /// Why the field was refused.
    pub detail: String,
}

/// Why a call did not give what it asked for.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such payment in the key's organisation (404).
    #[error("payment not found (request {})", request(.0))]
    NotFound(Box<Problem>),
    /// An update or a delete named a version the payment is no longer at
    /// (409): read it again and decide.
    #[error("version conflict: {} (request {})", .0.detail, request(.0))]
    VersionConflict(Box<Problem>),
    /// A create named an id that is taken (409), now or by a deleted
    /// payment.
    #[error("payment id taken: {} (request {})", .0.detail, request(.0))]
    AlreadyExists(Box<Problem>),
    /// The body breaks the contract (422): see the problem's `errors`.
    #[error("invalid request: {} (request {})", .0.detail, request(.0))]
    Invalid(Box<Problem>),
    /// Any other problem the server answered with: a 400, 401, 403, a 429
    /// or 503 still there when retries ran out, a 500.
    #[error("{} {}: {} (request {})", .0.status, .0.title, .0.detail, request(.0))]
    Problem(Box<Problem>),
    /// An answer that is neither what was asked for nor a problem
    /// document.
    #[error("unexpected answer {status} (request {request_id:?}): {reason}")]
    UnexpectedAnswer {
        /// Its status.
        status: StatusCode,
        /// Its `x-request-id`, when it had one.
        request_id: Option<String>,
        /// What did not fit.
        reason: String,
    },
    /// The request did not get an answer: connection refused or reset, a
    /// timeout of one attempt.
    #[error("transport failure")]
    Transport(#[source] reqwest::Error),
    /// The call's deadline passed while retrying; the last failure is
    /// kept.
    #[error("no answer within {deadline:?}: {last}")]
    DeadlineExceeded {
        /// The deadline.
        deadline: Duration,
        /// The last attempt's failure.
        last: Box<Error>,
    },
    /// The client's configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
}

fn request(problem: &Problem) -> &str {
    problem.request_id.as_deref().unwrap_or("without an id")
}

impl Error {
    /// The server's problem document, when the server answered with one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::NotFound(problem)
            | Error::VersionConflict(problem)
            | Error::AlreadyExists(problem)
            | Error::Invalid(problem)
            | Error::Problem(problem) => Some(problem),
            Error::DeadlineExceeded { last, .. } => last.problem(),
            _ => None,
        }
    }

    /// The server's request id for this failure, to quote when reporting
    /// it.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::UnexpectedAnswer { request_id, .. } => request_id.as_deref(),
            other => other.problem().and_then(|p| p.request_id.as_deref()),
        }
    }
}
