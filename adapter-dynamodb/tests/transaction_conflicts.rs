//! A transaction cancelled for `TransactionConflict` (another transaction
//! held one of its items) is retried with backoff until the outcome is
//! decided, and answered `Unavailable` (503 with `Retry-After`) if the
//! clash lasts. DynamoDB Local serialises transactions and never reports
//! the clash (10 rounds of 64 concurrent writers on one item: 630
//! `ConditionalCheckFailed`, no `TransactionConflict`), so a loopback
//! stand-in answers `TransactWriteItems` here, with the error body
//! DynamoDB sends.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use adapter_dynamodb::DynamoRepository;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use payments_ports::testkit::fixtures::{created, instant, organisation};
use payments_ports::{CreateError, PaymentRepository, StoreError};
use payments_test_services::stand_in::Connection;
use tokio::net::TcpListener;

/// DynamoDB's answer when a transaction clashed with another.
const CONFLICT: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"},{"Code":"None"}]}"#;

/// A stand-in DynamoDB that answers the first `conflicts` transactions
/// with [`CONFLICT`] and later ones with success; counts what it was sent.
struct StandIn {
    endpoint: String,
    transactions: Arc<AtomicUsize>,
}

async fn stand_in(conflicts: usize) -> StandIn {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let transactions = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&transactions);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut connection = Connection::new(stream);
                // One request after another on a kept-alive connection.
                while let Some(request) = connection.next_request().await {
                    assert_eq!(
                        request.header("x-amz-target"),
                        Some("DynamoDB_20120810.TransactWriteItems")
                    );
                    let sent = counter.fetch_add(1, Ordering::SeqCst);
                    let (status, answer) = if sent < conflicts {
                        ("400 Bad Request", CONFLICT)
                    } else {
                        ("200 OK", "{}")
                    };
                    let headers = [
                        ("content-type", "application/x-amz-json-1.0"),
                        ("x-amzn-requestid", "stand-in"),
                    ];
                    connection
                        .respond(status, &headers, answer.as_bytes())
                        .await;
                }
            });
        }
    });
    StandIn {
        endpoint,
        transactions,
    }
}

fn repository(endpoint: &str) -> DynamoRepository {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("standin", "standin", None, None, "test"))
        .build();
    DynamoRepository::new(aws_sdk_dynamodb::Client::from_conf(config), "payments")
}

#[tokio::test]
async fn a_transaction_conflict_is_retried_until_the_outcome_is_decided() {
    let store = stand_in(2).await;

    let result = repository(&store.endpoint)
        .create(&created(organisation(), instant(0, 0)))
        .await;

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(store.transactions.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_conflict_that_lasts_is_unavailable_after_four_attempts() {
    let store = stand_in(usize::MAX).await;

    let result = repository(&store.endpoint)
        .create(&created(organisation(), instant(0, 0)))
        .await;

    assert!(
        matches!(result, Err(CreateError::Store(StoreError::Unavailable(_)))),
        "{result:?}"
    );
    assert_eq!(store.transactions.load(Ordering::SeqCst), 4);
}
