//! What the repository reports when the store misbehaves: damaged items are
//! `Corrupt`, an unreachable or missing store is `Unavailable`.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;

use adapter_dynamodb::{create_table_if_missing, DynamoRepository, UnimplementedSettings};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use payments_ports::testkit::fixtures::{created, instant, organisation};
use payments_ports::{HistoryRequest, PageRequest, PageSize, PaymentRepository, StoreError};
use payments_test_services::dynamodb::{emulator, FreshTable};

async fn fresh_table() -> FreshTable {
    emulator()
        .await
        .fresh_table(|client, name| async move {
            create_table_if_missing(&client, &name, UnimplementedSettings::Skip).await
        })
        .await
}

/// Overwrites one attribute of a stored item, as a faulty writer would.
async fn damage(table: &FreshTable, pk: String, sk: &str, attribute: &str, value: AttributeValue) {
    table
        .client
        .update_item()
        .table_name(&table.name)
        .key("PK", AttributeValue::S(pk))
        .key("SK", AttributeValue::S(sk.into()))
        .update_expression("SET #a = :v")
        .expression_attribute_names("#a", attribute)
        .expression_attribute_values(":v", value)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_payment_whose_attributes_do_not_parse_reads_as_corrupt() {
    let table = fresh_table().await;
    let repository = DynamoRepository::new(table.client.clone(), table.name.clone());
    let event = created(organisation(), instant(0, 0));
    let (org, id) = (event.payment.organisation_id, event.payment.id);
    repository.create(&event).await.unwrap();
    damage(
        &table,
        format!("PAYMENT#{id}"),
        "PAYMENT",
        "attributes",
        AttributeValue::S("{\"amount\": 12.5".into()),
    )
    .await;

    let read = repository.get(org, id).await;
    let listed = repository
        .list(org, PageRequest::first(PageSize::DEFAULT))
        .await;

    assert!(
        matches!(&read, Err(StoreError::Corrupt { detail, .. })
            if *detail == format!("item PAYMENT#{id}/PAYMENT: attributes do not have the shape of format 1 (Data error)")),
        "get: {read:?}"
    );
    assert!(
        matches!(listed, Err(StoreError::Corrupt { .. })),
        "list: {listed:?}"
    );
}

#[tokio::test]
async fn an_event_with_a_broken_version_reads_as_corrupt() {
    let table = fresh_table().await;
    let repository = DynamoRepository::new(table.client.clone(), table.name.clone());
    let event = created(organisation(), instant(0, 0));
    let (org, id) = (event.payment.organisation_id, event.payment.id);
    repository.create(&event).await.unwrap();
    damage(
        &table,
        format!("PAYMENT#{id}"),
        &format!("EVENT#{:020}", 0),
        "version",
        AttributeValue::S("zero".into()),
    )
    .await;

    let history = repository
        .events(org, id, HistoryRequest::first(PageSize::DEFAULT))
        .await;

    assert!(
        matches!(&history, Err(StoreError::Corrupt { detail, .. })
            if *detail == format!("item PAYMENT#{id}/EVENT#{:020}: version is not a number", 0)),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_missing_table_is_unavailable() {
    let emulator = emulator().await;
    let repository = DynamoRepository::new(emulator.client(), "no-such-table");

    let ping = repository.ping().await;

    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
}

#[tokio::test]
async fn an_unreachable_store_is_unavailable() {
    // A port nobody listens on: connections are refused at once.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = emulator()
        .await
        .client()
        .config()
        .to_builder()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .retry_config(RetryConfig::disabled())
        .build();
    let repository = DynamoRepository::new(aws_sdk_dynamodb::Client::from_conf(config), "payments");

    let read = repository
        .get(
            organisation(),
            payments_ports::testkit::fixtures::payment_id(),
        )
        .await;

    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
}
