//! `x-request-id`: taken from the request when sane, generated otherwise,
//! returned on every response and quoted in every problem body and log line.

use std::cell::{Ref, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use http::{HeaderName, HeaderValue};
use tokio::task::futures::TaskLocalFuture;

/// The header carrying the request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The same, parsed once: a header looked up or set by a `&str` name
/// is parsed on every call, which showed in the profile of `GET /health`.
const REQUEST_ID_NAME: HeaderName = HeaderName::from_static(REQUEST_ID);

tokio::task_local! {
    static CURRENT: Scope;
}

/// What the edge knows of the request being handled on a task: its id,
/// and once routing has run, the route template that matched. The edge
/// takes it back whole when the request's future is done, so the id is
/// not copied for the way out, nor the route carried on the response.
#[derive(Debug)]
pub(crate) struct Scope {
    id: String,
    route: RefCell<Option<MatchedPath>>,
}

impl Scope {
    /// The request's id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The route template that answered, or `unmatched`.
    pub(crate) fn route(&self) -> Ref<'_, str> {
        Ref::map(self.route.borrow(), |route| {
            route.as_ref().map_or("unmatched", MatchedPath::as_str)
        })
    }
}

/// The request id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(|scope| scope.id.clone()).ok()
}

/// Notes `route` as the template that matched the request being handled
/// on this task (nothing outside a request's scope).
pub(crate) fn record_route(route: MatchedPath) {
    let _ = CURRENT.try_with(|scope| scope.route.replace(Some(route)));
}

/// Whether the Router keeps a client-sent `x-request-id`: 1 to 128
/// letters, digits, `-`, `_`, `.` or `:`. Enough for UUIDs, AWS and tracing
/// ids, and nothing that could forge a log line or a header. Any other
/// value is replaced with a fresh id. Front ends that supply their own id
/// (the Lambda request id) use this to decide when to.
pub fn is_kept_request_id(value: &HeaderValue) -> bool {
    value.to_str().is_ok_and(|text| {
        (1..=128).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    })
}

fn sane(value: &HeaderValue) -> Option<String> {
    is_kept_request_id(value).then(|| value.to_str().unwrap_or_default().to_owned())
}

/// A new request id, shaped like a UUID: a random half drawn once per
/// process and a counter. Unique without asking the OS for randomness on
/// every request, which a profile of `GET /health` showed as the single
/// largest cost in the API's own code.
fn generate() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    uuid::Uuid::from_u64_pair(process_seed()[0], number).to_string()
}

/// Two random numbers drawn once per process, behind the ids the API
/// makes without drawing per request: request ids here, trace and span
/// ids in [`crate::trace_context`].
pub(crate) fn process_seed() -> [u64; 2] {
    static SEED: OnceLock<[u64; 2]> = OnceLock::new();
    // These ids are not domain ids; they only have to be unique.
    #[allow(clippy::disallowed_methods)]
    let draw = || {
        let (high, low) = uuid::Uuid::new_v4().as_u64_pair();
        [high, low]
    };
    *SEED.get_or_init(draw)
}

/// The request's id: the client's when sane, a new one otherwise. Inside,
/// it is [`current`].
pub fn settle(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID_NAME)
        .and_then(sane)
        .unwrap_or_else(generate)
}

/// Runs `inner` with `id` as the current request id, which problems quote
/// ([`current`]); the [`Scope`] comes back with `take_value` once `inner`
/// is done.
pub(crate) fn scope<F: std::future::Future>(id: String, inner: F) -> TaskLocalFuture<Scope, F> {
    CURRENT.scope(
        Scope {
            id,
            route: RefCell::new(None),
        },
        inner,
    )
}

/// Puts `id` on the response.
pub fn stamp(response: &mut Response, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(REQUEST_ID_NAME, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_differ_and_are_kept_when_sent_back() {
        let first = generate();
        let second = generate();
        assert_ne!(first, second);
        assert_eq!(first.len(), 36, "{first}");
        assert!(is_kept_request_id(&HeaderValue::from_str(&first).unwrap()));
    }

    #[test]
    fn only_plain_ids_are_taken_from_the_client() {
        let cases = [
            ("abc-123", true, "letters, digits and dashes"),
            (
                "1-67891233-abcdef012345678912345678",
                true,
                "an X-Ray style id",
            ),
            ("", false, "empty"),
            ("has space", false, "space"),
            ("line\tbreak", false, "control character"),
            ("<script>", false, "markup"),
        ];
        for (text, kept, reason) in cases {
            let value = HeaderValue::from_str(text).unwrap();
            assert_eq!(sane(&value).is_some(), kept, "{reason}");
        }
        assert!(
            sane(&HeaderValue::from_str(&"a".repeat(129)).unwrap()).is_none(),
            "too long"
        );
    }
}
