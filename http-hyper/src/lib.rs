//! Serves a tower [`Service`](tower::Service) — in practice the payments axum
//! `Router` — over TCP with hyper 1, speaking HTTP/1.1 and cleartext HTTP/2
//! (prior knowledge) on the same port.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use http_hyper::{serve, shutdown_signal, ServeConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = Router::new().route("/health", get(|| async { "ok" }));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! serve(app, listener, shutdown_signal(), &ServeConfig::default()).await
//! # }
//! ```
//!
//! What the server adds around the service, all set in [`ServeConfig`]:
//!
//! - a **header-read timeout**: a connection that does not deliver a complete
//!   request head in time is closed (slowloris protection, and the idle
//!   timeout for HTTP/1 keep-alive connections);
//! - a **request timeout** and a **minimum body data rate**: a body that
//!   arrives too late or too slowly fails the service's read, and the
//!   connection closes;
//! - an **idle timeout** and a **maximum age** for every connection, HTTP/1
//!   or HTTP/2, judged by the requests in flight rather than by traffic,
//!   so PINGs a client answers do not keep it open;
//! - a **connection cap**, by default from the file-descriptor limit: at
//!   the cap the server stops accepting until a connection closes;
//! - the client's address, as axum's `ConnectInfo<SocketAddr>` extension;
//! - a **request body limit**: the service reads at most that much of a
//!   body, and answers `413 Payload Too Large` itself past it (with its own
//!   error format and logging), whether the body is chunked or announced by
//!   `Content-Length`;
//! - **graceful shutdown**: when the `shutdown` future completes the listener
//!   is closed, requests in flight finish, and connections still open after
//!   the grace period are dropped.
//!
//! Accept errors (for example `EMFILE`) and per-connection errors are logged
//! with `tracing`, never returned: one bad client or a burst of file
//! descriptor exhaustion must not stop the server.

mod config;
mod connection;
mod file_limit;
mod request_body;
mod serve;
mod signal;

pub use config::{MinDataRate, ServeConfig};
pub use file_limit::connections_for_file_limit;
pub use request_body::{RequestBody, TimedBody};
pub use serve::serve;
pub use signal::shutdown_signal;
