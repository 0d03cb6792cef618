//! `create_table_if_missing`, the `migrate` step, against DynamoDB Local.
//!
//! DynamoDB Local does not implement point-in-time recovery
//! (`UpdateContinuousBackups` is an unknown operation) and accepts but does
//! not report encryption: the first is what
//! [`UnimplementedSettings::Skip`] exists for, the second is checked on the
//! request in the crate's unit tests.

#![allow(clippy::unwrap_used)]

use adapter_dynamodb::{
    create_table_if_missing, TableSetting, TableSetup, TableSetupError, UnimplementedSettings,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveStatus,
};
use payments_test_services::dynamodb::{emulator, set_time_to_live, time_to_live};

use UnimplementedSettings::{Fail, Skip};

#[tokio::test]
async fn a_new_table_is_on_demand_protected_indexed_and_expires_keys() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());

    let setup = create_table_if_missing(&client, &name, Skip).await.unwrap();

    assert_eq!(
        setup,
        TableSetup {
            skipped: vec![TableSetting::PointInTimeRecovery],
            added_period_index: false,
            filled: 0,
        }
    );
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
    let mut indexes: Vec<_> = table
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            (
                index.index_name().unwrap_or_default().to_owned(),
                keys(index.key_schema()),
                index
                    .projection()
                    .and_then(|p| p.projection_type())
                    .cloned(),
            )
        })
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            (
                "GSI1".into(),
                vec![
                    ("GSI1PK".into(), KeyType::Hash),
                    ("GSI1SK".into(), KeyType::Range)
                ],
                Some(ProjectionType::All)
            ),
            (
                "GSI2".into(),
                vec![
                    ("GSI1PK".into(), KeyType::Hash),
                    ("GSI2SK".into(), KeyType::Range)
                ],
                Some(ProjectionType::All)
            ),
        ]
    );
    assert_eq!(
        time_to_live(&client, &name).await,
        (
            Some(TimeToLiveStatus::Enabled),
            Some("expires_at".to_owned())
        )
    );
}

#[tokio::test]
async fn against_aws_a_setting_the_endpoint_does_not_implement_fails_the_setup() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());

    let result = create_table_if_missing(&client, &name, Fail).await;

    assert!(
        matches!(
            &result,
            Err(TableSetupError::Unimplemented { operation: "UpdateContinuousBackups", table, .. })
                if table == &name
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn time_to_live_on_another_attribute_is_refused_and_left_alone() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());
    create_table_if_missing(&client, &name, Skip).await.unwrap();
    set_time_to_live(&client, &name, "expires_at", false).await;
    set_time_to_live(&client, &name, "gone_at", true).await;

    let result = create_table_if_missing(&client, &name, Skip).await;

    assert!(
        matches!(
            &result,
            Err(TableSetupError::Incompatible { reason, .. })
                if reason == r#"time to live is on attribute "gone_at"; the payments design needs it on "expires_at""#
        ),
        "{result:?}"
    );
    assert_eq!(
        time_to_live(&client, &name).await,
        (Some(TimeToLiveStatus::Enabled), Some("gone_at".to_owned()))
    );
}

#[tokio::test]
async fn creating_the_table_twice_is_fine() {
    let emulator = emulator().await;
    let (client, name) = (emulator.client(), emulator.unique_table_name());
    create_table_if_missing(&client, &name, Skip).await.unwrap();

    let again = create_table_if_missing(&client, &name, Skip).await;

    assert_eq!(
        again.unwrap(),
        TableSetup {
            skipped: vec![TableSetting::PointInTimeRecovery],
            added_period_index: false,
            filled: 0,
        }
    );
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

    let result = create_table_if_missing(&client, &name, Skip).await;

    assert!(
        matches!(&result, Err(TableSetupError::Incompatible { reason, .. }) if reason.contains("PK")),
        "{result:?}"
    );
}
