//! Idempotent creates: key, fingerprint and payment stored atomically.

use std::sync::Arc;

use payments_domain::Payment;

use super::fixtures::{created, fingerprint, idempotency_key, instant, organisation, payment_id};
use crate::repository::{
    IdempotentOutcome, PageRequest, PageSize, PaymentRepository, RepositoryError,
};

type Store = Arc<dyn PaymentRepository>;

/// A repeat with the same key and fingerprint creates nothing and returns
/// the payment the first call created.
pub async fn idempotent_create_replays_the_first_payment(store: Store) {
    let org = organisation();
    let (key, print) = (idempotency_key(), fingerprint("request-a"));
    let first = created(org, instant(0, 0));
    let retry = created(org, instant(1, 0)); // a retry may carry a freshly generated id

    let one = store
        .create_idempotent(&first, &key, &print)
        .await
        .expect("first");
    let two = store
        .create_idempotent(&retry, &key, &print)
        .await
        .expect("retry");

    assert_eq!(one, IdempotentOutcome::Created);
    assert_eq!(
        two,
        IdempotentOutcome::Replayed(Box::new(first.payment.clone()))
    );
    assert_eq!(store.get(org, retry.payment.id).await.expect("get"), None);
    let page = store
        .list(org, PageRequest::first(PageSize::DEFAULT))
        .await
        .expect("list");
    assert_eq!(page.payments, vec![first.payment]);
}

/// The replay is the payment as first created, even after it changed.
pub async fn a_replay_returns_the_payment_as_first_created(store: Store) {
    let org = organisation();
    let (key, print) = (idempotency_key(), fingerprint("request-a"));
    let first = created(org, instant(0, 0));
    store
        .create_idempotent(&first, &key, &print)
        .await
        .expect("first");
    let updated = first
        .payment
        .update(super::fixtures::reference_patch("later"), instant(1, 0))
        .expect("valid");
    store
        .update(first.version(), &updated)
        .await
        .expect("update");

    let replay = store
        .create_idempotent(&created(org, instant(2, 0)), &key, &print)
        .await
        .expect("retry");

    assert_eq!(replay, IdempotentOutcome::Replayed(Box::new(first.payment)));
}

/// The same key with a different request is refused and creates nothing.
pub async fn an_idempotency_key_with_another_fingerprint_is_refused(store: Store) {
    let org = organisation();
    let key = idempotency_key();
    store
        .create_idempotent(
            &created(org, instant(0, 0)),
            &key,
            &fingerprint("request-a"),
        )
        .await
        .expect("first");
    let other = created(org, instant(1, 0));

    let result = store
        .create_idempotent(&other, &key, &fingerprint("request-b"))
        .await;

    assert!(
        matches!(result, Err(RepositoryError::IdempotencyKeyReused)),
        "got {result:?}"
    );
    assert_eq!(store.get(org, other.payment.id).await.expect("get"), None);
}

/// Two organisations may use the same key independently.
pub async fn idempotency_keys_are_scoped_to_the_organisation(store: Store) {
    let (key, print) = (idempotency_key(), fingerprint("request-a"));
    let mine = created(organisation(), instant(0, 0));
    let theirs = created(organisation(), instant(0, 0));

    let one = store
        .create_idempotent(&mine, &key, &print)
        .await
        .expect("mine");
    let two = store
        .create_idempotent(&theirs, &key, &print)
        .await
        .expect("theirs");

    assert_eq!(
        (one, two),
        (IdempotentOutcome::Created, IdempotentOutcome::Created)
    );
}

/// When the payment id is taken, the create fails and the key is not
/// stored: the same key then works with a free id.
pub async fn an_idempotent_create_of_a_taken_id_stores_no_key(store: Store) {
    let org = organisation();
    let taken = created(org, instant(0, 0));
    store.create(&taken).await.expect("create");
    let (key, print) = (idempotency_key(), fingerprint("request-a"));
    let clash = Payment::create(
        taken.payment.id,
        org,
        taken.payment.attributes.clone(),
        instant(1, 0),
    );

    let result = store.create_idempotent(&clash, &key, &print).await;
    let with_free_id = Payment::create(
        payment_id(),
        org,
        taken.payment.attributes.clone(),
        instant(2, 0),
    );
    let retry = store.create_idempotent(&with_free_id, &key, &print).await;

    assert!(
        matches!(result, Err(RepositoryError::AlreadyExists)),
        "got {result:?}"
    );
    assert_eq!(
        retry.expect("retry with a free id"),
        IdempotentOutcome::Created
    );
}

/// 20 concurrent callers with one key create one payment; the others get
/// that payment back.
pub async fn concurrent_idempotent_creates_with_one_key_create_one_payment(store: Store) {
    let org = organisation();
    let (key, print) = (idempotency_key(), fingerprint("request-a"));
    let attempts = (0..20).map(|n| {
        let (store, key, print) = (store.clone(), key.clone(), print.clone());
        let event = created(org, instant(0, n));
        tokio::spawn(async move { (store.create_idempotent(&event, &key, &print).await, event) })
    });

    let results: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();

    let creators: Vec<_> = results
        .iter()
        .filter(|(r, _)| matches!(r, Ok(IdempotentOutcome::Created)))
        .collect();
    assert_eq!(creators.len(), 1, "{results:?}");
    let winner = &creators[0].1.payment;
    for (result, _) in &results {
        match result {
            Ok(IdempotentOutcome::Created) => {}
            Ok(IdempotentOutcome::Replayed(payment)) => assert_eq!(**payment, *winner),
            Err(error) => panic!("a concurrent retry failed: {error:?}"),
        }
    }
    let page = store
        .list(org, PageRequest::first(PageSize::DEFAULT))
        .await
        .expect("list");
    assert_eq!(page.payments, vec![winner.clone()]);
}
