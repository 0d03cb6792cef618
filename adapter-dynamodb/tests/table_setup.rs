//! `create_table_if_missing`, the `migrate` step, against the emulator.

#![allow(clippy::unwrap_used)]

use adapter_dynamodb::{create_table_if_missing, TableSetupError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoveryStatus,
    ProjectionType, ScalarAttributeType, SseStatus, TableStatus,
};
use payments_tests::dynamodb::emulator;

#[tokio::test]
async fn a_new_table_is_on_demand_encrypted_recoverable_and_indexed() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());

    create_table_if_missing(&client, &name).await.unwrap();

    let table = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|billing| billing.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    assert_eq!(
        table.sse_description().and_then(|sse| sse.status()),
        Some(&SseStatus::Enabled)
    );
    assert_eq!(table.deletion_protection_enabled(), Some(true));
    let keys = |schema: &[KeySchemaElement]| {
        schema
            .iter()
            .map(|key| (key.attribute_name().to_owned(), key.key_type().clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(table.key_schema()),
        [("PK".into(), KeyType::Hash), ("SK".into(), KeyType::Range)]
    );
    let [index] = table.global_secondary_indexes() else {
        panic!("one index expected: {:?}", table.global_secondary_indexes());
    };
    assert_eq!(index.index_name(), Some("GSI1"));
    assert_eq!(
        keys(index.key_schema()),
        [
            ("GSI1PK".into(), KeyType::Hash),
            ("GSI1SK".into(), KeyType::Range)
        ]
    );
    assert_eq!(
        index.projection().and_then(|p| p.projection_type()),
        Some(&ProjectionType::All)
    );
    let backups = client
        .describe_continuous_backups()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        backups
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status()),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );
}

#[tokio::test]
async fn creating_the_table_twice_is_fine() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());
    create_table_if_missing(&client, &name).await.unwrap();

    let again = create_table_if_missing(&client, &name).await;

    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test]
async fn a_table_of_another_design_is_refused_and_left_alone() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let result = create_table_if_missing(&client, &name).await;

    assert!(
        matches!(&result, Err(TableSetupError::Incompatible { reason, .. }) if reason.contains("PK")),
        "{result:?}"
    );
}
