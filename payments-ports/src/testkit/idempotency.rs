//! Idempotent creates: key, fingerprint and payment stored atomically; a
//! key in force is refused, an expired one is new.

use std::sync::Arc;
use std::time::Duration;

use payments_domain::{OrganisationId, Payment, PaymentEvent};

use super::fixtures::{
    claim, created, fingerprint, idempotency_key, instant, organisation, payment_id,
};
use crate::repository::{
    IdempotencyClaim, IdempotentCreateError, KeyRetention, PageRequest, PageSize,
    PaymentRepository, UsedKey,
};

type Store = Arc<dyn PaymentRepository>;

/// The key as stored after `created` claimed it for `print`.
fn used_by(created: &PaymentEvent, print: &str) -> UsedKey {
    UsedKey {
        fingerprint: fingerprint(print),
        payment_id: created.payment.id,
    }
}

async fn listed(store: &Store, org: OrganisationId) -> Vec<Payment> {
    store
        .list(org, PageRequest::first(PageSize::DEFAULT))
        .await
        .expect("list")
        .payments
}

/// An idempotent create stores the payment and, with it, the key: the
/// request's fingerprint and the payment's id.
pub async fn an_idempotent_create_stores_the_key_with_the_payment(store: Store) {
    let org = organisation();
    let key = idempotency_key();
    let first = created(org, instant(0, 0));

    store
        .create_idempotent(&first, &claim(&key, "request-a"))
        .await
        .expect("create");

    let found = store
        .idempotency_key(org, &key, instant(-1, 0))
        .await
        .expect("lookup");
    assert_eq!(found, Some(used_by(&first, "request-a")));
    assert_eq!(listed(&store, org).await, vec![first.payment]);
}

/// A key in force is refused with what is stored under it, whatever the
/// new request's fingerprint, and nothing is created.
pub async fn a_key_in_force_is_refused_with_the_stored_key(store: Store) {
    let org = organisation();
    let key = idempotency_key();
    let first = created(org, instant(0, 0));
    store
        .create_idempotent(&first, &claim(&key, "request-a"))
        .await
        .expect("first");

    for (print, at) in [("request-a", 1), ("request-b", 2)] {
        let retry = created(org, instant(at, 0)); // a retry may carry a new id
        let result = store.create_idempotent(&retry, &claim(&key, print)).await;

        assert!(
            matches!(&result, Err(IdempotentCreateError::KeyInUse(used)) if *used == used_by(&first, "request-a")),
            "{print}: {result:?}"
        );
        assert_eq!(store.get(org, retry.payment.id).await.expect("get"), None);
    }
    assert_eq!(listed(&store, org).await, vec![first.payment]);
}

/// Two organisations may use the same key independently.
pub async fn idempotency_keys_are_scoped_to_the_organisation(store: Store) {
    let key = idempotency_key();
    let (mine, theirs) = (organisation(), organisation());
    let my_payment = created(mine, instant(0, 0));
    let their_payment = created(theirs, instant(0, 0));

    store
        .create_idempotent(&my_payment, &claim(&key, "request-a"))
        .await
        .expect("mine");
    store
        .create_idempotent(&their_payment, &claim(&key, "request-a"))
        .await
        .expect("theirs");

    let lookup = |org| store.idempotency_key(org, &key, instant(-1, 0));
    assert_eq!(
        lookup(mine).await.expect("mine"),
        Some(used_by(&my_payment, "request-a"))
    );
    assert_eq!(
        lookup(theirs).await.expect("theirs"),
        Some(used_by(&their_payment, "request-a"))
    );
    assert_eq!(lookup(organisation()).await.expect("nobody"), None);
}

/// When the payment id is taken, the create fails and the key is not
/// stored: the same key then works with a free id.
pub async fn an_idempotent_create_of_a_taken_id_stores_no_key(store: Store) {
    let org = organisation();
    let taken = created(org, instant(0, 0));
    store.create(&taken).await.expect("create");
    let key = idempotency_key();
    let clash = Payment::create(
        taken.payment.id,
        org,
        taken.payment.attributes.clone(),
        instant(1, 0),
    );

    let result = store
        .create_idempotent(&clash, &claim(&key, "request-a"))
        .await;
    let stored_key = store
        .idempotency_key(org, &key, instant(-1, 0))
        .await
        .expect("lookup");
    let with_free_id = Payment::create(
        payment_id(),
        org,
        taken.payment.attributes.clone(),
        instant(2, 0),
    );
    let retry = store
        .create_idempotent(&with_free_id, &claim(&key, "request-a"))
        .await;

    assert!(
        matches!(result, Err(IdempotentCreateError::AlreadyExists)),
        "got {result:?}"
    );
    assert_eq!(stored_key, None);
    assert!(retry.is_ok(), "retry with a free id: {retry:?}");
}

/// 20 concurrent callers with one key create one payment; every other one
/// is told the key is in use by the winner.
pub async fn concurrent_idempotent_creates_with_one_key_create_one_payment(store: Store) {
    let org = organisation();
    let key = idempotency_key();
    let attempts = (0..20).map(|n| {
        let (store, claim) = (store.clone(), claim(&key, "request-a"));
        let event = created(org, instant(0, n));
        tokio::spawn(async move { (store.create_idempotent(&event, &claim).await, event) })
    });

    let results: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();

    let creators: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
    assert_eq!(creators.len(), 1, "{results:?}");
    let winner = &creators[0].1;
    for (result, _) in &results {
        match result {
            Ok(()) => {}
            Err(IdempotentCreateError::KeyInUse(used)) => {
                assert_eq!(*used, used_by(winner, "request-a"));
            }
            Err(error) => panic!("a concurrent retry failed: {error:?}"),
        }
    }
    assert_eq!(listed(&store, org).await, vec![winner.payment.clone()]);
}

/// A key is in force until its retention has passed since its first use;
/// from then on it is a new key: looked up, it is absent, and a create
/// with it stores a new payment under it.
pub async fn an_expired_key_is_a_new_key(store: Store) {
    let org = organisation();
    let key = idempotency_key();
    let minute = KeyRetention::new(Duration::from_secs(60)).expect("retention");
    let with_retention = |print: &str| IdempotencyClaim {
        retention: minute,
        ..claim(&key, print)
    };
    let first = created(org, instant(0, 0));
    store
        .create_idempotent(&first, &with_retention("request-a"))
        .await
        .expect("first");

    let before_expiry = created(org, instant(59, 999_999));
    let refused = store
        .create_idempotent(&before_expiry, &with_retention("request-b"))
        .await;
    let at_expiry = minute.expired_up_to(instant(60, 0));
    let looked_up = store
        .idempotency_key(org, &key, at_expiry)
        .await
        .expect("lookup");
    let second = created(org, instant(60, 0));
    let after_expiry = store
        .create_idempotent(&second, &with_retention("request-b"))
        .await;

    assert!(
        matches!(&refused, Err(IdempotentCreateError::KeyInUse(used)) if *used == used_by(&first, "request-a")),
        "still in force: {refused:?}"
    );
    assert_eq!(looked_up, None, "expired keys are not found");
    assert!(
        after_expiry.is_ok(),
        "an expired key is new: {after_expiry:?}"
    );
    let now_stored = store
        .idempotency_key(org, &key, minute.expired_up_to(instant(60, 0)))
        .await
        .expect("lookup");
    assert_eq!(now_stored, Some(used_by(&second, "request-b")));
    assert_eq!(
        listed(&store, org).await,
        vec![first.payment, second.payment]
    );
}

/// Purging deletes only expired keys: keys in force stay, and expired keys
/// stay expired whether or not the store deleted them. (This test's keys
/// are first used in 2000, long before any other test's, so its purge
/// touches no other test's keys while they run side by side.)
pub async fn purging_keeps_the_keys_in_force(store: Store) {
    let org = organisation();
    let (old, fresh) = (idempotency_key(), idempotency_key());
    let in_2000 = |seconds: i64| {
        payments_domain::Timestamp::from_unix_micros(946_684_800_000_000 + seconds * 1_000_000)
            .expect("in range")
    };
    let old_payment = created(org, in_2000(0));
    let fresh_payment = created(org, in_2000(100));
    store
        .create_idempotent(&old_payment, &claim(&old, "request-a"))
        .await
        .expect("old");
    store
        .create_idempotent(&fresh_payment, &claim(&fresh, "request-b"))
        .await
        .expect("fresh");
    let expired_up_to = in_2000(50);

    let purged = store
        .purge_idempotency_keys(expired_up_to, 1_000)
        .await
        .expect("purge");

    // One key was expired: stores that delete delete it, stores that
    // leave it to the database's own expiry (DynamoDB) delete none.
    assert!(purged <= 1, "purged {purged}");
    let lookup = |key| store.idempotency_key(org, key, expired_up_to);
    assert_eq!(lookup(&old).await.expect("old"), None);
    assert_eq!(
        lookup(&fresh).await.expect("fresh"),
        Some(used_by(&fresh_payment, "request-b"))
    );
    assert_eq!(
        listed(&store, org).await,
        vec![old_payment.payment, fresh_payment.payment],
        "purging keys deletes no payment"
    );
}
