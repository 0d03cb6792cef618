//! The REST API on DynamoDB (the moto emulator): the whole HTTP table.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_dynamodb::{create_table_if_missing, DynamoRepository};
use payments_tests::http_table::{self, send_in_process};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_on_dynamodb() {
    let emulator = payments_tests::dynamodb::emulator().await;
    let table = emulator
        .fresh_table(|client, name| async move { create_table_if_missing(&client, &name).await })
        .await;
    let repository = DynamoRepository::new(table.client, table.name);
    let app = http_table::app(Arc::new(repository));

    http_table::run(|request| send_in_process(app.clone(), request)).await;
}
