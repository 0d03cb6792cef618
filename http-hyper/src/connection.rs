//! One accepted TCP connection, served until it closes, fails, stalls or is
//! cut off by shutdown.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::service::Service as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;
use tower::BoxError;
use tracing::debug;

/// Serves `stream` with `service` until the connection ends.
///
/// `first_request_timeout` closes connections that never get as far as a
/// request head. hyper's HTTP/1 header-read timeout only starts once
/// hyper-util has told HTTP/1 from HTTP/2, and that sniffing waits on the
/// socket with no deadline, so a client that connects and sends nothing (or
/// the first bytes of the HTTP/2 preface) would otherwise hold its socket
/// forever. HTTP/2 has no header-read timeout at all.
///
/// Errors are logged at debug: they are the client's business (reset,
/// malformed request, timeout) and must not disturb other connections.
pub(crate) async fn serve_connection<S, B>(
    stream: TcpStream,
    service: S,
    builder: Arc<Builder<TokioExecutor>>,
    watcher: Watcher,
    first_request_timeout: Duration,
) where
    S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let request_seen = Arc::new(AtomicBool::new(false));
    let service = {
        let request_seen = Arc::clone(&request_seen);
        let service = TowerToHyperService::new(service);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            request_seen.store(true, Ordering::Relaxed);
            service.call(request)
        })
    };

    // Watching makes shutdown stop this connection gracefully: HTTP/1 closes
    // once the response in flight is written, HTTP/2 sends GOAWAY and lets
    // open streams finish.
    let mut connection =
        pin!(watcher.watch(builder.serve_connection(TokioIo::new(stream), service)));

    let outcome = tokio::select! {
        outcome = &mut connection => outcome,
        () = tokio::time::sleep(first_request_timeout) => {
            if !request_seen.load(Ordering::Relaxed) {
                debug!(?first_request_timeout, "no request head in time; closing connection");
                return;
            }
            connection.await
        }
    };

    match outcome {
        Ok(()) => debug!("connection closed"),
        Err(error) => debug!(%error, "connection ended with an error"),
    }
}
