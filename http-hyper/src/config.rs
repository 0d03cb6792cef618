//! The knobs of the server and their production defaults.

use std::time::Duration;

/// How [`serve`](crate::serve) treats connections, requests and shutdown.
///
/// [`ServeConfig::default()`] is what production runs with; tests and
/// deployments override single fields with struct update syntax:
///
/// ```
/// use std::time::Duration;
/// use http_hyper::ServeConfig;
///
/// let config = ServeConfig {
///     request_body_limit: 1024 * 1024,
///     ..ServeConfig::default()
/// };
/// assert_eq!(config.header_read_timeout, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// How long a client may take to send a complete request head.
    ///
    /// For HTTP/1 it restarts for every request on a connection, so it is
    /// also how long an idle keep-alive connection is kept open. Every
    /// connection, HTTP/1 or HTTP/2, must deliver its first request head
    /// within this time after being accepted; otherwise it is closed.
    pub header_read_timeout: Duration,
    /// Largest request body accepted, in bytes.
    ///
    /// A `Content-Length` above it is answered with `413 Payload Too Large`
    /// before the service is called; a chunked (or HTTP/2) body that grows
    /// past it makes the service's body read fail, which axum's body
    /// extractors (`Bytes`, `String`, `Json`, ...) turn into a 413 as well.
    pub request_body_limit: usize,
    /// How long requests in flight may run on once shutdown has begun;
    /// connections still open afterwards are dropped.
    pub shutdown_grace_period: Duration,
}

impl Default for ServeConfig {
    /// - `header_read_timeout`: 10 s — generous for real clients on slow
    ///   networks, short enough that stalled sockets don't pile up;
    /// - `request_body_limit`: 64 KiB — payment requests are small JSON
    ///   documents, and the limit bounds the memory one request can pin;
    /// - `shutdown_grace_period`: 30 s — the default time orchestrators
    ///   (Kubernetes, ECS) give between SIGTERM and SIGKILL.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_body_limit: 64 * 1024,
            shutdown_grace_period: Duration::from_secs(30),
        }
    }
}
