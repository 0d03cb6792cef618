//! The accept loop and the graceful shutdown that ends it.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Limited;
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::{JoinError, JoinSet};
use tower::{BoxError, ServiceExt as _};
use tracing::{debug, error, info, warn, Instrument as _};

use crate::connection::{serve_connection, ConnectionLimits};
use crate::request_body::{RequestBody, TimedBody};
use crate::ServeConfig;

/// How long to pause after an accept error that is not the peer's fault.
///
/// Such errors (`EMFILE`, `ENFILE`, `ENOBUFS`) persist until connections
/// close and free resources; retrying at once would spin a core and flood
/// the log. One second is what axum's own `serve` waits.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// How often to ping HTTP/2 clients. Without pings a peer that vanished
/// (host crashed, cable pulled) leaves an HTTP/2 connection open forever,
/// since, unlike HTTP/1, it has no header-read timeout between requests.
const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(60);

/// Serves `service` on every connection `listener` accepts, over HTTP/1.1 or
/// cleartext HTTP/2 (prior knowledge, detected per connection), until
/// `shutdown` completes.
///
/// `service` is typically an axum `Router`; it is cloned for each request and
/// receives bodies held to the limits described in [`ServeConfig`], with
/// the client's address as an `axum::extract::ConnectInfo<SocketAddr>`
/// request extension.
///
/// When `shutdown` completes the listener is closed at once (new connections
/// are refused), every open connection is asked to finish gracefully, and the
/// function waits up to [`ServeConfig::shutdown_grace_period`] for them;
/// connections still open after that are dropped. Pass
/// [`shutdown_signal()`](crate::shutdown_signal) in production.
///
/// Accept errors are logged and retried after a short pause; connection
/// errors are logged at debug. Neither ends the server.
///
/// # Errors
///
/// Only if the listener's local address cannot be read at start-up.
pub async fn serve<S, B>(
    service: S,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    config: &ServeConfig,
) -> io::Result<()>
where
    S: tower::Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let local_addr = listener.local_addr()?;
    info!(
        %local_addr,
        max_connections = config.max_connections,
        "listening"
    );

    let limit = config.request_body_limit;
    let (request_timeout, min_rate) = (config.request_timeout, config.min_request_body_rate);
    let limits = ConnectionLimits {
        first_request_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
        max_age: config.max_connection_age,
    };
    let builder = Arc::new(connection_builder());
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let (closing, shutdown_notice) = watch::channel(false);
    // Owning the connection tasks lets shutdown wait for them, then drop
    // the ones that outlive the grace period instead of leaving them
    // running detached.
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);

    'accept: loop {
        // A free slot first: at the cap, nothing is accepted (clients wait
        // in the listen backlog) until a connection closes, so accept never
        // fails for want of file descriptors the cap left room for.
        if slots.available_permits() == 0 {
            warn!(
                max_connections = config.max_connections,
                "connection cap reached; not accepting until a connection closes"
            );
        }
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break 'accept,
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                log_if_panicked(finished);
                continue 'accept;
            }
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break 'accept, // never closed
            },
        };
        let (stream, peer_addr) = tokio::select! {
            // Shutdown first, so a busy listener cannot starve it.
            biased;
            () = &mut shutdown => break 'accept,
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                log_if_panicked(finished);
                continue 'accept;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if is_peer_error(&error) => {
                    debug!(%error, "peer gave up before its connection was accepted");
                    continue 'accept;
                }
                Err(error) => {
                    error!(
                        %error,
                        backoff = ?ACCEPT_ERROR_BACKOFF,
                        "cannot accept connections; backing off"
                    );
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break 'accept,
                        () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => continue 'accept,
                    }
                }
            },
        };

        // Responses are written in few, whole chunks; Nagle's algorithm would
        // only delay them waiting for the client's ACK.
        if let Err(error) = stream.set_nodelay(true) {
            debug!(%error, %peer_addr, "cannot set TCP_NODELAY");
        }
        let service = service
            .clone()
            .map_request(move |request: Request<Incoming>| {
                let mut request = request.map(|body| {
                    Limited::new(TimedBody::new(body, request_timeout, min_rate), limit)
                });
                request.extensions_mut().insert(ConnectInfo(peer_addr));
                request
            });
        let span = tracing::debug_span!("connection", %peer_addr);
        connections.spawn(
            serve_connection(
                stream,
                service,
                Arc::clone(&builder),
                // Taken here, before the next shutdown check, so no accepted
                // connection can miss the shutdown notice.
                shutdown_notice.clone(),
                limits,
                slot,
            )
            .instrument(span),
        );
    }

    drop(listener);
    shut_down(connections, &closing, config.shutdown_grace_period).await;
    Ok(())
}

/// Closes every connection gracefully — HTTP/1 after the response in
/// flight, HTTP/2 with GOAWAY once its open streams finish — and waits up
/// to `grace_period` for them; those still open then are dropped.
async fn shut_down(
    mut connections: JoinSet<()>,
    closing: &watch::Sender<bool>,
    grace_period: Duration,
) {
    info!(
        connections = connections.len(),
        ?grace_period,
        "shutting down: no longer accepting, waiting for requests in flight"
    );
    closing.send_replace(true);
    let drained = async {
        while let Some(finished) = connections.join_next().await {
            log_if_panicked(finished);
        }
    };
    if tokio::time::timeout(grace_period, drained).await.is_err() {
        warn!(
            ?grace_period,
            "grace period over; dropping connections still open"
        );
    }
    // Aborting drops the connections' sockets; for those that already
    // finished it only collects their results.
    connections.shutdown().await;
    info!("server stopped");
}

/// The hyper connection settings.
fn connection_builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    // Request heads are timed by the connection's own idle check, not by
    // hyper's header-read timeout (a timer per request).
    builder.http1().header_read_timeout(None);
    // hyper sends HTTP/2 PINGs only when it has a timer to schedule them.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(HTTP2_KEEP_ALIVE_INTERVAL);
    builder
}

/// Whether an accept error concerns only the connection being accepted (the
/// peer reset or gave up), so the next accept can follow at once.
fn is_peer_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Connection tasks only end by finishing or, at shutdown, by being aborted;
/// a panic (a handler bug) is the one outcome worth an error log.
fn log_if_panicked(finished: Result<(), JoinError>) {
    if let Err(join_error) = finished {
        if join_error.is_panic() {
            error!(%join_error, "a connection task panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_peer_error;
    use std::io;

    #[test]
    fn resource_exhaustion_is_not_a_peer_error_so_accepting_backs_off() {
        let cases = [
            (
                io::ErrorKind::ConnectionAborted,
                true,
                "peer aborted the handshake",
            ),
            (
                io::ErrorKind::ConnectionReset,
                true,
                "peer reset before accept",
            ),
            (io::ErrorKind::ConnectionRefused, true, "peer refused"),
            (io::ErrorKind::OutOfMemory, false, "ENOBUFS / ENOMEM"),
            (
                io::ErrorKind::Other,
                false,
                "EMFILE / ENFILE surface as Other",
            ),
        ];
        for (kind, expected, reason) in cases {
            assert_eq!(is_peer_error(&io::Error::from(kind)), expected, "{reason}");
        }
    }
}
