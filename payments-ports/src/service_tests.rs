//! The service's decisions, with mocks standing in for faults a real store
//! cannot show on demand and for a clock stopped at a chosen instant.

use std::sync::Arc;

use payments_domain::{
    IdempotencyKey, OrganisationId, Payment, PaymentAttributesInput, PaymentId, Timestamp, Version,
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

fn unavailable() -> StoreError {
    StoreError::Unavailable("connection refused".into())
}

fn create_request() -> CreatePayment {
    CreatePayment {
        organisation_id: org(),
        id: None,
        attributes: input("500", "USD").validate().unwrap(),
        idempotency: None,
    }
}

fn idempotency(fingerprint: &str) -> IdempotencyRequest {
    IdempotencyRequest {
        key: IdempotencyKey::parse("k1").unwrap(),
        fingerprint: RequestFingerprint::new(fingerprint),
    }
}

fn key_used_by(fingerprint: &str) -> UsedKey {
    UsedKey {
        fingerprint: RequestFingerprint::new(fingerprint),
        payment_id: id(),
    }
}

/// A history whose first event is the creation of `first`.
fn creation_history(first: Payment) -> HistoryPage {
    HistoryPage {
        events: vec![PaymentEvent {
            kind: payments_domain::EventKind::Created,
            occurred_on: first.created_on,
            payment: first,
        }],
        next: Some(Version::INITIAL),
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
async fn a_create_whose_key_is_in_use_by_the_same_request_replays_the_creation_event() {
    let first = stored_payment(0);
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_create_idempotent()
        .withf(|_, claim| claim.retention == KeyRetention::DEFAULT)
        .returning(|_, _| Err(IdempotentCreateError::KeyInUse(key_used_by("f"))));
    let history = creation_history(first.clone());
    repository
        .expect_events()
        .withf(|_, payment, request| *payment == id() && request.size == PageSize::ONE)
        .times(1)
        .returning(move |_, _, _| Ok(Some(history.clone())));
    let service = service(repository, clock_at("2025-01-01T00:00:00Z"));
    let request = CreatePayment {
        idempotency: Some(idempotency("f")),
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
async fn a_key_in_use_by_another_request_is_refused_without_reading_its_payment() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_create_idempotent()
        .returning(|_, _| Err(IdempotentCreateError::KeyInUse(key_used_by("other"))));
    repository.expect_events().never();
    let service = service(repository, clock_at("2025-01-01T00:00:00Z"));
    let request = CreatePayment {
        idempotency: Some(idempotency("f")),
        ..create_request()
    };

    let result = service.create_payment(request).await;

    assert!(
        matches!(result, Err(CreatePaymentError::IdempotencyKeyReused)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_key_is_looked_up_as_in_force_for_one_retention_before_now() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_idempotency_key()
        .withf(|_, _, expired_up_to| *expired_up_to == at("2025-01-01T11:00:00Z"))
        .times(1)
        .returning(|_, _, _| Ok(None));
    let service = service(repository, clock_at("2025-01-01T12:00:00Z"))
        .with_key_retention(KeyRetention::new(std::time::Duration::from_secs(3_600)).unwrap());

    let replay = service.replay_create(org(), &idempotency("f")).await;

    assert_eq!(replay.unwrap(), None);
}

#[tokio::test]
async fn a_key_that_names_a_payment_without_history_is_corrupt() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_idempotency_key()
        .returning(|_, _, _| Ok(Some(key_used_by("f"))));
    repository.expect_events().returning(|_, _, _| Ok(None));
    let service = service(repository, clock_at("2025-01-01T12:00:00Z"));

    let result = service.replay_create(org(), &idempotency("f")).await;

    let Err(CreatePaymentError::Unexpected(StoreError::Corrupt { detail, .. })) = result else {
        panic!("expected a corrupt store, got {result:?}")
    };
    assert_eq!(
        detail,
        format!("an idempotency key names payment {ID}, which has no creation event in its organisation")
    );
}

#[tokio::test]
async fn a_taken_id_is_reported_as_already_existing() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_create()
        .returning(|_| Err(CreateError::AlreadyExists));
    repository
        .expect_create_idempotent()
        .returning(|_, _| Err(IdempotentCreateError::AlreadyExists));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));
    let with_key = CreatePayment {
        idempotency: Some(idempotency("f")),
        ..create_request()
    };

    let plain = service.create_payment(create_request()).await;
    let idempotent = service.create_payment(with_key).await;

    assert!(
        matches!(plain, Err(CreatePaymentError::AlreadyExists)),
        "{plain:?}"
    );
    assert!(
        matches!(idempotent, Err(CreatePaymentError::AlreadyExists)),
        "{idempotent:?}"
    );
}

#[tokio::test]
async fn an_unavailable_store_is_reported_as_retryable_by_every_use_case() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_create()
        .returning(|_| Err(CreateError::Store(unavailable())));
    repository.expect_get().returning(|_, _| Err(unavailable()));
    repository
        .expect_list()
        .returning(|_, _| Err(unavailable()));
    repository
        .expect_events()
        .returning(|_, _, _| Err(unavailable()));
    repository
        .expect_idempotency_key()
        .returning(|_, _, _| Err(unavailable()));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));
    let page = crate::PageRequest::first(crate::PageSize::DEFAULT);
    let history = HistoryRequest::first(PageSize::DEFAULT);

    assert!(matches!(
        service.create_payment(create_request()).await,
        Err(CreatePaymentError::Unavailable(_))
    ));
    assert!(matches!(
        service.replay_create(org(), &idempotency("f")).await,
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
        service.payment_history(org(), id(), history).await,
        Err(PaymentHistoryError::Unavailable(_))
    ));
}

#[tokio::test]
async fn corrupt_stored_data_is_an_unexpected_failure() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_get()
        .returning(|_, _| Err(StoreError::corrupt("bad amount")));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

    let result = service.fetch_payment(org(), id()).await;

    assert!(
        matches!(
            result,
            Err(FetchPaymentError::Unexpected(StoreError::Corrupt { .. }))
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

    assert!(
        matches!(
            result,
            Err(UpdatePaymentError::VersionConflict { expected, actual })
                if expected == Version::new(2) && actual == Version::new(3)
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_update_that_loses_a_race_in_the_store_is_a_conflict() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_get()
        .returning(|_, _| Ok(Some(stored_payment(0))));
    repository.expect_update().returning(|expected, _| {
        Err(ChangeError::VersionConflict {
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
            Err(UpdatePaymentError::VersionConflict { expected, actual })
                if expected == Version::INITIAL && actual == Version::new(1)
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
    repository.expect_events().returning(|_, _, _| Ok(None));
    let service = service(repository, clock_at("2024-01-01T00:00:00Z"));

    assert!(matches!(
        service.delete_payment(org(), id(), Version::INITIAL).await,
        Err(DeletePaymentError::NotFound)
    ));
    assert!(matches!(
        service
            .payment_history(org(), id(), HistoryRequest::first(PageSize::DEFAULT))
            .await,
        Err(PaymentHistoryError::NotFound)
    ));
}

#[tokio::test]
async fn expired_keys_are_purged_up_to_one_retention_before_now() {
    let mut repository = MockPaymentRepository::new();
    repository
        .expect_purge_idempotency_keys()
        .withf(|expired_up_to, limit| *expired_up_to == at("2024-12-31T12:00:00Z") && *limit == 500)
        .times(1)
        .returning(|_, _| Ok(7));
    let service = service(repository, clock_at("2025-01-01T12:00:00Z"));

    assert_eq!(
        service.purge_expired_idempotency_keys(500).await.unwrap(),
        7
    );
}
