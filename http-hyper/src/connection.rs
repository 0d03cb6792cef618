//! One accepted TCP connection, served until it closes, fails, stalls,
//! idles, ages out or is cut off by shutdown.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
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
    /// Until the first request head; also how long a connection that is
    /// closing gracefully may take to finish before it is dropped.
    pub first_request_timeout: Duration,
    /// With no request in flight, once one has been served.
    pub idle_timeout: Duration,
    /// In all.
    pub max_age: Duration,
}

/// Counts the requests in flight on one connection; a request stops
/// counting when its response body has been written (or dropped).
struct InFlight(Arc<watch::Sender<usize>>);

impl InFlight {
    fn start(requests: &Arc<watch::Sender<usize>>) -> Self {
        requests.send_modify(|count| *count += 1);
        Self(Arc::clone(requests))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count = count.saturating_sub(1));
    }
}

/// Serves `stream` with `service` until the connection ends, holding
/// `_slot` (one of the server's connection slots) until then.
///
/// `first_request_timeout` closes connections that never get as far as a
/// request head. hyper's HTTP/1 header-read timeout only starts once
/// hyper-util has told HTTP/1 from HTTP/2, and that sniffing waits on the
/// socket with no deadline, so a client that connects and sends nothing (or
/// the first bytes of the HTTP/2 preface) would otherwise hold its socket
/// forever. HTTP/2 has no header-read timeout at all, and PINGs a client
/// answers keep its connection alive, so idleness is judged here, by the
/// requests in flight, not by traffic.
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
    let request_seen = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(watch::Sender::new(0_usize));
    let mut in_flight = requests.subscribe();
    let service = {
        let request_seen = Arc::clone(&request_seen);
        let service = TowerToHyperService::new(service);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            request_seen.store(true, Ordering::Relaxed);
            let counted = InFlight::start(&requests);
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

    let outcome = loop {
        let seen = request_seen.load(Ordering::Relaxed);
        let idle = seen && *in_flight.borrow_and_update() == 0;
        let close_for = tokio::select! {
            outcome = connection.as_mut() => break outcome,
            () = &mut first_request, if !seen || closing.is_some() => {
                match closing {
                    None => debug!(?limits.first_request_timeout, "no request head in time; closing connection"),
                    Some(reason) => debug!(reason, "connection did not finish closing in time; dropping it"),
                }
                return;
            }
            () = sleep(limits.idle_timeout), if idle && closing.is_none() => Some("idle"),
            () = &mut max_age, if closing.is_none() => Some("maximum age"),
            Ok(()) = shutdown.changed(), if closing.is_none() => Some("shutdown"),
            // A request started or finished: judge idleness again.
            Ok(()) = in_flight.changed() => None,
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
