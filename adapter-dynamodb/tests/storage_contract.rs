//! The shared storage contract, on DynamoDB (DynamoDB Local): a fresh
//! table for every test, so tests cannot see each other's items and every
//! emulator request stays cheap.

use std::sync::Arc;

use adapter_dynamodb::{create_table_if_missing, DynamoRepository, UnimplementedSettings};
use payments_ports::PaymentRepository;
use payments_test_services::dynamodb::emulator;

async fn fresh_repository() -> Arc<dyn PaymentRepository> {
    let table = emulator()
        .await
        .fresh_table(|client, name| async move {
            create_table_if_missing(&client, &name, UnimplementedSettings::Skip).await
        })
        .await;
    Arc::new(DynamoRepository::new(table.client, table.name))
}

payments_ports::storage_contract_tests!(fresh_repository());
