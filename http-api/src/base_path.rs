//! Where the client sees the API mounted. Links and `Location` headers are
//! written for the client, so when a front end or an embedding app serves
//! the Router below a prefix (an API Gateway stage such as `/prod`, or
//! `.nest("/api", ...)`), it puts a [`BasePath`] on the request and every
//! link the API writes starts with it.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::request::Parts;

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

/// How this request's links are written: below the request's
/// [`BasePath`], or root-relative without one. An extractor, so every
/// handler that writes a link says so in its signature.
#[derive(Debug, Clone, Default)]
pub struct Links {
    prefix: String,
}

impl Links {
    /// `path` (starting with `/`) as the client must request it.
    pub fn href(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Links {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let prefix = parts
            .extensions
            .get::<BasePath>()
            .map(|base| base.0.clone())
            .unwrap_or_default();
        Ok(Self { prefix })
    }
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

    async fn links_of(request: http::Request<()>) -> Links {
        let (mut parts, ()) = request.into_parts();
        let Ok(links) = Links::from_request_parts(&mut parts, &()).await;
        links
    }

    #[tokio::test]
    async fn links_carry_the_prefix_only_of_a_request_that_has_one() {
        let plain = links_of(http::Request::new(())).await;
        let mut staged = http::Request::new(());
        staged
            .extensions_mut()
            .insert(BasePath::new("/prod").unwrap());
        let staged = links_of(staged).await;

        assert_eq!(plain.href("/v1/payments"), "/v1/payments");
        assert_eq!(staged.href("/v1/payments"), "/prod/v1/payments");
    }
}
