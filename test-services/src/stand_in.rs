//! Plain HTTP/1.1 on a loopback socket, for stand-ins of services that
//! cannot be made to misbehave on demand or have no local emulator (a
//! DynamoDB that reports `TransactionConflict`, the Lambda runtime API):
//! read one request, write one response, keep the connection for the next.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One request as the stand-in saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, such as `/2018-06-01/runtime/invocation/next`.
    pub path: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes; chunked bodies are not read).
    pub body: Vec<u8>,
}

impl SeenRequest {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A connection to a stand-in.
#[derive(Debug)]
pub struct Connection(BufReader<TcpStream>);

impl Connection {
    /// Wraps an accepted connection.
    pub fn new(stream: TcpStream) -> Self {
        Self(BufReader::new(stream))
    }

    /// The next request, or `None` when the client closed the connection.
    ///
    /// # Panics
    /// When the request head is not HTTP/1.1 as this reads it.
    pub async fn next_request(&mut self) -> Option<SeenRequest> {
        let mut line = String::new();
        if self.0.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if self.0.read_line(&mut line).await.unwrap_or(0) == 0 {
                return None;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let length = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map_or(0, |(_, value)| value.parse().expect("a length"));
        let mut body = vec![0; length];
        self.0.read_exact(&mut body).await.ok()?;
        Some(SeenRequest {
            method,
            path,
            headers,
            body,
        })
    }

    /// Writes a response with `status` (such as `200 OK`), `headers` and
    /// `body`; the content length is added.
    ///
    /// # Panics
    /// When the client is gone.
    pub async fn respond(&mut self, status: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
        for (name, value) in headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let stream = self.0.get_mut();
        stream
            .write_all(head.as_bytes())
            .await
            .expect("the client reads");
        stream.write_all(body).await.expect("the client reads");
    }
}
