//! The service's decisions, with mocks standing in for faults a real store
//! cannot show on demand and for a clock stopped at a chosen instant.

use std::sync::Arc;

use payments_domain::{
    OrganisationId, Payment, PaymentAttributesInput, PaymentId, Timestamp, Version,
};

use super::*;
use crate::clock::{MockClock, MockIdGenerator};
use crate::repository::MockPaymentRepository;

const ORG: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";
const ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";

fn org() -> OrganisationId {
    OrganisationId::parse(ORG).unwrap()
}

fn id() -> PaymentId {
    PaymentId::parse(ID).unwrap()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn clock_at(text: &'static str) -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(move || at(text));
    clock
}

fn input(amount: &str, currency: &str) -> PaymentAttributesInput {
    PaymentAttributesInput {
        amount: Some(amount.into()),
        currency: Some(currency.into()),
        ..Default::default()
    }
}

fn stored_payment(version: u64) -> Payment {
    let mut payment = Payment::create(
        id(),
        org(),
        input("10.00", "GBP").validate().unwrap(),
        at("2024-01-01T00:00:00Z"),
    )
    .payment;
    payment.version = Version::new(version);
    payment
}

fn service(repository: MockPaymentRepository, clock: MockClock) -> PaymentService {
    let mut ids = MockIdGenerator::new();
    ids.expect_payment_id().returning(id);
    PaymentService::new(Arc::new(repository), Arc::new(clock), Arc::new(ids))
}

fn unavailable() -> RepositoryError {
    RepositoryError::Unavailable("connection refused".into())
}

fn create_request() -> CreatePayment {
    CreatePayment {
        organisation_id: org(),
        id: None,
        attributes: input("500", "USD"),
        idempotency: None,
    }
}

#[tokio::test]
async fn a_created_payment_takes_its_time_from_the_clock_and_its_id_from_the_generator() {
    let mut repository = MockPaymentRepository::new();
    repository.expect_create().times(1).returning(|_| Ok(()));
    let service = service(repository, clock_at("2024-08-01T12:34:56.123456Z"));

    let created = service.create_payment(create_request()).await.unwrap();

    assert_eq!(created.payment.id, id());
    assert_eq!(
        created.payment.created_on,
        at("2024-08-01T12:34:56.123456Z")
    );
    assert_eq!(created.payment.modified_on, created.payment.created_on);
    assert!(!created.replayed);
}

#[tokio::test]
async fn invalid_attributes_are_refused_before_the_store_is_touched() {
    let service = service(
        MockPaymentRepository::new(),
        clock_at("2024-01-01T00:00:00Z"),
    );
    let request = CreatePayment {
        attributes: input("5.5", "JPY"),
        ..create_request()
    };

    let result = service.create_payment(request).await;

    let Err(CreatePaymentError::Invalid(errors)) = result else {
        panic!("expected Invalid, got {result:?}")
    };
    assert_eq!(errors.errors()[0].path.to_string(), "attributes.amount");
}

#[tokio::test]
async fn a_replayed_create_is_marked_and_returns_the_stored_payment() {
    let first = stored_payment(0);
    let mut repository = MockPaymentRepository::new();
    let replay = first.clone();
    repository
        .expect_create_idempotent()
        .returning(move |_, _, _| Ok(IdempotentOutcome::Replayed(Box::new(replay.clone()))));
    let service = service(repository, clock_at("2025-01-01T00:00:00Z"));
    let request = CreatePayment {
        idempotency: Some((
            payments_domain::IdempotencyKey::parse("k1").unwrap(),
            RequestFingerprint::new("f"),
        )),
        ..create_request()
    };

    let created = service.create_payment(request).await.unwrap();

    assert_eq!(
        created,
        CreatedPayment {
            payment: first,
            replayed: true
        }
    );
}

#[tokio::test]
async fn store_conflicts_on_create_keep_their_reason() {
    let cases = [
        (
            RepositoryError::AlreadyExists,
            ConflictReason::AlreadyExists,
        ),
        (
            RepositoryError::IdempotencyKeyReused,
            ConflictReason::IdempotencyKeyReused,
        ),
    ];
    for (store_error, reason) in cases {
        let mut repository = MockPaymentRepository::new();
        let error = std::sync::Mutex::new(Some(store_error));
        repository
            .expect_create()
            .returning(move |_| Err(error.lock().unwrap().take().unwrap()));
        let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

        let result = service.create_payment(create_request()).await;

        assert!(
            matches!(&result, Err(CreatePaymentError::Conflict(r)) if *r == reason),
            "{reason:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_unavailable_store_is_reported_as_retryable_by_every_use_case() {
    let mut repository = MockPaymentRepository::new();
    repository.expect_create().returning(|_| Err(unavailable()));
    repository.expect_get().returning(|_, _| Err(unavailable()));
    repository
        .expect_list()
        .returning(|_, _| Err(unavailable()));
    repository
        .expect_events()
        .returning(|_, _| Err(unavailable()));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));
    let page = crate::PageRequest::first(crate::PageSize::DEFAULT);

    assert!(matches!(
        service.create_payment(create_request()).await,
        Err(CreatePaymentError::Unavailable(_))
    ));
    assert!(matches!(
        service.fetch_payment(org(), id()).await,
        Err(FetchPaymentError::Unavailable(_))
    ));
    assert!(matches!(
        service.list_payments(org(), page).await,
        Err(ListPaymentsError::Unavailable(_))
    ));
    let update = service
        .update_payment(org(), id(), Version::INITIAL, input("1.00", "GBP"))
        .await;
    assert!(matches!(update, Err(UpdatePaymentError::Unavailable(_))));
    assert!(matches!(
        service.delete_payment(org(), id(), Version::INITIAL).await,
        Err(DeletePaymentError::Unavailable(_))
    ));
    assert!(matches!(
        service.payment_history(org(), id()).await,
        Err(PaymentHistoryError::Unavailable(_))
    ));
}

#[tokio::test]
async fn corrupt_stored_data_is_an_unexpected_failure() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_get()
        .returning(|_, _| Err(RepositoryError::Corrupt("bad amount".into())));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

    let result = service.fetch_payment(org(), id()).await;

    assert!(
        matches!(
            result,
            Err(FetchPaymentError::Unexpected(RepositoryError::Corrupt(_)))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_stale_update_is_refused_without_writing() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_get()
        .returning(|_, _| Ok(Some(stored_payment(3))));
    repository.expect_update().never();
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

    let result = service
        .update_payment(org(), id(), Version::new(2), input("1.00", "GBP"))
        .await;

    let Err(UpdatePaymentError::Conflict(reason)) = result else {
        panic!("expected a conflict, got {result:?}")
    };
    assert_eq!(
        reason,
        ConflictReason::VersionMismatch {
            expected: Version::new(2),
            actual: Version::new(3)
        }
    );
}

#[tokio::test]
async fn an_update_that_loses_a_race_in_the_store_is_a_conflict() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_get()
        .returning(|_, _| Ok(Some(stored_payment(0))));
    repository.expect_update().returning(|expected, _| {
        Err(RepositoryError::VersionConflict {
            expected,
            actual: Version::new(1),
        })
    });
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

    let result = service
        .update_payment(org(), id(), Version::INITIAL, input("1.00", "GBP"))
        .await;

    assert!(
        matches!(
            result,
            Err(UpdatePaymentError::Conflict(
                ConflictReason::VersionMismatch { .. }
            ))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_update_is_stamped_with_the_clock_and_the_next_version() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_get()
        .returning(|_, _| Ok(Some(stored_payment(4))));
    repository
        .expect_update()
        .withf(|expected, event| {
            *expected == Version::new(4) && event.payment.version == Version::new(5)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let service = service(repository, clock_at("2024-06-01T08:00:00Z"));

    let updated = service
        .update_payment(org(), id(), Version::new(4), input("2.50", "GBP"))
        .await
        .unwrap();

    assert_eq!(updated.modified_on, at("2024-06-01T08:00:00Z"));
    assert_eq!(updated.attributes.money.amount().to_string(), "2.50");
}

#[tokio::test]
async fn deleting_or_reading_the_history_of_an_unknown_payment_is_not_found() {
    let mut repository = MockPaymentRepository::new();
    repository.expect_get().returning(|_, _| Ok(None));
    repository
        .expect_events()
        .returning(|_, _| Err(RepositoryError::NotFound));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

    assert!(matches!(
        service.delete_payment(org(), id(), Version::INITIAL).await,
        Err(DeletePaymentError::NotFound)
    ));
    assert!(matches!(
        service.payment_history(org(), id()).await,
        Err(PaymentHistoryError::NotFound)
    ));
}
