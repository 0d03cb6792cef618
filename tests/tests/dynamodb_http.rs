//! The REST API on DynamoDB (the moto emulator): the whole HTTP table.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_dynamodb::{create_table_if_missing, DynamoRepository};
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_api::{router, ApiKeys, ApiState};
use http_body_util::BodyExt;
use payments_ports::PaymentService;
use payments_tests::http_table::{self, api_keys_setting};
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_passes_on_dynamodb() {
    let emulator = payments_tests::dynamodb::emulator().await;
    let table = emulator
        .fresh_table(|client, name| async move { create_table_if_missing(&client, &name).await })
        .await;
    let repository = DynamoRepository::new(table.client, table.name);
    let service = PaymentService::with_system_clock(Arc::new(repository));
    let app = router(ApiState::new(
        service,
        ApiKeys::parse(&api_keys_setting()).unwrap(),
    ));

    http_table::run(|request: Request<Bytes>| {
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(Body::from)).await.unwrap();
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
        }
    })
    .await;
}
