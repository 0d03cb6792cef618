//! Metrics as CloudWatch Embedded Metric Format lines: the same counters
//! and histograms `payments serve` shows at `/metrics` (requests by route,
//! method and status; latency by route; store calls and errors), counted
//! by the same code through the `metrics` facade, and written to stdout at
//! the end of each invocation, where CloudWatch Logs turns them into
//! metrics. No API call: nothing to wait for, nothing to permit in IAM.
//!
//! One line per metric and label set counted during the invocation:
//!
//! ```json
//! {"_aws":{"Timestamp":1733140800000,"CloudWatchMetrics":[{"Namespace":"payments",
//!   "Dimensions":[["route","method","status"],["status"],[]],
//!   "Metrics":[{"Name":"payments_http_requests_total","Unit":"Count"}]}]},
//!  "route":"/v1/payments","method":"POST","status":"201","payments_http_requests_total":1}
//! ```
//!
//! Each metric is published under its full label set and, where the
//! template's alarms need it, under coarser ones ([`dimension_sets`]):
//! requests also by status alone and in total (the 5xx rate), latency also
//! by route alone (p99 by route). A histogram's values go as an array, as
//! EMF allows (at most 100 per line; more are split over lines).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use serde_json::{json, Map, Value};

/// The CloudWatch namespace when none is given: the template gives each
/// stack its own (`payments/<stack>`), so two deployments in one account
/// never add up.
pub const DEFAULT_NAMESPACE: &str = "payments";

/// The most values one EMF line may carry for a metric.
const MAX_VALUES: usize = 100;

/// Where the lines go: stdout in a function, a buffer in tests.
pub type Sink = Box<dyn Fn(&str) + Send + Sync>;

/// What was counted during this invocation, by metric and label set.
#[derive(Default)]
struct Registry {
    counters: Mutex<BTreeMap<Key, Arc<CounterCell>>>,
    histograms: Mutex<BTreeMap<Key, Arc<HistogramCell>>>,
}

/// A counter's increments since the last flush.
#[derive(Default)]
struct CounterCell(AtomicU64);

impl metrics::CounterFn for CounterCell {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }

    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

/// A histogram's values since the last flush.
#[derive(Default)]
struct HistogramCell(Mutex<Vec<f64>>);

impl metrics::HistogramFn for HistogramCell {
    fn record(&self, value: f64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(value);
    }
}

/// The `metrics` recorder of a Lambda function: keeps what is counted
/// until [`flush`] writes it as EMF lines. Gauges (open connections, pool
/// use) mean nothing in a function that serves one event at a time, and
/// are dropped.
struct EmfRecorder(Arc<Registry>);

impl Recorder for EmfRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self
            .0
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Counter::from_arc(counters.entry(key.clone()).or_default().clone())
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut histograms = self
            .0
            .histograms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Histogram::from_arc(histograms.entry(key.clone()).or_default().clone())
    }
}

/// The installed recorder's registry, namespace and sink.
struct Installed {
    registry: Arc<Registry>,
    namespace: String,
    sink: Sink,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Another `metrics` recorder was installed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderTaken;

impl std::fmt::Display for RecorderTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a metrics recorder is installed already")
    }
}

impl std::error::Error for RecorderTaken {}

/// Installs the EMF recorder as this process's `metrics` recorder, its
/// metrics in `namespace` and its lines going to stdout: what
/// `payments-lambda` does at init.
///
/// # Errors
/// When a recorder is installed already.
pub fn init_emf_metrics(namespace: &str) -> Result<(), RecorderTaken> {
    init_emf_metrics_with(namespace, Box::new(|line| println!("{line}")))
}

/// [`init_emf_metrics`], with the lines going to `sink` (tests read them).
///
/// # Errors
/// When a recorder is installed already.
pub fn init_emf_metrics_with(namespace: &str, sink: Sink) -> Result<(), RecorderTaken> {
    let registry = Arc::new(Registry::default());
    metrics::set_global_recorder(EmfRecorder(registry.clone())).map_err(|_| RecorderTaken)?;
    INSTALLED
        .set(Installed {
            registry,
            namespace: namespace.to_owned(),
            sink,
        })
        .map_err(|_| RecorderTaken)
}

/// Writes what was counted since the last flush, one EMF line per metric
/// and label set, and starts counting afresh. Nothing when no EMF
/// recorder is installed. [`respond`](crate::respond) calls it once the
/// response is ready.
pub fn flush() {
    let Some(installed) = INSTALLED.get() else {
        return;
    };
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    for line in lines(&installed.registry, &installed.namespace, timestamp) {
        (installed.sink)(&line);
    }
}

/// The EMF lines of what the registry holds, taking it out.
fn lines(registry: &Registry, namespace: &str, timestamp: u64) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, cell) in registry
        .counters
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        let count = cell.0.swap(0, Ordering::Relaxed);
        if count > 0 {
            lines.push(line(key, "Count", json!(count), namespace, timestamp));
        }
    }
    for (key, cell) in registry
        .histograms
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        let values = std::mem::take(&mut *cell.0.lock().unwrap_or_else(PoisonError::into_inner));
        for chunk in values.chunks(MAX_VALUES) {
            lines.push(line(
                key,
                unit_of(key.name()),
                json!(chunk),
                namespace,
                timestamp,
            ));
        }
    }
    lines
}

/// The CloudWatch unit of a histogram, from its name's suffix.
fn unit_of(name: &str) -> &'static str {
    if name.ends_with("_seconds") {
        "Seconds"
    } else {
        "None"
    }
}

/// One EMF line: the metric under its dimension sets, its labels as
/// members, and its value.
fn line(key: &Key, unit: &str, value: Value, namespace: &str, timestamp: u64) -> String {
    let labels: Vec<(&str, &str)> = key
        .labels()
        .map(|label| (label.key(), label.value()))
        .collect();
    let names: Vec<&str> = labels.iter().map(|(name, _)| *name).collect();
    let mut document = Map::new();
    document.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": dimension_sets(key.name(), &names),
                "Metrics": [{ "Name": key.name(), "Unit": unit }],
            }],
        }),
    );
    for (name, label) in labels {
        document.insert(name.to_owned(), Value::from(label));
    }
    document.insert(key.name().to_owned(), value);
    Value::Object(document).to_string()
}

/// The dimension sets a metric is published under: always all its
/// labels; the request counter also by status alone and in total, the
/// latency histogram also by route alone, for the template's alarms.
fn dimension_sets<'a>(name: &str, labels: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut sets = vec![labels.to_vec()];
    let only = |wanted: &str| {
        labels
            .iter()
            .copied()
            .filter(|label| *label == wanted)
            .collect::<Vec<_>>()
    };
    if name == http_api::REQUESTS_METRIC {
        sets.push(only("status"));
        sets.push(Vec::new());
    } else if name == http_api::REQUEST_DURATION_METRIC {
        sets.push(only("route"));
    }
    sets.dedup();
    sets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_count_is_one_line_with_its_labels_and_dimension_sets() {
        let registry = Registry::default();
        let key = Key::from_parts(
            http_api::REQUESTS_METRIC,
            vec![
                metrics::Label::new("route", "/v1/payments"),
                metrics::Label::new("method", "POST"),
                metrics::Label::new("status", "201"),
            ],
        );
        registry
            .counters
            .lock()
            .unwrap()
            .entry(key)
            .or_default()
            .0
            .store(2, Ordering::Relaxed);
        let lines = lines(&registry, "payments", 1_733_140_800_000);
        let parsed: Vec<Value> = lines
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            parsed,
            vec![json!({
                "_aws": {
                    "Timestamp": 1_733_140_800_000_u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "payments",
                        "Dimensions": [["route", "method", "status"], ["status"], []],
                        "Metrics": [{ "Name": "payments_http_requests_total", "Unit": "Count" }],
                    }],
                },
                "route": "/v1/payments",
                "method": "POST",
                "status": "201",
                "payments_http_requests_total": 2,
            })]
        );
        assert_eq!(
            super::lines(&registry, "payments", 0),
            Vec::<String>::new(),
            "a flush starts afresh"
        );
    }

    #[test]
    fn histogram_values_are_split_at_a_hundred_per_line() {
        let registry = Registry::default();
        let key = Key::from_parts(
            http_api::REQUEST_DURATION_METRIC,
            vec![
                metrics::Label::new("route", "/health"),
                metrics::Label::new("method", "GET"),
            ],
        );
        let values: Vec<f64> = (0..150).map(f64::from).collect();
        *registry
            .histograms
            .lock()
            .unwrap()
            .entry(key)
            .or_default()
            .0
            .lock()
            .unwrap() = values;
        let parsed: Vec<Value> = lines(&registry, "payments", 0)
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let sizes: Vec<usize> = parsed
            .iter()
            .map(|line| {
                line["payments_http_request_duration_seconds"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, vec![100, 50]);
        assert_eq!(
            parsed[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["route", "method"], ["route"]])
        );
        assert_eq!(
            parsed[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{ "Name": "payments_http_request_duration_seconds", "Unit": "Seconds" }])
        );
    }
}
