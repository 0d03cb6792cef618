//! The access log's own writer: every `payments::access` event becomes one
//! JSON line, the same shape tracing-subscriber's JSON format gives every
//! other line (`timestamp`, `level`, `fields`, `target`), written straight
//! into the log's queue. The general formatter cost as much as a fifth of
//! a `GET /health` under load; this one does only what an access line
//! needs.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::OnceLock;

use tracing::callsite::Identifier;
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

// Strings escaped as serde_json escapes, so nothing a client sends (a
// route is a template, but a method is theirs) can break the line.
use http_api::json::{push_formatted, push_string as push_json_string};

/// The target of access lines, as `http_api` writes them.
pub const TARGET: &str = "payments::access";

/// Writes access lines to `writer`.
pub struct AccessLines<W> {
    writer: W,
    /// The first access callsite's field names, each already written as
    /// a JSON member's start (`"route":`), by field index: every access
    /// line has the same names, and escaping each anew was a third
    /// of writing the line. Lines from any other callsite escape theirs.
    names: OnceLock<(Identifier, WrittenNames)>,
}

/// Field names written as JSON members' starts, by field index.
type WrittenNames = Box<[Box<[u8]>]>;

impl<W> AccessLines<W> {
    /// Access lines written to `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer,
            names: OnceLock::new(),
        }
    }

    /// The written names of the fields of `metadata`'s callsite, when it
    /// is the first access callsite.
    fn names_of(&self, metadata: &Metadata<'_>) -> Option<&[Box<[u8]>]> {
        let (callsite, names) = self.names.get_or_init(|| {
            let names = metadata
                .fields()
                .iter()
                .map(|field| {
                    let mut name = Vec::with_capacity(field.name().len() + 3);
                    push_member_name(&mut name, &field);
                    name.into_boxed_slice()
                })
                .collect();
            (metadata.callsite(), names)
        });
        (*callsite == metadata.callsite()).then_some(&**names)
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
        // An access line is about 300 bytes.
        let mut line = Vec::with_capacity(512);
        line.extend_from_slice(b"{\"timestamp\":\"");
        push_timestamp(&mut line);
        line.extend_from_slice(b"\",\"level\":\"");
        line.extend_from_slice(event.metadata().level().as_str().as_bytes());
        line.extend_from_slice(b"\",\"fields\":{");
        let mut fields = Fields {
            line,
            first: true,
            names: self.names_of(event.metadata()),
        };
        event.record(&mut fields);
        let mut line = fields.line;
        line.extend_from_slice(b"},\"target\":\"");
        line.extend_from_slice(TARGET.as_bytes());
        line.extend_from_slice(b"\"}\n");
        let _ = self.writer.make_writer().write_all(&line);
    }
}

/// Now, as RFC 3339 in UTC with microseconds (`2026-12-01T22:31:37.499374Z`).
/// The date and time of day are formatted once a second per thread; each
/// line adds only its microseconds.
fn push_timestamp(line: &mut Vec<u8>) {
    thread_local! {
        static SECOND: Cell<(i64, [u8; 19])> = const { Cell::new((i64::MIN, [0; 19])) };
    }
    // Log time, not domain time: the Clock port is for payments.
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let second = now.timestamp();
    let (cached, mut text) = SECOND.get();
    if cached != second {
        let mut formatted = String::with_capacity(19);
        let _ = write!(formatted, "{}", now.format("%Y-%m-%dT%H:%M:%S"));
        if let Ok(bytes) = <[u8; 19]>::try_from(formatted.as_bytes()) {
            text = bytes;
            SECOND.set((second, text));
        }
    }
    line.extend_from_slice(&text);
    let micros = now.timestamp_subsec_micros().min(999_999);
    let mut digits = *b".000000Z";
    let mut rest = micros;
    for digit in digits[1..7].iter_mut().rev() {
        *digit = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
    }
    line.extend_from_slice(&digits);
}

/// An event's fields as JSON members.
struct Fields<'a> {
    line: Vec<u8>,
    first: bool,
    /// The written names of the event's fields, by index, when known.
    names: Option<&'a [Box<[u8]>]>,
}

impl Fields<'_> {
    fn name(&mut self, field: &Field) {
        if !self.first {
            self.line.push(b',');
        }
        self.first = false;
        if let Some(written) = self.names.and_then(|names| names.get(field.index())) {
            self.line.extend_from_slice(written);
        } else {
            push_member_name(&mut self.line, field);
        }
    }
}

/// `field`'s name as the start of a JSON member: `"route":`.
fn push_member_name(out: &mut Vec<u8>, field: &Field) {
    push_json_string(out, field.name());
    out.push(b':');
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        push_json_string(&mut self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.name(field);
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        self.line
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        // Formatted straight into the line, escaped as it goes.
        let _ = push_formatted(&mut self.line, format_args!("{value:?}"));
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
            // Another callsite, with names of its own (one to escape).
            tracing::info!(target: "payments::access", request_id = "r-2", "quoted\"name" = 7_u64, "request");
        });

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let other: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            other["fields"],
            serde_json::json!({ "message": "request", "request_id": "r-2", "quoted\"name": 7 })
        );
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
