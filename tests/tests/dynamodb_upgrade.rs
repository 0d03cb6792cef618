//! Upgrading a DynamoDB store: items written by release 1 (attributes
//! without a recorded format, idempotency keys without their first use)
//! read back exactly through this release's API after this release's
//! migrate.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use adapter_dynamodb::{create_table_if_missing, DynamoRepository, UnimplementedSettings};
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, TimeToLiveStatus,
};
use payments_domain::Timestamp;
use payments_tests::dynamodb::{emulator, set_time_to_live, time_to_live, FreshTable};
use payments_tests::http_table::{self, ORGANISATION_A};
use payments_tests::upgrade::{self, LegacyPayment, LegacyRecord};

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(number: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(format!("{number}"))
}

fn micros(rfc3339: &str) -> i64 {
    Timestamp::parse(rfc3339).unwrap().unix_micros()
}

/// An hour ago, in microseconds: keys first used then are in force.
fn an_hour_ago() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.saturating_sub(Duration::from_secs(3_600)).as_micros()).unwrap()
}

/// A payment's fields as release 1 wrote them on payment and event items.
fn payment_fields(
    id: &str,
    version: u64,
    created: i64,
    modified: i64,
    attributes: &str,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), s(format!("PAYMENT#{id}"))),
        ("organisation_id".to_owned(), s(ORGANISATION_A)),
        ("version".to_owned(), n(version)),
        ("created_on".to_owned(), n(created)),
        ("modified_on".to_owned(), n(modified)),
        ("attributes".to_owned(), s(attributes)),
    ])
}

fn payment_item(
    id: &str,
    version: u64,
    created: i64,
    modified: i64,
    attributes: &str,
) -> HashMap<String, AttributeValue> {
    let mut item = payment_fields(id, version, created, modified, attributes);
    item.extend([
        ("SK".to_owned(), s("PAYMENT")),
        ("status".to_owned(), s("live")),
        ("GSI1PK".to_owned(), s(format!("ORG#{ORGANISATION_A}"))),
        ("GSI1SK".to_owned(), s(format!("{created:019}#{id}"))),
    ]);
    item
}

fn event_item(
    id: &str,
    version: u64,
    created: i64,
    at: i64,
    attributes: &str,
) -> HashMap<String, AttributeValue> {
    let mut item = payment_fields(id, version, created, at, attributes);
    item.extend([
        ("SK".to_owned(), s(format!("EVENT#{version:020}"))),
        (
            "kind".to_owned(),
            s(if version == 0 { "created" } else { "updated" }),
        ),
        ("occurred_on".to_owned(), n(at)),
    ]);
    item
}

async fn write_as_release_1(table: &FreshTable) {
    let last = LegacyPayment::VERSIONS - 1;
    let created = micros(LegacyPayment::written_on(0));
    let mut items = vec![payment_item(
        LegacyPayment::ID,
        last,
        created,
        micros(LegacyPayment::written_on(last)),
        &LegacyPayment::attributes(last).to_string(),
    )];
    for version in 0..LegacyPayment::VERSIONS {
        items.push(event_item(
            LegacyPayment::ID,
            version,
            created,
            micros(LegacyPayment::written_on(version)),
            &LegacyPayment::attributes(version).to_string(),
        ));
    }
    let recorded = an_hour_ago();
    let attributes = LegacyRecord::attributes().to_string();
    items.extend([
        payment_item(LegacyRecord::ID, 0, recorded, recorded, &attributes),
        event_item(LegacyRecord::ID, 0, recorded, recorded, &attributes),
        HashMap::from([
            (
                "PK".to_owned(),
                s(format!(
                    "IDEMPOTENCY#{ORGANISATION_A}#{}",
                    LegacyRecord::KEY
                )),
            ),
            ("SK".to_owned(), s("IDEMPOTENCY")),
            ("fingerprint".to_owned(), s(LegacyRecord::fingerprint())),
            ("payment_id".to_owned(), s(LegacyRecord::ID)),
        ]),
    ]);
    for item in items {
        table
            .client
            .put_item()
            .table_name(&table.name)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
}

/// Takes the period index off a table, as tables were before it existed.
async fn drop_period_index(table: &FreshTable) {
    table
        .client
        .update_table()
        .table_name(&table.name)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("GSI2")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let described = table
            .client
            .describe_table()
            .table_name(&table.name)
            .send()
            .await
            .unwrap();
        let indexes = described.table.map(|t| t.global_secondary_indexes().len());
        if indexes == Some(1) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the period index was not dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_written_by_release_1_read_back_exactly_after_migrate() {
    let table = emulator()
        .await
        .fresh_table(|client, name| async move {
            create_table_if_missing(&client, &name, UnimplementedSettings::Skip).await
        })
        .await;
    // Release 1's table had no time to live, and no period index.
    set_time_to_live(&table.client, &table.name, "expires_at", false).await;
    drop_period_index(&table).await;
    write_as_release_1(&table).await;

    let setup = create_table_if_missing(&table.client, &table.name, UnimplementedSettings::Skip)
        .await
        .unwrap();

    assert_eq!((setup.added_period_index, setup.filled), (true, 2));

    assert_eq!(
        time_to_live(&table.client, &table.name).await,
        (
            Some(TimeToLiveStatus::Enabled),
            Some("expires_at".to_owned())
        )
    );

    let repository = DynamoRepository::new(table.client.clone(), table.name.clone());
    let app = http_table::app(Arc::new(repository));
    upgrade::reads_back_exactly(&app).await;
}
