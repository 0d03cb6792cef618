//! The HTTP table, every step sent to the Lambda function as event JSON of
//! each documented shape, on the in-memory store. Each invocation gets its
//! own Lambda request id, as in production. Behind API Gateway the client
//! calls through the stage, so links and `Location` start with `/prod`.

use payments_tests::lambda_events::{memory_function, send, BodyEncoding, Shape, STAGE};

#[tokio::test]
async fn the_table_passes_through_rest_api_v1_events() {
    let function = memory_function();
    payments_tests::http_table::run_under(&format!("/{STAGE}"), |request| {
        send(&function, Shape::RestV1, BodyEncoding::Text, request)
    })
    .await;
}

#[tokio::test]
async fn the_table_passes_through_http_api_v2_events_with_base64_bodies() {
    let function = memory_function();
    payments_tests::http_table::run_under(&format!("/{STAGE}"), |request| {
        send(&function, Shape::HttpV2, BodyEncoding::Base64, request)
    })
    .await;
}

#[tokio::test]
async fn the_table_passes_through_alb_events() {
    let function = memory_function();
    payments_tests::http_table::run(|request| {
        send(&function, Shape::Alb, BodyEncoding::Text, request)
    })
    .await;
}
