//! The REST API on DynamoDB (DynamoDB Local): the whole HTTP table, and
//! writers racing on one payment and one idempotency key.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_dynamodb::{create_table_if_missing, DynamoRepository, UnimplementedSettings};
use payments_tests::concurrency;
use payments_tests::http_table::{self, send_in_process};

async fn app_on_a_fresh_table() -> axum::Router {
    let table = payments_tests::dynamodb::emulator()
        .await
        .fresh_table(|client, name| async move {
            create_table_if_missing(&client, &name, UnimplementedSettings::Skip).await
        })
        .await;
    http_table::app(Arc::new(DynamoRepository::new(table.client, table.name)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_on_dynamodb() {
    let app = app_on_a_fresh_table().await;

    http_table::run(|request| send_in_process(app.clone(), request)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_have_one_winner_on_dynamodb() {
    let app = app_on_a_fresh_table().await;

    concurrency::writers_race_with_one_winner(&app).await;
}
