//! Where the client sees the API mounted. Links and `Location` headers are
//! written for the client, so when a front end or an embedding app serves
//! the Router below a prefix (an API Gateway stage such as `/prod`, or
//! `.nest("/api", ...)`), it puts a [`BasePath`] on the request and every
//! link the API writes starts with it.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static CURRENT: String;
}

/// The path prefix under which the client reaches the API, as a request
/// extension: `/prod`, `/api/payments`. Without one, links are
/// root-relative (`/v1/payments/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePath(String);

impl BasePath {
    /// A prefix of one or more `/segment`s of letters, digits and
    /// `-._~`; `None` for anything else (an empty or `/` prefix needs no
    /// extension at all).
    pub fn new(prefix: &str) -> Option<Self> {
        let segments_ok = prefix.strip_prefix('/').is_some_and(|rest| {
            rest.split('/').all(|segment| {
                !segment.is_empty()
                    && segment.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
                    })
            })
        });
        segments_ok.then(|| Self(prefix.to_owned()))
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `path` (starting with `/`) as the client must request it.
pub fn href(path: &str) -> String {
    CURRENT
        .try_with(|prefix| format!("{prefix}{path}"))
        .unwrap_or_else(|_| path.to_owned())
}

/// Middleware: makes the request's [`BasePath`] (if any) the prefix of
/// every link written while the request is handled.
pub async fn middleware(request: Request, next: Next) -> Response {
    let prefix = request
        .extensions()
        .get::<BasePath>()
        .map(|base| base.0.clone())
        .unwrap_or_default();
    CURRENT.scope(prefix, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_path_prefixes_are_accepted() {
        for good in ["/prod", "/api/payments", "/v-1.2_x~"] {
            assert_eq!(BasePath::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "/",
            "prod",
            "/prod/",
            "//prod",
            "/pr od",
            "/prod?x=1",
            "/%2e%2e",
            "/<b>",
        ] {
            assert!(BasePath::new(bad).is_none(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn links_carry_the_prefix_only_inside_a_request_that_has_one() {
        assert_eq!(href("/v1/payments"), "/v1/payments");
        let inside = CURRENT
            .scope("/prod".to_owned(), async { href("/v1/payments") })
            .await;
        assert_eq!(inside, "/prod/v1/payments");
    }
}
