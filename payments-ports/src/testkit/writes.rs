//! Create, update and delete: atomic, never overwriting, version-checked.

use std::sync::Arc;

use payments_domain::{EventKind, Payment, Version};

use super::fixtures::{created, instant, organisation, reference_patch, whole_history};
use crate::repository::{ChangeError, CreateError, PaymentRepository};

type Store = Arc<dyn PaymentRepository>;

/// A second create with a taken id is refused and the first stays.
pub async fn duplicate_create_conflicts_and_keeps_the_first(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("first create");
    let mut second = created(organisation(), instant(1, 0));
    second.payment.id = first.payment.id;

    let result = store.create(&second).await;

    assert!(
        matches!(result, Err(CreateError::AlreadyExists)),
        "got {result:?}"
    );
    let stored = store
        .get(first.payment.organisation_id, first.payment.id)
        .await
        .expect("get");
    assert_eq!(stored, Some(first.payment));
}

/// Of 16 concurrent creates with one id, exactly one succeeds.
pub async fn concurrent_creates_of_one_id_have_exactly_one_winner(store: Store) {
    let first = created(organisation(), instant(0, 0));
    let attempts = (0..16).map(|_| {
        let (store, event) = (store.clone(), first.clone());
        tokio::spawn(async move { store.create(&event).await })
    });

    let results = futures::future::join_all(attempts).await;

    let wins = results.iter().filter(|r| matches!(r, Ok(Ok(())))).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(CreateError::AlreadyExists))))
        .count();
    assert_eq!((wins, conflicts), (1, 15), "{results:?}");
}

/// Ids are never reused: the id of a deleted payment cannot be created again.
pub async fn create_with_the_id_of_a_deleted_payment_conflicts(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    store
        .delete(Version::INITIAL, &first.payment.delete(instant(1, 0)))
        .await
        .expect("delete");

    let result = store
        .create(&Payment::create(
            first.payment.id,
            first.payment.organisation_id,
            first.payment.attributes.clone(),
            instant(2, 0),
        ))
        .await;

    assert!(
        matches!(result, Err(CreateError::AlreadyExists)),
        "got {result:?}"
    );
}

/// Another organisation cannot read a payment.
pub async fn get_is_scoped_to_the_organisation(store: Store) {
    let event = created(organisation(), instant(0, 0));
    store.create(&event).await.expect("create");

    let seen_by_other = store
        .get(organisation(), event.payment.id)
        .await
        .expect("get");

    assert_eq!(seen_by_other, None);
}

/// An update at the expected version replaces the payment.
pub async fn update_with_the_expected_version_replaces_the_payment(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let updated = first
        .payment
        .update(&reference_patch("changed"), instant(5, 0))
        .expect("valid");

    store
        .update(Version::INITIAL, &updated)
        .await
        .expect("update");

    let stored = store
        .get(first.payment.organisation_id, first.payment.id)
        .await
        .expect("get");
    assert_eq!(stored, Some(updated.payment));
}

/// An update with a stale version is refused, names the stored version, and
/// changes nothing.
pub async fn update_with_a_stale_version_conflicts_and_changes_nothing(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let v1 = first
        .payment
        .update(&reference_patch("one"), instant(1, 0))
        .expect("valid");
    store
        .update(Version::INITIAL, &v1)
        .await
        .expect("update to v1");
    let stale = first
        .payment
        .update(&reference_patch("stale"), instant(2, 0))
        .expect("valid");

    let result = store.update(Version::INITIAL, &stale).await;

    assert!(
        matches!(result, Err(ChangeError::VersionConflict { expected, actual }) if expected == Version::INITIAL && actual == Version::new(1)),
        "got {result:?}"
    );
    let stored = store
        .get(first.payment.organisation_id, first.payment.id)
        .await
        .expect("get");
    assert_eq!(stored, Some(v1.payment));
    assert_eq!(
        whole_history(&*store, first.payment.organisation_id, first.payment.id)
            .await
            .map(|events| events.len()),
        Some(2)
    );
}

/// Updating a payment that does not exist, or is another organisation's,
/// is "not found".
pub async fn update_of_an_unknown_payment_is_not_found(store: Store) {
    let never_stored = created(organisation(), instant(0, 0));
    let update = never_stored
        .payment
        .update(&reference_patch("x"), instant(1, 0))
        .expect("valid");
    let result = store.update(Version::INITIAL, &update).await;
    assert!(
        matches!(result, Err(ChangeError::NotFound)),
        "unknown: {result:?}"
    );

    store.create(&never_stored).await.expect("create");
    let mut foreign = update.clone();
    foreign.payment.organisation_id = organisation();
    let result = store.update(Version::INITIAL, &foreign).await;
    assert!(
        matches!(result, Err(ChangeError::NotFound)),
        "other organisation: {result:?}"
    );
}

/// Of 32 concurrent updates expecting one version, exactly one wins; the
/// rest conflict and the history has one update.
pub async fn concurrent_updates_of_one_version_have_exactly_one_winner(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let attempts = (0..32).map(|n| {
        let store = store.clone();
        let update = first
            .payment
            .update(&reference_patch(&format!("writer {n}")), instant(1, n))
            .expect("valid");
        tokio::spawn(async move { (store.update(Version::INITIAL, &update).await, update) })
    });

    let results: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();

    let winners: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
    let conflicts = results
        .iter()
        .filter(|(r, _)| matches!(r, Err(ChangeError::VersionConflict { .. })))
        .count();
    assert_eq!((winners.len(), conflicts), (1, 31));
    let stored = store
        .get(first.payment.organisation_id, first.payment.id)
        .await
        .expect("get");
    assert_eq!(stored, Some(winners[0].1.payment.clone()));
    assert_eq!(
        whole_history(&*store, first.payment.organisation_id, first.payment.id)
            .await
            .map(|events| events.len()),
        Some(2)
    );
}

/// A deleted payment is gone from reads and lists; its history stays.
pub async fn delete_hides_the_payment_but_keeps_its_events(store: Store) {
    let first = created(organisation(), instant(0, 0));
    let org = first.payment.organisation_id;
    store.create(&first).await.expect("create");
    let updated = first
        .payment
        .update(&reference_patch("changed"), instant(1, 0))
        .expect("valid");
    store
        .update(Version::INITIAL, &updated)
        .await
        .expect("update");
    let deleted = updated.payment.delete(instant(2, 0));

    store
        .delete(Version::new(1), &deleted)
        .await
        .expect("delete");

    assert_eq!(store.get(org, first.payment.id).await.expect("get"), None);
    let page = store
        .list(org, crate::PageRequest::first(crate::PageSize::DEFAULT))
        .await
        .expect("list");
    assert!(page.payments.is_empty(), "deleted payment listed");
    let events = whole_history(&*store, org, first.payment.id).await;
    assert_eq!(events, Some(vec![first, updated, deleted]));
}

/// A delete with a stale version is refused and the payment stays.
pub async fn delete_with_a_stale_version_conflicts(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let updated = first
        .payment
        .update(&reference_patch("changed"), instant(1, 0))
        .expect("valid");
    store
        .update(Version::INITIAL, &updated)
        .await
        .expect("update");

    let result = store
        .delete(Version::INITIAL, &first.payment.delete(instant(2, 0)))
        .await;

    assert!(
        matches!(result, Err(ChangeError::VersionConflict { actual, .. }) if actual == Version::new(1)),
        "got {result:?}"
    );
    let stored = store
        .get(first.payment.organisation_id, first.payment.id)
        .await
        .expect("get");
    assert_eq!(stored, Some(updated.payment));
}

/// Deleting what does not exist (or was deleted) is "not found".
pub async fn delete_of_an_unknown_or_deleted_payment_is_not_found(store: Store) {
    let first = created(organisation(), instant(0, 0));
    let result = store
        .delete(Version::INITIAL, &first.payment.delete(instant(1, 0)))
        .await;
    assert!(
        matches!(result, Err(ChangeError::NotFound)),
        "unknown: {result:?}"
    );

    store.create(&first).await.expect("create");
    let deleted = first.payment.delete(instant(1, 0));
    store
        .delete(Version::INITIAL, &deleted)
        .await
        .expect("delete");
    let again = deleted.payment.delete(instant(2, 0));
    let result = store.delete(Version::new(1), &again).await;
    assert!(
        matches!(result, Err(ChangeError::NotFound)),
        "deleted twice: {result:?}"
    );
}

/// The history lists every change, oldest first, each with its version.
pub async fn events_record_every_change_in_order(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let mut current = first.payment.clone();
    for n in 1..=3 {
        let next = current
            .update(&reference_patch(&format!("change {n}")), instant(n, 0))
            .expect("valid");
        store.update(current.version, &next).await.expect("update");
        current = next.payment;
    }

    let events = whole_history(&*store, first.payment.organisation_id, first.payment.id)
        .await
        .expect("a history");

    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.version().number()))
        .collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Created, 0),
            (EventKind::Updated, 1),
            (EventKind::Updated, 2),
            (EventKind::Updated, 3)
        ]
    );
    assert_eq!(events.last().map(|e| &e.payment), Some(&current));
}

/// Asking for the history of a payment the organisation never had is "not
/// found" (`None`), also when another organisation has it, and from any
/// position.
pub async fn events_of_an_unknown_payment_are_not_found(store: Store) {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let first_page = crate::HistoryRequest::first(crate::PageSize::DEFAULT);
    let later_page = crate::HistoryRequest {
        after: Some(Version::INITIAL),
        ..first_page
    };

    for request in [first_page, later_page] {
        let unknown = store
            .events(
                first.payment.organisation_id,
                super::fixtures::payment_id(),
                request,
            )
            .await
            .expect("events");
        let foreign = store
            .events(organisation(), first.payment.id, request)
            .await
            .expect("events");

        assert_eq!(unknown, None, "unknown, {request:?}");
        assert_eq!(foreign, None, "other organisation, {request:?}");
    }
}

/// The store answers a ping.
pub async fn ping_answers(store: Store) {
    store.ping().await.expect("ping");
}
