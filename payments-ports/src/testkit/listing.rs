//! Listing: organisation-scoped keyset pages, stable under inserts.

use std::collections::HashMap;
use std::sync::Arc;

use payments_domain::{OrganisationId, PaymentId, Timestamp};

use super::fixtures::{create_all, created, instant, organisation};
use crate::repository::{ListOrder, PageCursor, PageRequest, PageSize, PaymentRepository};
use payments_domain::Bounds;

type Store = Arc<dyn PaymentRepository>;

/// Creates `count` payments in `org`, one second apart from `start`,
/// returning their ids in creation order.
async fn fill(store: &Store, org: OrganisationId, start: i64, count: i64) -> Vec<PaymentId> {
    let events: Vec<_> = (0..count)
        .map(|n| created(org, instant(start + n, 0)))
        .collect();
    let ids = events.iter().map(|e| e.payment.id).collect();
    create_all(store, events).await;
    ids
}

/// Pages through `org` to the end, returning the ids seen in order.
async fn read_all(
    store: &Store,
    org: OrganisationId,
    size: u64,
    order: ListOrder,
) -> Vec<PaymentId> {
    read_created(store, org, size, order, Bounds::all()).await
}

/// Pages through the payments of `org` created inside `created`.
async fn read_created(
    store: &Store,
    org: OrganisationId,
    size: u64,
    order: ListOrder,
    created: Bounds<Timestamp>,
) -> Vec<PaymentId> {
    let mut seen = Vec::new();
    let mut after: Option<PageCursor> = None;
    loop {
        let request = PageRequest {
            size: PageSize::new(size).expect("page size"),
            after,
            order,
            created,
        };
        let page = store.list(org, request).await.expect("list");
        assert!(
            page.payments.len() <= request.size.get(),
            "page larger than asked"
        );
        seen.extend(page.payments.iter().map(|p| p.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return seen,
        }
    }
}

/// Paging through 1,000 payments visits each exactly once while another
/// task keeps inserting into the same organisation.
pub async fn pages_visit_every_payment_once_while_others_insert(store: Store) {
    let org = organisation();
    let existing = fill(&store, org, 0, 1_000).await;
    let inserter = {
        let store = store.clone();
        tokio::spawn(async move { fill(&store, org, 10_000, 200).await })
    };

    let seen = read_all(&store, org, 37, ListOrder::OldestFirst).await;
    let added = inserter.await.expect("inserter");

    let mut counts: HashMap<PaymentId, usize> = HashMap::new();
    for id in &seen {
        *counts.entry(*id).or_default() += 1;
    }
    assert!(
        counts.values().all(|&n| n == 1),
        "a payment was listed twice"
    );
    assert!(
        existing.iter().all(|id| counts.contains_key(id)),
        "a payment was skipped"
    );
    assert!(
        seen.iter()
            .all(|id| existing.contains(id) || added.contains(id)),
        "a stranger was listed"
    );
    assert_eq!(
        &seen[..existing.len()],
        &existing[..],
        "not in creation order"
    );
}

/// Oldest first and newest first are exact reverses, page after page.
pub async fn newest_first_is_the_reverse_of_oldest_first(store: Store) {
    let org = organisation();
    let ids = fill(&store, org, 0, 25).await;

    let oldest = read_all(&store, org, 10, ListOrder::OldestFirst).await;
    let mut newest = read_all(&store, org, 7, ListOrder::NewestFirst).await;

    assert_eq!(oldest, ids);
    newest.reverse();
    assert_eq!(newest, ids);
}

/// Payments created at the same instant are all listed, ordered by id.
pub async fn payments_created_at_one_instant_page_by_id(store: Store) {
    let org = organisation();
    let mut events: Vec<_> = (0..9).map(|_| created(org, instant(0, 0))).collect();
    for event in &events {
        store.create(event).await.expect("create");
    }
    events.sort_by_key(|e| e.payment.id);

    let seen = read_all(&store, org, 2, ListOrder::OldestFirst).await;

    assert_eq!(
        seen,
        events.iter().map(|e| e.payment.id).collect::<Vec<_>>()
    );
}

/// A listing shows only the asking organisation's payments.
pub async fn lists_never_cross_organisations(store: Store) {
    let (mine, theirs) = (organisation(), organisation());
    let my_ids = fill(&store, mine, 0, 15).await;
    fill(&store, theirs, 0, 15).await;

    let seen = read_all(&store, mine, 4, ListOrder::OldestFirst).await;
    let nobody = read_all(&store, organisation(), 4, ListOrder::OldestFirst).await;

    assert_eq!(seen, my_ids);
    assert!(nobody.is_empty());
}

/// A created range is half-open: a payment created exactly at `from` is
/// listed, one exactly at `to` is not, whatever the order and page size;
/// another organisation's payments in the range never are.
pub async fn a_created_range_holds_from_and_not_to(store: Store) {
    let (org, other) = (organisation(), organisation());
    // Seconds 0..10, and two more at second 3 and 7 exactly.
    let mut events: Vec<_> = (0..10).map(|n| created(org, instant(n, 0))).collect();
    events.push(created(org, instant(3, 0)));
    events.push(created(org, instant(7, 0)));
    events.push(created(org, instant(6, 999_999)));
    for event in &events {
        store.create(event).await.expect("create");
    }
    for n in 0..10 {
        store
            .create(&created(other, instant(n, 0)))
            .await
            .expect("create");
    }
    let mut inside: Vec<_> = events
        .iter()
        .map(|e| &e.payment)
        .filter(|p| p.created_on >= instant(3, 0) && p.created_on < instant(7, 0))
        .map(|p| (p.created_on, p.id))
        .collect();
    inside.sort();
    let inside: Vec<PaymentId> = inside.into_iter().map(|(_, id)| id).collect();
    assert_eq!(inside.len(), 6, "seconds 3 (twice), 4, 5, 6 and 6.999999");
    let range = Bounds {
        from: Some(instant(3, 0)),
        to: Some(instant(7, 0)),
    };

    for size in [1, 2, 5, 100] {
        let oldest = read_created(&store, org, size, ListOrder::OldestFirst, range).await;
        let mut newest = read_created(&store, org, size, ListOrder::NewestFirst, range).await;
        newest.reverse();
        assert_eq!(oldest, inside, "oldest first, pages of {size}");
        assert_eq!(newest, inside, "newest first, pages of {size}");
    }
    let from_only = Bounds {
        from: Some(instant(8, 0)),
        to: None,
    };
    let to_only = Bounds {
        from: None,
        to: Some(instant(1, 0)),
    };
    let ids_at = |seconds: &[i64]| -> Vec<PaymentId> {
        seconds
            .iter()
            .map(|&n| events[usize::try_from(n).expect("index")].payment.id)
            .collect()
    };
    assert_eq!(
        read_created(&store, org, 1, ListOrder::OldestFirst, from_only).await,
        ids_at(&[8, 9])
    );
    assert_eq!(
        read_created(&store, org, 1, ListOrder::NewestFirst, to_only).await,
        ids_at(&[0])
    );
    let empty = Bounds {
        from: Some(instant(5, 0)),
        to: Some(instant(5, 0)),
    };
    for order in [ListOrder::OldestFirst, ListOrder::NewestFirst] {
        assert_eq!(read_created(&store, org, 3, order, empty).await, vec![]);
    }
}

/// The last page says so: no next cursor, also when it is exactly full.
pub async fn the_last_page_has_no_next_cursor(store: Store) {
    let org = organisation();
    fill(&store, org, 0, 10).await;

    let full = store
        .list(org, PageRequest::first(PageSize::new(10).expect("size")))
        .await
        .expect("list");
    let partial = store
        .list(org, PageRequest::first(PageSize::new(4).expect("size")))
        .await
        .expect("list");

    assert_eq!((full.payments.len(), full.next), (10, None));
    assert_eq!(partial.payments.len(), 4);
    assert_eq!(partial.next, partial.payments.last().map(PageCursor::after));
}
