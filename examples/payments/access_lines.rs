//! The access log's own writer: every `payments::access` event becomes one
//! JSON line, the same shape tracing-subscriber's JSON format gives every
//! other line (`timestamp`, `level`, `fields`, `target`), written straight
//! into the log's queue. The general formatter cost as much as a fifth of
//! a `GET /health` under load; this one does only what an access line
//! needs.

use std::cell::Cell;
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
        // An access line is about 300 bytes.
        let mut line = Vec::with_capacity(512);
        line.extend_from_slice(b"{\"timestamp\":\"");
        push_timestamp(&mut line);
        line.extend_from_slice(b"\",\"level\":\"");
        line.extend_from_slice(event.metadata().level().as_str().as_bytes());
        line.extend_from_slice(b"\",\"fields\":{");
        let mut fields = Fields { line, first: true };
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
struct Fields {
    line: Vec<u8>,
    first: bool,
}

impl Fields {
    fn name(&mut self, field: &Field) {
        if !self.first {
            self.line.push(b',');
        }
        self.first = false;
        push_json_string(&mut self.line, field.name());
        self.line.push(b':');
    }
}

impl Visit for Fields {
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
        self.line.push(b'"');
        let _ = write!(Escaping(&mut self.line), "{value:?}");
        self.line.push(b'"');
    }
}

/// `text` as a JSON string, escaped as serde_json escapes, so nothing a
/// client sends (a route is a template, but a method is theirs) can break
/// the line.
fn push_json_string(line: &mut Vec<u8>, text: &str) {
    line.push(b'"');
    push_escaped(line, text);
    line.push(b'"');
}

/// `text` inside a JSON string: as it is when nothing in it needs an
/// escape, as almost every access line's text is (ids, digits, a route
/// template); otherwise each `"`, `\` and control character escaped.
fn push_escaped(line: &mut Vec<u8>, text: &str) {
    if !needs_escape(text.as_bytes()) {
        line.extend_from_slice(text.as_bytes());
        return;
    }
    for byte in text.bytes() {
        match byte {
            b'"' => line.extend_from_slice(b"\\\""),
            b'\\' => line.extend_from_slice(b"\\\\"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            b'\t' => line.extend_from_slice(b"\\t"),
            0x08 => line.extend_from_slice(b"\\b"),
            0x0c => line.extend_from_slice(b"\\f"),
            control if control < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                line.extend_from_slice(b"\\u00");
                line.push(HEX[usize::from(control >> 4)]);
                line.push(HEX[usize::from(control & 0xf)]);
            }
            // Multi-byte characters pass whole: none of their bytes is
            // below 0x80.
            other => line.push(other),
        }
    }
}

/// Whether any byte of `text` is one JSON escapes: a control character,
/// `"` or `\`. Eight bytes at a time, each word tested for a byte below
/// 0x20 and for a byte equal to either character at once (a byte past
/// 0x7f, part of a multi-byte character, never matches); byte by byte,
/// this test was most of an access line's cost.
fn needs_escape(text: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH_BITS: u64 = ONES * 0x80;
    // The high bit of each byte of `word` below `limit` (at most 0x80)
    // is set in the result, and no other high bit unless a lower byte's
    // is: as a yes or no, exact.
    let below =
        |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH_BITS;
    let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    let escaped = |byte: u8| byte < 0x20 || byte == b'"' || byte == b'\\';
    let mut words = text.chunks_exact(8);
    for chunk in &mut words {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(bytes);
        if below(word, 0x20) | equal(word, b'"') | equal(word, b'\\') != 0 {
            return true;
        }
    }
    words.remainder().iter().copied().any(escaped)
}

/// Formatted text, escaped into a line as it is written.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        push_escaped(self.0, text);
        Ok(())
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
    fn what_a_client_sends_is_escaped_into_one_json_string() {
        let mut line = Vec::new();
        push_json_string(&mut line, "a\"b\\c\nd\re\tf\u{1}g\u{1f}hé€");
        let line = String::from_utf8(line).unwrap();
        assert_eq!(line, r#""a\"b\\c\nd\re\tf\u0001g\u001fhé€""#);
        assert_eq!(
            serde_json::from_str::<String>(&line).unwrap(),
            "a\"b\\c\nd\re\tf\u{1}g\u{1f}hé€"
        );
    }

    #[test]
    fn a_byte_to_escape_is_found_wherever_it_is_in_a_word() {
        for byte in 0..=u8::MAX {
            let escaped = byte < 0x20 || byte == b'"' || byte == b'\\';
            for length in 1..=20 {
                for at in 0..length {
                    // Around it, bytes next to the ones escaped.
                    let mut text = vec![b'#'; length];
                    text[at] = byte;
                    if at > 0 {
                        text[at - 1] = 0xff;
                    }
                    assert_eq!(
                        needs_escape(&text),
                        escaped,
                        "{byte:#04x} at {at} of {length}"
                    );
                }
            }
        }
        assert!(!needs_escape(b""));
        assert!(!needs_escape("é€ 01234567 ~ !#]^".as_bytes()));
    }

    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it() {
        let characters =
            (0..0x100)
                .filter_map(char::from_u32)
                .chain(['€', '\u{2028}', '\u{10ffff}']);
        for character in characters {
            let text = format!("x{character}y");
            let mut line = Vec::new();
            push_json_string(&mut line, &text);
            assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "{character:?}"
            );
            let mut formatted = Vec::new();
            write!(Escaping(&mut formatted), "{text}").unwrap();
            assert_eq!(
                format!("\"{}\"", String::from_utf8(formatted).unwrap()),
                serde_json::to_string(&text).unwrap(),
                "{character:?} formatted"
            );
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
