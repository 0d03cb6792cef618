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
///     idle_timeout: Duration::from_secs(120),
///     ..ServeConfig::default()
/// };
/// assert_eq!(config.header_read_timeout, Duration::from_secs(10));
/// ```
///
/// Every limit bounds what one client can hold without sending a key or a
/// request worth serving: a socket (`max_connections`), a connection with
/// nothing to do (`idle_timeout`, `max_connection_age`), a request that
/// never finishes arriving (`header_read_timeout`, `request_timeout`,
/// `min_request_body_rate`) and memory (`request_body_limit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// How long a client may take to send a complete request head.
    ///
    /// For HTTP/1 it restarts for every request on a connection: a
    /// keep-alive connection waiting for its next request is waiting for a
    /// head, so it is also closed after this long (or after
    /// [`idle_timeout`](Self::idle_timeout), whichever is shorter). Every
    /// connection, HTTP/1 or HTTP/2, must deliver its first request head
    /// within this time after being accepted; otherwise it is closed.
    pub header_read_timeout: Duration,
    /// How long, from its head, a request's body may take to arrive whole.
    ///
    /// Past it, the service's next read of the body fails with an
    /// [`std::io::ErrorKind::TimedOut`] error (the payments API answers
    /// 408), and the connection is closed after the response, since the
    /// rest of the body was never read.
    pub request_timeout: Duration,
    /// The slowest a request body may arrive once its grace period is
    /// over, so a body trickled in a byte at a time is cut long before
    /// [`request_timeout`](Self::request_timeout). `None` turns the check
    /// off. The failure is the same as the request timeout's.
    pub min_request_body_rate: Option<MinDataRate>,
    /// How long a connection with no request in flight is kept open,
    /// HTTP/1 or HTTP/2, whether or not the client answers HTTP/2 PINGs.
    /// Then it is closed gracefully (HTTP/2 sends GOAWAY).
    pub idle_timeout: Duration,
    /// How long any connection may live, busy or not. Then it is closed
    /// gracefully: requests in flight finish, HTTP/2 clients get GOAWAY
    /// and reconnect, so one client cannot pin a connection for ever and
    /// load spreads again after a deploy.
    pub max_connection_age: Duration,
    /// How many connections may be open at once. At the cap the server
    /// stops accepting (new clients wait in the listen backlog) until one
    /// closes; it never accepts only to fail for lack of file descriptors.
    pub max_connections: usize,
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

/// A minimum rate at which a request body must arrive, averaged over the
/// time since the request's head, enforced once `grace` has passed (as
/// Kestrel's `MinRequestBodyDataRate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinDataRate {
    /// Bytes per second, on average since the head.
    pub bytes_per_second: u64,
    /// How long a body may arrive slower than that before it is cut.
    pub grace: Duration,
}

impl Default for MinDataRate {
    /// 240 bytes a second after 5 s: Kestrel's defaults, slow enough for a
    /// phone on a bad network, fast enough that a trickle is cut in
    /// seconds.
    fn default() -> Self {
        Self {
            bytes_per_second: 240,
            grace: Duration::from_secs(5),
        }
    }
}

impl Default for ServeConfig {
    /// - `header_read_timeout`: 10 s — generous for real clients on slow
    ///   networks, short enough that stalled sockets don't pile up;
    /// - `request_timeout`: 30 s — a 64 KiB body at the minimum rate;
    /// - `min_request_body_rate`: 240 B/s after 5 s ([`MinDataRate`]);
    /// - `idle_timeout`: 60 s — longer than the 10 s HTTP/1 keep-alive,
    ///   so HTTP/2 clients that multiplex over one connection keep it
    ///   between bursts;
    /// - `max_connection_age`: 1 hour;
    /// - `max_connections`: from the process's file-descriptor limit
    ///   ([`connections_for_file_limit`](crate::connections_for_file_limit));
    /// - `request_body_limit`: 64 KiB — payment requests are small JSON
    ///   documents, and the limit bounds the memory one request can pin;
    /// - `shutdown_grace_period`: 30 s — the default time orchestrators
    ///   (Kubernetes, ECS) give between SIGTERM and SIGKILL.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            min_request_body_rate: Some(MinDataRate::default()),
            idle_timeout: Duration::from_secs(60),
            max_connection_age: Duration::from_secs(60 * 60),
            max_connections: crate::connections_for_file_limit(),
            request_body_limit: 64 * 1024,
            shutdown_grace_period: Duration::from_secs(30),
        }
    }
}
