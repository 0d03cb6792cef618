//! `payments report` and `payments export` on PostgreSQL, run as an
//! operator runs them, over payments stored through the library.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use adapter_postgres::{PostgresConfig, PostgresRepository};
use payments_domain::{OrganisationId, Payment, PaymentAttributesInput, PaymentId, Timestamp};
use payments_ports::PaymentRepository;

/// More than two reads of a period (1,000 each), so an export continues
/// across reads.
const IN_AUGUST: usize = 2_100;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn id(n: usize) -> PaymentId {
    PaymentId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap()
}

/// Stores the fixture: `IN_AUGUST` GBP payments of 1.01 paid in August
/// 2024, a second apart; 5 USD created (not paid) in August; one paid in
/// September; one of another organisation in August.
async fn store_fixture(url: &str, org: OrganisationId, other: OrganisationId) {
    let repository = PostgresRepository::connect(&PostgresConfig {
        acquire_timeout: Duration::from_secs(10),
        ..PostgresConfig::new(url)
    })
    .unwrap();
    repository.migrate().await.unwrap();
    let payment = |n: usize, org, currency: &str, amount: &str, paid: Option<String>| {
        let attributes = PaymentAttributesInput {
            amount: Some(amount.into()),
            currency: Some(currency.into()),
            payment_timestamp: paid,
            reference: Some(format!("Invoice {n}")),
            ..Default::default()
        }
        .validate()
        .unwrap();
        Payment::create(id(n), org, attributes, at("2024-10-01T00:00:00Z"))
    };
    let mut events: Vec<_> = (0..IN_AUGUST)
        .map(|n| {
            let paid = Timestamp::from_unix_micros(
                at("2024-08-01T00:00:00Z").unix_micros() + i64::try_from(n).unwrap() * 1_000_000,
            )
            .unwrap();
            payment(n, org, "GBP", "1.01", Some(paid.to_string()))
        })
        .collect();
    let mut usd = payment(IN_AUGUST, org, "USD", "5", None);
    usd.payment.created_on = at("2024-08-31T23:00:00Z");
    usd.payment.modified_on = usd.payment.created_on;
    usd.occurred_on = usd.payment.created_on;
    events.push(usd);
    events.push(payment(
        IN_AUGUST + 1,
        org,
        "GBP",
        "9",
        Some("2024-09-01T00:00:00Z".into()),
    ));
    events.push(payment(
        IN_AUGUST + 2,
        other,
        "GBP",
        "9",
        Some("2024-08-02T00:00:00Z".into()),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    let repository = std::sync::Arc::new(repository);
    for chunk in events.chunks(100) {
        let (repository, chunk) = (repository.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for event in chunk {
                repository.create(&event).await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// Runs `payments ARGS` on the store; its exit, stdout and stderr.
fn payments(url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_payments"))
        .args(args)
        .args(["--store", "postgres"])
        .env("DATABASE_URL", url)
        .env("PAYMENTS_LOG", "warn")
        // The error as an operator sees it, without a backtrace.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_export_write_the_period_of_one_organisation() {
    let url = payments_tests::postgres::test_database_url().await;
    let (org, other) = (
        OrganisationId::parse("a5a0c1d2-3e4f-4a5b-8c6d-7e8f9a0b1c2d").unwrap(),
        OrganisationId::parse("b6b1d2e3-4f5a-4b6c-9d7e-8f9a0b1c2d3e").unwrap(),
    );
    store_fixture(&url, org, other).await;
    let organisation = org.to_string();
    let period = |command: &'static str, format: &'static str| {
        [
            command,
            "--organisation",
            organisation.as_str(),
            "--from",
            "2024-08-01",
            "--to",
            "2024-09-01T00:00:00Z",
            "--format",
            format,
        ]
    };

    let json = payments(&url, &period("report", "json"));
    assert_eq!(
        json,
        (
            true,
            "{\"data\":{\"from\":\"2024-08-01T00:00:00Z\",\"to\":\"2024-09-01T00:00:00Z\",\"totals\":[{\"currency\":\"GBP\",\"count\":2100,\"amount\":\"2121.00\"},{\"currency\":\"USD\",\"count\":1,\"amount\":\"5.00\"}]}}\n".to_owned(),
            String::new()
        )
    );
    let csv = payments(&url, &period("report", "csv"));
    assert_eq!(
        csv,
        (
            true,
            "currency,count,amount\nGBP,2100,2121.00\nUSD,1,5.00\n".to_owned(),
            String::new()
        )
    );

    let (ok, ndjson, log) = payments(&url, &period("export", "ndjson"));
    assert!(ok, "{log}");
    let lines: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let ids: Vec<String> = lines
        .iter()
        .map(|line| line["id"].as_str().unwrap().to_owned())
        .collect();
    let wanted: Vec<String> = (0..=IN_AUGUST).map(|n| id(n).to_string()).collect();
    assert_eq!(ids.len(), wanted.len(), "every payment of the period, once");
    assert!(ids == wanted, "by payment timestamp, else creation");
    assert_eq!(
        lines[0],
        serde_json::json!({
            "type": "Payment",
            "id": id(0).to_string(),
            "version": 0,
            "organisation_id": organisation,
            "created_on": "2024-10-01T00:00:00Z",
            "modified_on": "2024-10-01T00:00:00Z",
            "attributes": {
                "amount": "1.01",
                "currency": "GBP",
                "payment_timestamp": "2024-08-01T00:00:00Z",
                "reference": "Invoice 0"
            }
        })
    );

    let (ok, csv, log) = payments(&url, &period("export", "csv"));
    assert!(ok, "{log}");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 1 + IN_AUGUST + 1);
    assert_eq!(
        rows[0],
        "id,organisation_id,version,created_on,modified_on,reported_on,payment_timestamp,currency,amount,reference,description,payment_scheme,payment_type,processing_date,beneficiary_account_number,debtor_account_number"
    );
    assert_eq!(
        rows[IN_AUGUST + 1],
        format!("{},{organisation},0,2024-08-31T23:00:00Z,2024-08-31T23:00:00Z,2024-08-31T23:00:00Z,,USD,5,Invoice {IN_AUGUST},,,,,,", id(IN_AUGUST))
    );
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused_before_the_store_is_opened() {
    // Nothing listens there: the period is judged first.
    let url = "postgres://nobody@127.0.0.1:1/none";
    let organisation = "a5a0c1d2-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    let refused = payments(
        url,
        &[
            "report",
            "--organisation",
            organisation,
            "--from",
            "2024-09-01",
            "--to",
            "2024-08-01",
        ],
    );
    assert_eq!(
        refused,
        (
            false,
            String::new(),
            "Error: to (2024-08-01T00:00:00Z) must be after from (2024-09-01T00:00:00Z)\n"
                .to_owned()
        )
    );
}
