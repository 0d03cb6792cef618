//! The published contract against the server, as a client's tooling would
//! check it: schemathesis (installed into the project's `.venv` on first
//! use) over every operation of `payments serve` on the memory store,
//! reading the document from `GET /openapi.json`, with every check, a
//! fixed seed and a bounded number of examples. Zero failures, or the test
//! fails with schemathesis's report.
//!
//! The hooks (`tests/data/schemathesis_hooks.py`) and the settings
//! (`tests/data/schemathesis.toml`) stand for the rules OpenAPI cannot
//! state, each with its reason: the key's organisation, the PATCH body's
//! id against the URL's, issued cursors, idempotency keys, a report's
//! period, a patch judged against the stored payment, JSON numbers'
//! decimal places, and a deleted payment's history.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use payments_test_services::schemathesis;
use payments_tests::http_table::{KEY_A, ORGANISATION_A};
use serde_json::Value;

/// Test cases per operation and phase.
const EXAMPLES: &str = "100";
/// The same cases on every run, so a failure reproduces.
const SEED: &str = "1";

/// How long the stateful phase explores: it runs scenario after scenario
/// until then (about 550 on a 2-core machine), so a payment's whole life
/// along the document's links is all but certain to be among them.
const STATEFUL_SECONDS: &str = "30";

/// Runs schemathesis over `server` in `phases`, writing a HAR file of
/// every exchange to `har`; whether it passed, and what it printed.
///
/// Every check is on through the settings file
/// (`tests/data/schemathesis.toml`), as `--checks all` would turn them on:
/// the command line would override the file's one exception, which says
/// why it is there.
fn schemathesis_run(base: &str, phases: &str, har: &Path) -> (bool, String) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    // schemathesis keeps a cache of failures it found (`.schemathesis/`)
    // where it runs and replays them next time: out of the source tree,
    // and gone with each run, so every run is the seed's alone.
    let scratch = har.with_extension("d");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let mut command = Command::new(schemathesis::program());
    command
        .current_dir(&scratch)
        .arg("--config-file")
        .arg(data.join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["--phases", phases])
        .args(["--max-examples", EXAMPLES])
        .args(["--seed", SEED])
        .args(["--header", &format!("x-api-key: {KEY_A}")])
        // Every run from the seed alone, not from examples found before.
        .args(["--generation-database", "none"])
        .args(["--workers", "1"])
        .arg("--no-color")
        .args(["--report", "har", "--report-har-path"])
        .arg(har)
        .env("PYTHONPATH", &data)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PAYMENTS_SCHEMATHESIS_ORGANISATION", ORGANISATION_A);
    if phases == "stateful" {
        command.args(["--max-time", STATEFUL_SECONDS]);
    }
    let output = command.output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

/// A running server with one key, and where this test writes its report.
async fn server_and_report(name: &str) -> (support::Server, PathBuf) {
    let keys = format!("{KEY_A}:{ORGANISATION_A}");
    let server = support::serve(&[], &[("PAYMENTS_API_KEYS", &keys)]).await;
    let har = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("schemathesis-{name}.har"));
    (server, har)
}

/// How many operations (method and path) the served document has, but
/// `GET /openapi.json`: schemathesis leaves out the operation it read the
/// document from.
async fn documented_operations(base: &str) -> usize {
    let document: Value = reqwest::get(format!("{base}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| *path != "/openapi.json")
        .map(|(_, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
                .count()
        })
        .sum()
}

/// The figure schemathesis prints after `label:` in its summary.
fn summary_figure(printed: &str, label: &str) -> Option<usize> {
    printed
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_in_any_operation() {
    let (server, har) = server_and_report("operations").await;
    let base = server.base.clone();
    let operations = documented_operations(&base).await;

    let (passed, printed) = tokio::task::spawn_blocking(move || {
        schemathesis_run(&base, "examples,coverage,fuzzing", &har)
    })
    .await
    .unwrap();

    assert!(passed, "schemathesis found failures:\n{printed}");
    assert_eq!(
        summary_figure(&printed, "Tested:"),
        Some(operations),
        "every documented operation is tested:\n{printed}"
    );
}

/// One payment's exchanges in the order they happened: method, the path
/// after the payment's id (`""` or `"/events"`), status.
type Lifecycle = Vec<(String, String, u16)>;

/// The exchanges on each payment under `/v1/payments/{id}`, by id, read
/// from a HAR file; a create counts for the id in its response's
/// `Location`.
fn lifecycles(har: &Path) -> BTreeMap<String, Lifecycle> {
    let har: Value = serde_json::from_slice(&std::fs::read(har).unwrap()).unwrap();
    let mut payments: BTreeMap<String, Lifecycle> = BTreeMap::new();
    for entry in har["log"]["entries"].as_array().unwrap() {
        let method = entry["request"]["method"].as_str().unwrap().to_owned();
        let url = entry["request"]["url"].as_str().unwrap();
        let status = u16::try_from(entry["response"]["status"].as_u64().unwrap()).unwrap();
        let path = url.split_once("://").unwrap().1;
        let path = &path[path.find('/').unwrap()..];
        let path = path.split('?').next().unwrap();
        let Some(rest) = path.strip_prefix("/v1/payments") else {
            continue;
        };
        let target = if rest.is_empty() && method == "POST" {
            entry["response"]["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["name"].as_str().unwrap().eq_ignore_ascii_case("location"))
                .and_then(|h| h["value"].as_str())
                .and_then(|location| location.strip_prefix("/v1/payments/"))
                .map(|id| (id.to_owned(), String::new()))
        } else {
            rest.strip_prefix('/')
                .map(|rest| match rest.split_once('/') {
                    Some((id, tail)) => (id.to_owned(), format!("/{tail}")),
                    None => (rest.to_owned(), String::new()),
                })
        };
        if let Some((id, tail)) = target {
            payments.entry(id).or_default().push((method, tail, status));
        }
    }
    payments
}

/// Whether `lifecycle` holds `steps` in order (other exchanges between).
fn follows(lifecycle: &Lifecycle, steps: &[(&str, &str, u16)]) -> bool {
    let mut steps = steps.iter().peekable();
    for (method, tail, status) in lifecycle {
        if steps
            .peek()
            .is_some_and(|(m, t, s)| m == method && t == tail && s == status)
        {
            steps.next();
        }
    }
    steps.peek().is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_stateful_phase_finds_nothing_and_walks_a_payment_through_its_life() {
    let (server, har) = server_and_report("stateful").await;
    let base = server.base.clone();
    let report = har.clone();

    let (passed, printed) =
        tokio::task::spawn_blocking(move || schemathesis_run(&base, "stateful", &report))
            .await
            .unwrap();

    assert!(passed, "schemathesis found failures:\n{printed}");
    let life = [
        ("POST", "", 201),
        ("GET", "", 200),
        ("PATCH", "", 200),
        ("DELETE", "", 204),
        ("GET", "/events", 200),
    ];
    let walked = lifecycles(&har)
        .values()
        .filter(|lifecycle| follows(lifecycle, &life))
        .count();
    assert!(
        walked > 0,
        "no payment went create → fetch → update → delete → history:\n{printed}"
    );
}
