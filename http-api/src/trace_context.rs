//! W3C Trace Context (`traceparent`): a request's trace is the caller's
//! when it sends a valid `traceparent`, a new one otherwise. Each request
//! is one span of it, the `request` span (target [`SPAN_TARGET`], level
//! DEBUG), parent of the use case's span and of each store call's; the
//! response's `traceparent` names this span, so the caller can link to it,
//! and the access line carries `trace_id` and `span_id`.
//!
//! When a `tracing-opentelemetry` layer takes these spans (the server
//! binary adds one when `OTEL_EXPORTER_OTLP_ENDPOINT` is set) the ids are
//! OpenTelemetry's and the spans are exported. Otherwise the spans are
//! disabled, which costs a callsite check, and the ids are made here: the
//! trace id (when new) and the span id, unique per process without
//! drawing randomness per request.

use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderName, HeaderValue};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::request_id::process_seed;

/// The request header carrying the caller's trace, and the response header
/// naming the request's span.
pub const TRACEPARENT: &str = "traceparent";

/// The same, parsed once: a header looked up or set by a `&str` name
/// is parsed on every call, which showed in the profile of `GET /health`.
pub(crate) const TRACEPARENT_NAME: HeaderName = HeaderName::from_static(TRACEPARENT);

/// The target of the request, use-case and store spans.
pub const SPAN_TARGET: &str = payments_ports::TRACE_TARGET;

/// A `traceparent` value: version 00, the trace, a span of it, whether it
/// is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The trace, 16 bytes, not all zero.
    pub trace_id: [u8; 16],
    /// The span, 8 bytes, not all zero.
    pub span_id: [u8; 8],
    /// The flags; bit 0 is "sampled".
    pub flags: u8,
}

impl TraceParent {
    /// Reads a `traceparent` header as W3C Trace Context level 1 says: two
    /// lower-case hex digits of version (not `ff`), then trace id, parent
    /// id and flags, dash-separated. Version 00 is exactly 55 characters; a
    /// later version may carry more after a dash, which is ignored. `None`
    /// when malformed or when an id is all zeros: the request then starts
    /// a trace of its own.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() < 55 || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let version = hex::<1>(&text[..2])?[0];
        if version == 0xff
            || (version == 0 && bytes.len() != 55)
            || (bytes.len() > 55 && bytes[55] != b'-')
        {
            return None;
        }
        let trace_id = hex::<16>(&text[3..35])?;
        let span_id = hex::<8>(&text[36..52])?;
        let flags = hex::<1>(&text[53..55])?[0];
        (trace_id != [0; 16] && span_id != [0; 8]).then_some(Self {
            trace_id,
            span_id,
            flags,
        })
    }

    /// The `traceparent` text (`00-<trace>-<span>-<flags>`), written on the
    /// stack: the header and the access line take it from there.
    pub fn text(&self) -> TraceText {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
        let mut write = |at: usize, bytes: &[u8]| {
            for (index, byte) in bytes.iter().enumerate() {
                text[at + 2 * index] = DIGITS[usize::from(byte >> 4)];
                text[at + 2 * index + 1] = DIGITS[usize::from(byte & 0xf)];
            }
        };
        write(3, &self.trace_id);
        write(36, &self.span_id);
        write(53, &[self.flags]);
        TraceText(text)
    }
}

/// A `traceparent` as text, on the stack.
#[derive(Debug, Clone, Copy)]
pub struct TraceText([u8; 55]);

impl TraceText {
    /// The whole value.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, letters and dashes are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The trace id: 32 lower-case hex digits.
    pub fn trace_id(&self) -> &str {
        &self.as_str()[3..35]
    }

    /// The span id: 16 lower-case hex digits.
    pub fn span_id(&self) -> &str {
        &self.as_str()[36..52]
    }

    /// The header value.
    pub fn header_value(&self) -> HeaderValue {
        HeaderValue::from_bytes(&self.0).unwrap_or_else(|_| {
            HeaderValue::from_static("00-00000000000000000000000000000000-0000000000000000-00")
        })
    }
}

/// `N` bytes from exactly `2N` lower-case hex digits.
fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(bytes)
}

/// The request's place in its trace: `span`'s ids when an OpenTelemetry
/// layer builds it (with `parent` as its remote parent), else made here,
/// continuing `parent`'s trace when there is one.
pub fn start(span: &tracing::Span, parent: Option<TraceParent>) -> TraceParent {
    if !span.is_disabled() {
        if let Some(parent) = parent {
            let remote = SpanContext::new(
                TraceId::from_bytes(parent.trace_id),
                SpanId::from_bytes(parent.span_id),
                TraceFlags::new(parent.flags),
                true,
                TraceState::default(),
            );
            // Fails only without an OpenTelemetry layer: then the ids
            // below are made here.
            let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
        }
        let context = span.context();
        let own = context.span().span_context().clone();
        if own.is_valid() {
            return TraceParent {
                trace_id: own.trace_id().to_bytes(),
                span_id: own.span_id().to_bytes(),
                flags: own.trace_flags().to_u8(),
            };
        }
    }
    let (trace_id, flags) = parent.map_or_else(
        || (new_trace_id(), 0),
        |parent| (parent.trace_id, parent.flags),
    );
    TraceParent {
        trace_id,
        span_id: new_span_id(),
        flags,
    }
}

/// The count behind made ids.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A new trace id: a random half of the process's, then a count.
fn new_trace_id() -> [u8; 16] {
    let mut id = [0; 16];
    id[..8].copy_from_slice(&process_seed()[1].to_be_bytes());
    id[8..].copy_from_slice(&NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    id
}

/// A new span id: the process's other random half plus a count, never
/// zero.
fn new_span_id() -> [u8; 8] {
    let id = process_seed()[0].wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed));
    (if id == 0 { 1 } else { id }).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_is_read_and_written_back_the_same() {
        let parent = TraceParent::parse(SAMPLE).unwrap();
        let text = parent.text();
        assert_eq!(text.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(text.span_id(), "00f067aa0ba902b7");
        assert_eq!(parent.flags, 1);
        assert_eq!(text.as_str(), SAMPLE);
        assert_eq!(text.header_value(), SAMPLE);
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        let cases = [
            ("", "empty"),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
                "short",
            ),
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "upper case",
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "zero trace id",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "zero span id",
            ),
            (
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "version ff",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
                "version 00 with more",
            ),
            (
                "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "separator",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
                "not hex",
            ),
        ];
        for (text, reason) in cases {
            assert_eq!(TraceParent::parse(text), None, "{reason}");
        }
        assert!(
            TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later")
                .is_some(),
            "a later version may carry more"
        );
    }

    #[test]
    fn without_a_layer_the_trace_continues_with_a_new_span() {
        let parent = TraceParent::parse(SAMPLE).unwrap();
        let continued = start(&tracing::Span::none(), Some(parent));
        assert_eq!(continued.trace_id, parent.trace_id);
        assert_eq!(continued.flags, parent.flags);
        assert_ne!(continued.span_id, parent.span_id);
        let fresh = start(&tracing::Span::none(), None);
        assert_ne!(fresh.trace_id, [0; 16]);
        assert_ne!(fresh.trace_id, start(&tracing::Span::none(), None).trace_id);
        assert_eq!(fresh.flags, 0);
    }
}
