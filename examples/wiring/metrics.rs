//! Metrics of `payments serve` in the Prometheus text format.
//!
//! The libraries count in the `metrics` facade (requests and latency by
//! route in http-api, connections in http-hyper, store calls in
//! `payments_ports::MeteredRepository`, usage-plan refusals); this module
//! installs the Prometheus recorder that keeps them and renders them for
//! `GET /metrics`. Latencies are histograms with fixed buckets, so they
//! add up across instances.

use std::time::Duration;

use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: 100 µs to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// How often the recorder's histograms are folded (what its own listener
/// would do, which we do not run).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process's recorder, and keeps it folded.
///
/// # Errors
/// When a recorder is installed already.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)?
        .install_recorder()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// `GET /metrics`: everything counted so far, in the Prometheus text
/// format. Needs no API key (a scraper has none), and holds no ids, keys
/// or organisations.
pub fn route(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    handle.render(),
                )
            }
        }),
    )
}
