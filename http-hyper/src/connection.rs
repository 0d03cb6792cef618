//! One accepted TCP connection, served until it closes, fails, stalls,
//! idles, ages out or is cut off by shutdown.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Version};
use http_body_util::BodyExt as _;
use hyper::body::{Body, Incoming};
use hyper::service::Service as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::{sleep, Instant};
use tower::BoxError;
use tracing::debug;

/// How long one connection may stay open, with or without requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// Until the first request head, and for HTTP/1 until each next one
    /// once a response is written; also how long a connection that is
    /// closing gracefully may take to finish before it is dropped.
    pub first_request_timeout: Duration,
    /// With no request in flight, once one has been served.
    pub idle_timeout: Duration,
    /// In all.
    pub max_age: Duration,
}

/// Whether one connection has had a request, the requests in flight on
/// it, and since when it has had none. Kept in atomics, so a request costs
/// a few atomic writes and no wake-up of the connection's task: the task
/// looks only when one of its timers fires.
struct Activity {
    seen: AtomicBool,
    /// Whether its requests are HTTP/1, whose connection waits for the
    /// next request head when idle.
    http1: AtomicBool,
    in_flight: AtomicUsize,
    /// When the connection last went idle, in microseconds since `opened`.
    idle_since_micros: AtomicU64,
    opened: Instant,
}

impl Activity {
    fn new() -> Self {
        Self {
            seen: AtomicBool::new(false),
            http1: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            idle_since_micros: AtomicU64::new(0),
            opened: Instant::now(),
        }
    }

    /// Whether a request has come on the connection.
    fn seen(&self) -> bool {
        self.seen.load(Ordering::Relaxed)
    }

    /// How long the connection may be idle: for HTTP/1 no longer than a
    /// request head may take, since an idle HTTP/1 connection is one
    /// waiting for its next head.
    fn idle_timeout(&self, limits: &ConnectionLimits) -> Duration {
        if self.http1.load(Ordering::Relaxed) {
            limits.idle_timeout.min(limits.first_request_timeout)
        } else {
            limits.idle_timeout
        }
    }

    /// The instant the connection will have been idle for as long as it
    /// may be, or `None` before its first request and while one is in
    /// flight.
    fn idle_deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        if !self.seen() || self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let idle_since = Duration::from_micros(self.idle_since_micros.load(Ordering::Acquire));
        Some(self.opened + idle_since + self.idle_timeout(limits))
    }
}

/// The gauge of open connections: the server's connection slots in use.
pub const CONNECTIONS_OPEN: &str = "payments_http_connections_open";

/// One open connection in [`CONNECTIONS_OPEN`], until dropped.
struct OpenConnection;

impl OpenConnection {
    fn count() -> Self {
        metrics::gauge!(CONNECTIONS_OPEN).increment(1.0);
        Self
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::gauge!(CONNECTIONS_OPEN).decrement(1.0);
    }
}

/// One request in flight; it stops counting when its response body has
/// been written (or dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>, version: Version) -> Self {
        if !activity.seen() {
            activity
                .http1
                .store(version < Version::HTTP_2, Ordering::Relaxed);
        }
        activity.seen.store(true, Ordering::Relaxed);
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        let micros = u64::try_from(activity.opened.elapsed().as_micros()).unwrap_or(u64::MAX);
        // Written before the count drops, so whoever sees zero sees when.
        activity.idle_since_micros.store(micros, Ordering::Release);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `stream` with `service` until the connection ends, holding
/// `_slot` (one of the server's connection slots) until then.
///
/// `first_request_timeout` bounds every wait for a request head. The first
/// head has a timer of its own, which also covers hyper-util telling
/// HTTP/1 from HTTP/2: that sniffing waits on the socket with no deadline,
/// so a client that connects and sends nothing (or the first bytes of the
/// HTTP/2 preface) would otherwise hold its socket forever. Each later
/// HTTP/1 head is what an idle HTTP/1 connection waits for, so the idle
/// check judges it, with the idle timeout cut to `first_request_timeout`.
/// A request thus arms no timer of its own (hyper's header-read timeout,
/// off here, armed and cleared one per request, which showed in the
/// profile under load). HTTP/2 has no header-read timeout at all, and
/// PINGs a client answers keep its connection alive, so idleness is judged
/// here, by the requests in flight, not by traffic.
///
/// Errors are logged at debug: they are the client's business (reset,
/// malformed request, timeout) and must not disturb other connections.
pub(crate) async fn serve_connection<S, B>(
    stream: TcpStream,
    service: S,
    builder: Arc<Builder<TokioExecutor>>,
    mut shutdown: watch::Receiver<bool>,
    limits: ConnectionLimits,
    _slot: OwnedSemaphorePermit,
) where
    S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let _open = OpenConnection::count();
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = Arc::clone(&activity);
        let service = TowerToHyperService::new(service);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let counted = InFlight::start(&activity, request.version());
            let response = service.call(request);
            async move {
                // The request counts until its body is written, which is
                // when hyper drops it.
                response.await.map(|response| {
                    response.map(move |body| {
                        body.map_frame(move |frame| {
                            let _counted = &counted;
                            frame
                        })
                    })
                })
            }
        })
    };

    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut first_request = pin!(sleep(limits.first_request_timeout));
    let mut max_age = pin!(sleep(limits.max_age));
    // Set once the connection was asked to close: it finishes what it has
    // in flight, within `first_request_timeout`, or is dropped.
    let mut closing: Option<&'static str> = None;
    if *shutdown.borrow_and_update() {
        connection.as_mut().graceful_shutdown();
        closing = Some("shutdown");
    }

    // Looked at when it fires: idle long enough closes, otherwise it is set
    // again for when that could be. The first check comes no later than the
    // shortest idle time the connection can turn out to have.
    let mut idle_check = pin!(sleep(limits.idle_timeout.min(limits.first_request_timeout)));
    let mut awaiting_first_request = true;
    let outcome = loop {
        let close_for = tokio::select! {
            outcome = connection.as_mut() => break outcome,
            () = &mut first_request, if awaiting_first_request || closing.is_some() => {
                // Read here, not before the select: the loop runs again
                // only when a branch completes, not when a request arrives.
                match (closing, activity.seen()) {
                    (None, true) => {
                        // Its first request came in time: the timer is
                        // done with until the connection closes.
                        awaiting_first_request = false;
                        None
                    }
                    (None, false) => {
                        debug!(?limits.first_request_timeout, "no request head in time; closing connection");
                        return;
                    }
                    (Some(reason), _) => {
                        debug!(reason, "connection did not finish closing in time; dropping it");
                        return;
                    }
                }
            }
            () = &mut idle_check, if closing.is_none() => {
                let now = Instant::now();
                // Before its first request a connection is judged by
                // `first_request_timeout` alone.
                match activity.idle_deadline(&limits) {
                    Some(deadline) if deadline <= now => Some("idle"),
                    Some(deadline) => {
                        idle_check.as_mut().reset(deadline);
                        None
                    }
                    None => {
                        idle_check.as_mut().reset(now + activity.idle_timeout(&limits));
                        None
                    }
                }
            }
            () = &mut max_age, if closing.is_none() => Some("maximum age"),
            Ok(()) = shutdown.changed(), if closing.is_none() => Some("shutdown"),
        };
        if let Some(reason) = close_for {
            // HTTP/1 closes once the response in flight is written, HTTP/2
            // sends GOAWAY and lets open streams finish; either has
            // `first_request_timeout` to do so.
            debug!(reason, "closing connection");
            connection.as_mut().graceful_shutdown();
            closing = Some(reason);
            first_request
                .as_mut()
                .reset(Instant::now() + limits.first_request_timeout);
        }
    };

    match outcome {
        Ok(()) => debug!(reason = closing, "connection closed"),
        Err(error) => debug!(%error, "connection ended with an error"),
    }
}
