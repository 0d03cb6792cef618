//! The use cases end to end on the in-memory store, as an embedding Rust
//! service would call them.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_domain::{
    EventKind, IdempotencyKey, OrganisationId, PaymentAttributesInput, PaymentId, Version,
};
use payments_ports::{
    CreatePayment, CreatePaymentError, DeletePaymentError, FetchPaymentError, HistoryRequest,
    IdempotencyRequest, PageRequest, PageSize, PaymentService, RequestFingerprint,
    UpdatePaymentError,
};

use payments_tests::http_table::FORM3_SAMPLE as SAMPLE;

fn service() -> PaymentService {
    PaymentService::with_system_clock(Arc::new(MemoryRepository::new()))
}

fn organisation() -> OrganisationId {
    OrganisationId::parse("743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb").unwrap()
}

fn sample_input() -> PaymentAttributesInput {
    let document: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    serde_json::from_value(document["data"]["attributes"].clone()).unwrap()
}

fn sample_request() -> (PaymentId, CreatePayment) {
    let document: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    let id = PaymentId::parse(document["data"]["id"].as_str().unwrap()).unwrap();
    let request = CreatePayment {
        organisation_id: organisation(),
        id: Some(id),
        attributes: sample_input().validate().unwrap(),
        idempotency: None,
    };
    (id, request)
}

#[tokio::test]
async fn the_form3_sample_is_stored_and_read_back_unchanged() {
    let service = service();
    let (id, request) = sample_request();
    let submitted = sample_input();

    service.create_payment(request).await.unwrap();
    let read = service.fetch_payment(organisation(), id).await.unwrap();

    assert_eq!(PaymentAttributesInput::from(&read.attributes), submitted);
    assert_eq!(read.version, Version::INITIAL);
}

#[tokio::test]
async fn a_payment_cannot_be_created_twice() {
    let service = service();
    service.create_payment(sample_request().1).await.unwrap();

    let again = service.create_payment(sample_request().1).await;

    assert!(
        matches!(again, Err(CreatePaymentError::AlreadyExists)),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_creates_nothing_new() {
    let service = service();
    let key = IdempotencyKey::parse("retry-1").unwrap();
    let request = CreatePayment {
        id: None,
        idempotency: Some(IdempotencyRequest {
            key,
            fingerprint: RequestFingerprint::new("body-hash"),
        }),
        ..sample_request().1
    };

    let first = service.create_payment(request.clone()).await.unwrap();
    let retry = service.create_payment(request).await.unwrap();

    assert!(!first.replayed && retry.replayed);
    assert_eq!(retry.payment, first.payment);
    let page = service
        .list_payments(organisation(), PageRequest::first(PageSize::DEFAULT))
        .await
        .unwrap();
    assert_eq!(page.payments.len(), 1);
}

#[tokio::test]
async fn update_delete_and_history_follow_the_versions() {
    let service = service();
    let (id, request) = sample_request();
    service.create_payment(request).await.unwrap();
    let patch = PaymentAttributesInput {
        amount: Some("99.99".into()),
        ..Default::default()
    };

    let updated = service
        .update_payment(organisation(), id, Version::INITIAL, patch.clone())
        .await
        .unwrap();
    let stale = service
        .update_payment(organisation(), id, Version::INITIAL, patch)
        .await;
    let stale_delete = service
        .delete_payment(organisation(), id, Version::INITIAL)
        .await;
    service
        .delete_payment(organisation(), id, updated.version)
        .await
        .unwrap();
    let after_delete = service.fetch_payment(organisation(), id).await;
    let history = service
        .payment_history(organisation(), id, HistoryRequest::first(PageSize::DEFAULT))
        .await
        .unwrap()
        .events;

    assert_eq!(updated.attributes.money.amount().to_string(), "99.99");
    assert!(
        matches!(stale, Err(UpdatePaymentError::VersionConflict { .. })),
        "{stale:?}"
    );
    assert!(
        matches!(
            stale_delete,
            Err(DeletePaymentError::VersionConflict { .. })
        ),
        "{stale_delete:?}"
    );
    assert!(matches!(after_delete, Err(FetchPaymentError::NotFound)));
    let kinds: Vec<_> = history
        .iter()
        .map(|e| (e.kind, e.version().number()))
        .collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Created, 0),
            (EventKind::Updated, 1),
            (EventKind::Deleted, 2)
        ]
    );
}

#[tokio::test]
async fn another_organisation_sees_nothing() {
    let service = service();
    let (id, request) = sample_request();
    service.create_payment(request).await.unwrap();
    let stranger = OrganisationId::parse("00000000-0000-4000-8000-000000000001").unwrap();

    let fetched = service.fetch_payment(stranger, id).await;
    let page = service
        .list_payments(stranger, PageRequest::first(PageSize::DEFAULT))
        .await
        .unwrap();
    let deleted = service.delete_payment(stranger, id, Version::INITIAL).await;

    assert!(matches!(fetched, Err(FetchPaymentError::NotFound)));
    assert!(page.payments.is_empty());
    assert!(matches!(deleted, Err(DeletePaymentError::NotFound)));
}
