//! The SAM template's alarms read the metrics this front end writes: the
//! names it emits, and the route templates the Router has.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::Value;

const TEMPLATE: &str = include_str!("../../deploy/template.yaml");

/// The lines of the template's resource `name`, up to the next resource.
fn resource(name: &str) -> Vec<&'static str> {
    let start = format!("  {name}:");
    TEMPLATE
        .lines()
        .skip_while(|line| *line != start)
        .skip(1)
        .take_while(|line| line.is_empty() || line.starts_with("    "))
        .collect()
}

/// The values after `key: ` in `lines`, unquoted.
fn values<'a>(lines: &[&'a str], key: &str) -> Vec<&'a str> {
    let key = format!("{key}: ");
    lines
        .iter()
        .map(|line| line.trim_start())
        .map(|line| line.strip_prefix("- ").unwrap_or(line))
        .filter_map(|line| line.strip_prefix(key.as_str()))
        .map(|value| value.trim_matches('"'))
        .collect()
}

#[test]
fn the_latency_alarm_watches_every_route_that_needs_a_key() {
    let alarm = resource("RouteLatencyP99Alarm");
    assert_eq!(
        values(&alarm, "MetricName")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([http_api::REQUEST_DURATION_METRIC])
    );
    let watched: BTreeSet<&str> = values(&alarm, "Value").into_iter().collect();
    let document: Value = serde_json::from_str(http_api::openapi_json()).unwrap();
    let keyed: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| {
            item.as_object()
                .unwrap()
                .values()
                .any(|operation| operation.get("security").is_none())
        })
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(watched, keyed);
}

#[test]
fn the_error_rate_alarm_reads_the_request_counter_by_status() {
    let alarm = resource("ServerErrorRateAlarm");
    assert_eq!(
        values(&alarm, "MetricName")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([http_api::REQUESTS_METRIC])
    );
    assert_eq!(values(&alarm, "Name"), vec!["status", "status"]);
    assert_eq!(values(&alarm, "Value"), vec!["500", "503"]);
    // The namespace the function is told to write to is the one read.
    let namespaces: BTreeSet<&str> = values(&alarm, "Namespace").into_iter().collect();
    assert_eq!(
        namespaces,
        BTreeSet::from(["!Sub payments/${AWS::StackName}"])
    );
    assert_eq!(
        values(&resource("PaymentsFunction"), "PAYMENTS_METRICS_NAMESPACE"),
        vec!["!Sub payments/${AWS::StackName}"]
    );
}
