//! What the transport's test files share.

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Generous bound for anything that should happen "soon": it catches hangs
/// without making the suite depend on the machine's speed.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Waits for the server to close `stream` and returns how long that took.
///
/// # Panics
/// When the connection is still open after [`PATIENCE`].
pub async fn time_until_closed_by_server(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let read = timeout(PATIENCE, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("connection still open after {PATIENCE:?}"));
        match read {
            // A reset counts as closed as much as an orderly FIN does.
            Ok(0) | Err(_) => return started.elapsed(),
            // hyper may answer a timed-out HTTP/1 request head before closing.
            Ok(_) => {}
        }
    }
}
