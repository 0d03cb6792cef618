//! The access log's own writer: every `payments::access` event becomes one
//! JSON line, the same shape tracing-subscriber's JSON format gives every
//! other line (`timestamp`, `level`, `fields`, `target`), written straight
//! into the log's queue. The general formatter cost as much as a fifth of
//! a `GET /health` under load; this one does only what an access line
//! needs.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// The target of access lines, as `http_api` writes them.
pub const TARGET: &str = "payments::access";

/// Writes access lines to `writer`.
pub struct AccessLines<W> {
    writer: W,
}

impl<W> AccessLines<W> {
    /// Access lines written to `writer`.
    pub fn new(writer: W) -> Self {
        Self { writer }
    }
}

impl<S, W> Layer<S> for AccessLines<W>
where
    S: Subscriber,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut line = String::with_capacity(256);
        line.push_str("{\"timestamp\":\"");
        // Log time, not domain time: the Clock port is for payments.
        #[allow(clippy::disallowed_methods)]
        let now = chrono::Utc::now();
        let _ = write!(line, "{}", now.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
        let _ = write!(
            line,
            "\",\"level\":\"{}\",\"fields\":{{",
            event.metadata().level()
        );
        let mut fields = Fields { line, first: true };
        event.record(&mut fields);
        let mut line = fields.line;
        line.push_str("},\"target\":\"");
        line.push_str(TARGET);
        line.push_str("\"}\n");
        let _ = self.writer.make_writer().write_all(line.as_bytes());
    }
}

/// An event's fields as JSON members.
struct Fields {
    line: String,
    first: bool,
}

impl Fields {
    fn name(&mut self, field: &Field) {
        if !self.first {
            self.line.push(',');
        }
        self.first = false;
        push_json_string(&mut self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        push_json_string(&mut self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        push_json_string(&mut self.line, &format!("{value:?}"));
    }
}

/// `text` as a JSON string.
fn push_json_string(line: &mut String, text: &str) {
    // serde_json's escaping, so nothing a client sends (a route is a
    // template, but a method is theirs) can break the line.
    if let Ok(quoted) = serde_json::to_string(text) {
        line.push_str(&quoted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt as _;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_access_event_is_one_json_line_with_every_field() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber =
            tracing_subscriber::registry().with(AccessLines::new(move || writer.clone()));

        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "payments::access", request_id = "r-1", method = %"GET",
                route = "/v1/payments/{id}", status = 404_u16, latency_us = 12_u64, "request");
            tracing::info!(target: "payments::other", "not an access line");
        });

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            line["fields"],
            serde_json::json!({ "message": "request", "request_id": "r-1", "method": "GET",
                "route": "/v1/payments/{id}", "status": 404, "latency_us": 12 })
        );
        assert_eq!(line["target"], "payments::access");
        assert_eq!(line["level"], "INFO");
        let timestamp = line["timestamp"].as_str().unwrap();
        assert_eq!(
            timestamp.len(),
            "2026-12-01T22:31:37.499374Z".len(),
            "{timestamp}"
        );
    }
}
