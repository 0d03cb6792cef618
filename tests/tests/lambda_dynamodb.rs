//! End to end on DynamoDB (DynamoDB Local): a payment created, read,
//! listed, updated and deleted through REST API (v1) events, the way API
//! Gateway calls the deployed function.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_dynamodb::{create_table_if_missing, DynamoRepository, UnimplementedSettings};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_lambda::PaymentsFunction;
use payments_tests::dynamodb::emulator;
use payments_tests::http_table::{FORM3_SAMPLE, KEY_A, KEY_B};
use payments_tests::lambda_events::{function, send, BodyEncoding, Shape, STAGE};
use serde_json::{json, Value};

const ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";

async fn dynamodb_function() -> PaymentsFunction {
    let table = emulator()
        .await
        .fresh_table(|client, name| async move {
            create_table_if_missing(&client, &name, UnimplementedSettings::Skip).await
        })
        .await;
    function(Arc::new(DynamoRepository::new(table.client, table.name)))
}

async fn call(
    function: &PaymentsFunction,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-api-key", key);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body
        .map(|body| Bytes::from(body.to_string()))
        .unwrap_or_default();
    let response: Response<Bytes> = send(
        function,
        Shape::RestV1,
        BodyEncoding::Text,
        request.body(body).unwrap(),
    )
    .await;
    let status = response.status();
    let json = if response.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(response.body()).unwrap()
    };
    (status, json)
}

#[tokio::test]
async fn a_payment_lives_and_dies_through_rest_api_events_on_dynamodb() {
    let function = dynamodb_function().await;
    let one = format!("/v1/payments/{ID}");
    let sample: Value = serde_json::from_str(FORM3_SAMPLE).unwrap();

    let (status, created) = call(
        &function,
        Method::POST,
        "/v1/payments",
        KEY_A,
        Some(sample.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "create: {created}");
    assert_eq!(created["data"]["version"], json!(0));

    let (status, read) = call(&function, Method::GET, &one, KEY_A, None).await;
    assert_eq!(status, StatusCode::OK, "read: {read}");
    assert_eq!(
        read["data"]["attributes"], sample["data"]["attributes"],
        "read back exactly"
    );

    let (status, listed) = call(&function, Method::GET, "/v1/payments", KEY_A, None).await;
    assert_eq!(status, StatusCode::OK, "list: {listed}");
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["data"][0]["id"], json!(ID));

    let (status, others) = call(&function, Method::GET, &one, KEY_B, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another organisation: {others}"
    );

    let update = json!({ "data": { "id": ID, "version": 0, "attributes": { "reference": "Piano lessons, January" } } });
    let (status, updated) = call(&function, Method::PATCH, &one, KEY_A, Some(update)).await;
    assert_eq!(status, StatusCode::OK, "update: {updated}");
    assert_eq!(updated["data"]["version"], json!(1));
    assert_eq!(
        updated["data"]["attributes"]["reference"],
        json!("Piano lessons, January")
    );
    assert_eq!(updated["data"]["attributes"]["amount"], json!("100.21"));

    let (status, stale) = call(
        &function,
        Method::DELETE,
        &format!("{one}?version=0"),
        KEY_A,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "stale delete: {stale}");

    let (status, _) = call(
        &function,
        Method::DELETE,
        &format!("{one}?version=1"),
        KEY_A,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "delete");

    let (status, gone) = call(&function, Method::GET, &one, KEY_A, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "read after delete: {gone}");
    let (status, listed) = call(&function, Method::GET, "/v1/payments", KEY_A, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed["data"].as_array().map(Vec::len),
        Some(0),
        "list after delete: {listed}"
    );

    let (status, history) = call(
        &function,
        Method::GET,
        &format!("{one}/events"),
        KEY_A,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "history: {history}");
    let kinds: Vec<&str> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "updated", "deleted"]);
}

#[tokio::test]
async fn the_http_table_passes_through_rest_api_events_on_dynamodb() {
    let function = dynamodb_function().await;
    payments_tests::http_table::run_under(&format!("/{STAGE}"), |request| {
        send(&function, Shape::RestV1, BodyEncoding::Text, request)
    })
    .await;
}
