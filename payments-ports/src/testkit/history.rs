//! Histories: read in pages, in version order, each event once.

use std::sync::Arc;

use payments_domain::{EventKind, PaymentEvent, Version};

use super::fixtures::{created, instant, organisation, reference_patch, whole_history};
use crate::repository::{HistoryRequest, PageSize, PaymentRepository};

type Store = Arc<dyn PaymentRepository>;

/// Creates a payment and changes it `changes` times (its reference); its
/// events in order. Also what the history benchmarks build.
///
/// # Panics
/// When the store refuses a write.
pub async fn with_changes(store: &Store, changes: u64) -> Vec<PaymentEvent> {
    let first = created(organisation(), instant(0, 0));
    store.create(&first).await.expect("create");
    let mut events = vec![first];
    for n in 1..=changes {
        let current = &events[events.len() - 1].payment;
        let next = current
            .update(
                &reference_patch(&format!("change {n}")),
                instant(0, i64::try_from(n).expect("small")),
            )
            .expect("valid");
        store.update(current.version, &next).await.expect("update");
        events.push(next);
    }
    events
}

fn versions(events: &[PaymentEvent]) -> Vec<u64> {
    events.iter().map(|e| e.version().number()).collect()
}

/// Pages hold at most the size asked for, in version order, each naming
/// the version the next one starts after; the last names none.
pub async fn history_pages_follow_one_another_in_version_order(store: Store) {
    let events = with_changes(&store, 4).await;
    let payment = &events[0].payment;
    let size = PageSize::new(2).expect("size");

    let mut pages = Vec::new();
    let mut request = HistoryRequest::first(size);
    loop {
        let page = store
            .events(payment.organisation_id, payment.id, request)
            .await
            .expect("events")
            .expect("a history");
        pages.push((versions(&page.events), page.next.map(Version::number)));
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }

    assert_eq!(
        pages,
        [
            (vec![0, 1], Some(1)),
            (vec![2, 3], Some(3)),
            (vec![4], None)
        ]
    );
}

/// A payment with 1,000 versions reads back page by page, every event
/// exactly once and equal to what was stored.
pub async fn a_history_of_a_thousand_versions_reads_page_by_page(store: Store) {
    let events = with_changes(&store, 999).await;
    let payment = &events[0].payment;

    let read = whole_history(&*store, payment.organisation_id, payment.id)
        .await
        .expect("a history");

    assert_eq!(read.len(), 1_000);
    assert_eq!(versions(&read), (0..1_000).collect::<Vec<_>>());
    assert_eq!(read, events);
}

/// After the last version there is an empty last page; a deleted
/// payment's history goes on to its deletion.
pub async fn a_history_ends_with_an_empty_page_and_survives_deletion(store: Store) {
    let events = with_changes(&store, 1).await;
    let last = &events[1].payment;
    let deleted = last.delete(instant(9, 0));
    store.delete(last.version, &deleted).await.expect("delete");

    let past_the_end = store
        .events(
            last.organisation_id,
            last.id,
            HistoryRequest {
                size: PageSize::DEFAULT,
                after: Some(Version::new(2)),
            },
        )
        .await
        .expect("events")
        .expect("a history");
    let read = whole_history(&*store, last.organisation_id, last.id)
        .await
        .expect("a history");

    assert_eq!((past_the_end.events, past_the_end.next), (vec![], None));
    let kinds: Vec<_> = read.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Created, EventKind::Updated, EventKind::Deleted]
    );
    assert_eq!(read[2], deleted);
}
