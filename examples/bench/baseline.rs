//! `bench-baseline`: the fastest server this machine's transport allows,
//! for `make bench-http` to measure `payments serve` against. It speaks
//! what `payments serve` speaks (HTTP/1.1 and cleartext HTTP/2 on one port,
//! hyper-util's auto builder, `TCP_NODELAY`) and answers every request for
//! a path with the exact status, headers and body `payments serve` gave it,
//! read once at start from files; it does nothing else.
//!
//! ```text
//! bench-baseline [--transport] LISTEN PATH=FILE...
//! ```
//!
//! With `--transport` the same replay is served through `http_hyper::serve`
//! with `payments serve`'s settings, so the difference between the two
//! modes is the transport's own cost, and the rest is the API's.
//!
//! Each FILE holds a whole HTTP/1.1 response as `curl -si` prints it (a
//! status line, headers, a blank line, the body).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

/// A response as captured: replayed as it is.
#[derive(Clone)]
struct Captured {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

fn parse(text: &[u8]) -> anyhow::Result<Captured> {
    let split = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no blank line after the headers")?;
    let head = std::str::from_utf8(&text[..split])?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().context("no status line")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .context("no status code")?
        .parse::<u16>()?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').context("a header without a colon")?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())?;
        // The transport writes these itself.
        if name == http::header::CONTENT_LENGTH || name == http::header::DATE {
            continue;
        }
        headers.push((name, HeaderValue::from_str(value.trim())?));
    }
    Ok(Captured {
        status: StatusCode::from_u16(status)?,
        headers,
        body: Bytes::copy_from_slice(&text[split + 4..]),
    })
}

/// The response captured for `path`, or an empty 404.
fn replay(routes: &HashMap<String, Captured>, path: &str) -> Response<Full<Bytes>> {
    let captured = routes.get(path).cloned().unwrap_or_else(|| Captured {
        status: StatusCode::NOT_FOUND,
        headers: Vec::new(),
        body: Bytes::new(),
    });
    let mut response = Response::new(Full::new(captured.body));
    *response.status_mut() = captured.status;
    response.headers_mut().extend(captured.headers);
    response
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    let through_transport = args.next_if(|arg| arg == "--transport").is_some();
    let listen = args
        .next()
        .context("usage: bench-baseline [--transport] LISTEN PATH=FILE...")?;
    let mut routes = HashMap::new();
    for route in args {
        let (path, file) = route.split_once('=').context("a route is PATH=FILE")?;
        let text = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
        routes.insert(
            path.to_owned(),
            parse(&text).with_context(|| file.to_owned())?,
        );
    }
    let routes = Arc::new(routes);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("bench-baseline listening on {}", listener.local_addr()?);
    if through_transport {
        let service = tower::service_fn(move |request: Request<http_hyper::RequestBody>| {
            let response = replay(&routes, request.uri().path());
            async move { Ok::<_, Infallible>(response) }
        });
        let config = http_hyper::ServeConfig {
            request_body_limit: payments_examples::TRANSPORT_BODY_LIMIT,
            ..http_hyper::ServeConfig::default()
        };
        http_hyper::serve(service, listener, http_hyper::shutdown_signal(), &config).await?;
        return Ok(());
    }
    let builder = Arc::new(Builder::new(TokioExecutor::new()));
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let routes = Arc::clone(&routes);
        let builder = Arc::clone(&builder);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = replay(&routes, request.uri().path());
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
