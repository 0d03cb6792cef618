//! Exporting traces over OTLP (HTTP, protobuf) when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set: the request, use-case and store
//! spans (`payments_ports::TRACE_TARGET`) go to an OpenTelemetry collector
//! in batches, from a thread of the exporter's own. Unset, nothing is
//! built and the spans stay disabled: tracing costs nothing.
//!
//! The standard variables apply: `OTEL_EXPORTER_OTLP_ENDPOINT` (the
//! collector; `/v1/traces` is appended), `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_SERVICE_NAME` (default `payments`), `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_BSP_SCHEDULE_DELAY` and the other batch settings.

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::Subscriber;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The variable that turns exporting on.
pub const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// The exporting pipeline; flushes what is left and stops when dropped.
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// The pipeline when [`ENDPOINT`] is set, else `None`.
    ///
    /// # Errors
    /// When the exporter cannot be built (a malformed endpoint).
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        if std::env::var(ENDPOINT).map_or(true, |endpoint| endpoint.trim().is_empty()) {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .with_context(|| format!("cannot export traces to {ENDPOINT}"))?;
        let resource = if std::env::var_os("OTEL_SERVICE_NAME").is_some() {
            Resource::builder().build()
        } else {
            Resource::builder().with_service_name("payments").build()
        };
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        Ok(Some(Self { provider }))
    }

    /// The layer that turns the spans of [`payments_ports::TRACE_TARGET`]
    /// into OpenTelemetry spans for this pipeline (and sees nothing else).
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("payments"))
            .with_filter(
                Targets::new().with_target(payments_ports::TRACE_TARGET, tracing::Level::DEBUG),
            )
    }
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "the last traces could not be exported");
        }
    }
}
