//! JSON log lines for CloudWatch, each carrying the invocation's ids.

use lambda_http::RequestExt as _;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Installs [`json_subscriber`] writing to stdout (which Lambda sends to
/// CloudWatch Logs) as the process's subscriber. Does nothing when the
/// program already installed one.
pub fn init_json_logging() {
    let _already_installed =
        tracing::subscriber::set_global_default(json_subscriber(std::io::stdout));
}

/// The function's log format: one JSON object per line, no colours, and the
/// list of spans a line was written in, so every line written while an
/// event is handled carries the [`invocation_span`]'s ids. The level comes
/// from `PAYMENTS_LOG` (an `EnvFilter`, e.g. `info,payments=debug`), else
/// from `AWS_LAMBDA_LOG_LEVEL` (set by the function's logging
/// configuration), else `info`.
///
/// Whatever the level, the Lambda runtime crates log at most at `debug`:
/// at `trace`, `lambda_runtime` writes every raw event, with its API key
/// header, body and personal data, and no log level may do that.
pub fn json_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let mut filter = EnvFilter::try_from_env("PAYMENTS_LOG").unwrap_or_else(|_| {
        let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_default();
        EnvFilter::new(lambda_log_level(&level))
    });
    for runtime_crate in RUNTIME_CRATES {
        if let Ok(cap) = format!("{runtime_crate}=debug").parse() {
            filter = filter.add_directive(cap);
        }
    }
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_current_span(false)
        .with_span_list(true)
        .with_writer(writer)
        .finish()
}

/// The crates between Lambda and the Router, whose `trace` lines hold raw
/// events.
const RUNTIME_CRATES: [&str; 3] = ["lambda_runtime", "lambda_runtime_api_client", "lambda_http"];

/// Lambda's application log levels as `tracing` levels (`FATAL` has none).
fn lambda_log_level(level: &str) -> &'static str {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "info",
    }
}

/// The span every log line of one invocation is written in: `invocation`
/// with `lambda_request_id` (the Lambda request id, as in CloudWatch's
/// `START`/`REPORT` lines) and `xray_trace_id` (from the invocation's
/// context, else `_X_AMZN_TRACE_ID`), each when known.
pub fn invocation_span(request: &lambda_http::Request) -> tracing::Span {
    let context = request.lambda_context_ref();
    let request_id = context
        .map(|context| context.request_id.as_str())
        .filter(|id| !id.is_empty());
    let trace_id = context
        .and_then(|context| context.xray_trace_id.clone())
        .or_else(|| std::env::var("_X_AMZN_TRACE_ID").ok())
        .filter(|id| !id.is_empty());
    tracing::info_span!(
        "invocation",
        lambda_request_id = request_id,
        xray_trace_id = trace_id.as_deref()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_log_levels_map_to_tracing_levels() {
        let cases = [
            ("DEBUG", "debug"),
            ("warn", "warn"),
            ("FATAL", "error"),
            ("", "info"),
            ("nonsense", "info"),
        ];
        for (lambda, expected) in cases {
            assert_eq!(lambda_log_level(lambda), expected, "{lambda:?}");
        }
    }
}
