//! The published contract against the server, as a client's tooling would
//! check it: schemathesis (installed into the project's `.venv` on first
//! use) over every operation of `payments serve` on the memory store,
//! reading the document from `GET /openapi.json`, with every check, a
//! fixed seed and a bounded number of examples. Zero failures, or the test
//! fails with schemathesis's report. Beside it, a walk along the served
//! document's links from create to history: the stateful phase picks its
//! sequences by chance, so whether a whole life is among them is no test.
//!
//! The hooks (`tests/data/schemathesis_hooks.py`) and the settings
//! (`tests/data/schemathesis.toml`) stand for the rules OpenAPI cannot
//! state, each with its reason: the key's organisation, the PATCH body's
//! id against the URL's, issued cursors, idempotency keys, a report's
//! period, a patch judged against the stored payment, JSON numbers'
//! decimal places, and a deleted payment's history.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use payments_test_services::schemathesis;
use payments_tests::http_table::{FORM3_SAMPLE, KEY_A, ORGANISATION_A};
use serde_json::Value;

/// Test cases per operation and phase; in the stateful phase, scenarios:
/// one pass of that many, never a time budget, so a slow machine runs the
/// same test as a fast one (about 100 scenarios, 15 s on 2 cores).
const EXAMPLES: &str = "100";
/// The same cases on every run, so a failure reproduces.
const SEED: &str = "1";

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
    let document = support::get_json(base, "/openapi.json", None).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_stateful_phase_finds_nothing_along_the_documents_links() {
    let (server, har) = server_and_report("stateful").await;
    let base = server.base.clone();

    let (passed, printed) =
        tokio::task::spawn_blocking(move || schemathesis_run(&base, "stateful", &har))
            .await
            .unwrap();

    assert!(passed, "schemathesis found failures:\n{printed}");
    assert!(
        summary_figure(&printed, "Scenarios:").is_some_and(|scenarios| scenarios > 0),
        "the stateful phase ran scenarios:\n{printed}"
    );
}

/// One exchange, as a link's runtime expressions read it: the request's
/// path parameters and the response's JSON body (`null` when empty).
struct Exchange {
    path: Vec<(String, String)>,
    status: u16,
    body: Value,
}

impl Exchange {
    /// The exchange of a request with `path` parameters that got `response`.
    async fn read(path: Vec<(String, String)>, response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Self { path, status, body }
    }
}

/// The method, path template and operation object of `operation_id`.
fn operation<'a>(document: &'a Value, operation_id: &str) -> (reqwest::Method, &'a str, &'a Value) {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, operation)| (method, path, operation))
        })
        .find(|(_, _, operation)| operation["operationId"] == operation_id)
        .map_or_else(
            || panic!("no operation {operation_id} in the document"),
            |(method, path, operation)| {
                (
                    method.to_uppercase().parse().unwrap(),
                    path.as_str(),
                    operation,
                )
            },
        )
}

/// `value` with every runtime expression in it (`$response.body#/pointer`,
/// `$request.path.name`) replaced by what it names in `previous`.
fn evaluate(value: &Value, previous: &Exchange) -> Value {
    match value {
        Value::String(text) if text.starts_with('$') => {
            if let Some(pointer) = text.strip_prefix("$response.body#") {
                previous
                    .body
                    .pointer(pointer)
                    .cloned()
                    .unwrap_or_else(|| panic!("{text}: nothing there in {}", previous.body))
            } else if let Some(name) = text.strip_prefix("$request.path.") {
                previous
                    .path
                    .iter()
                    .find(|(parameter, _)| parameter == name)
                    .map_or_else(
                        || panic!("{text}: the request had no such path parameter"),
                        |(_, value)| Value::from(value.as_str()),
                    )
            } else {
                panic!("a runtime expression this walk does not read: {text}")
            }
        }
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, member)| (name.clone(), evaluate(member, previous)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| evaluate(item, previous)).collect())
        }
        other => other.clone(),
    }
}

/// Sends what the link `name` of `from`'s response to `previous`
/// describes, as the document states it: the target operation's method
/// and path, each parameter where the operation takes it, the body.
async fn follow(
    client: &reqwest::Client,
    base: &str,
    document: &Value,
    from: &str,
    name: &str,
    previous: &Exchange,
) -> Exchange {
    let (_, _, source) = operation(document, from);
    let link = &source["responses"][previous.status.to_string()]["links"][name];
    let target = link["operationId"]
        .as_str()
        .unwrap_or_else(|| panic!("{from} answering {} has no link {name}", previous.status));
    let (method, template, operation) = operation(document, target);
    let mut path = Vec::new();
    let mut query = Vec::new();
    for (parameter, expression) in link["parameters"].as_object().unwrap() {
        let value = match evaluate(expression, previous) {
            Value::String(text) => text,
            other => other.to_string(),
        };
        let place = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(
                document["paths"][template]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            )
            .find(|declared| declared["name"] == parameter.as_str())
            .and_then(|declared| declared["in"].as_str())
            .unwrap_or_else(|| panic!("{target} takes no parameter {parameter}"));
        match place {
            "path" => path.push((parameter.clone(), value)),
            "query" => query.push((parameter.clone(), value)),
            other => panic!("{target}'s {parameter} is in {other}, which this walk does not fill"),
        }
    }
    let url = path
        .iter()
        .fold(template.to_owned(), |url, (parameter, value)| {
            url.replace(&format!("{{{parameter}}}"), value)
        });
    let mut request = client
        .request(method, format!("{base}{url}"))
        .header("x-api-key", KEY_A)
        .query(&query);
    if let Some(body) = link.get("requestBody") {
        request = request.json(&evaluate(body, previous));
    }
    Exchange::read(path, request.send().await.unwrap()).await
}

/// What schemathesis's stateful phase explores at random, walked on
/// purpose: a client that only follows the document's links takes a
/// payment from create through fetch, update and delete to its history.
#[tokio::test]
async fn the_documents_links_walk_a_payment_from_create_to_history() {
    let (server, _) = server_and_report("links").await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let document = support::get_json(&base, "/openapi.json", None).await;
    let created = client
        .post(format!("{base}/v1/payments"))
        .header("x-api-key", KEY_A)
        .header("content-type", "application/json")
        .body(FORM3_SAMPLE)
        .send()
        .await
        .unwrap();
    let mut previous = Exchange::read(Vec::new(), created).await;
    assert_eq!(previous.status, 201, "create: {}", previous.body);

    let mut walked = Vec::new();
    for (from, name) in [
        ("createPayment", "fetch"),
        ("fetchPayment", "update"),
        ("updatePayment", "delete"),
        ("deletePayment", "history"),
    ] {
        previous = follow(&client, &base, &document, from, name, &previous).await;
        walked.push((name, previous.status));
    }

    assert_eq!(
        walked,
        [
            ("fetch", 200),
            ("update", 200),
            ("delete", 204),
            ("history", 200)
        ],
        "last answer: {}",
        previous.body
    );
    let history: Vec<(&str, u64, &str)> = previous.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["event"].as_str().unwrap(),
                event["version"].as_u64().unwrap(),
                event["payment"]["attributes"]["reference"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    let sample: Value = serde_json::from_str(FORM3_SAMPLE).unwrap();
    let reference = sample["data"]["attributes"]["reference"].as_str().unwrap();
    assert_eq!(
        history,
        [
            ("created", 0, reference),
            ("updated", 1, "Changed after reading"),
            ("deleted", 2, "Changed after reading"),
        ]
    );
}
