//! Periods and reports: a period holds the payments whose
//! [`Payment::reported_on`] (payment timestamp, else creation) is inside
//! it, `from` inclusive and `to` exclusive, read in `(reported_on, id)`
//! order; totals add each currency's amounts exactly and count nothing of
//! another organisation, a deleted payment, or a payment moved out.

use std::sync::Arc;

use payments_domain::report::Totals;
use payments_domain::{
    Bounds, Currency, OrganisationId, Payment, PaymentAttributesInput, PaymentFilter, PaymentId,
    Timestamp, Version,
};

use super::fixtures::{create_all, instant, organisation, payment_id};
use crate::repository::{PaymentRepository, PeriodCursor, PeriodRequest};

type Store = Arc<dyn PaymentRepository>;

/// August 2024, the period of these tests.
fn august() -> Bounds<Timestamp> {
    Bounds {
        from: Some(at("2024-08-01T00:00:00Z")),
        to: Some(at("2024-09-01T00:00:00Z")),
    }
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("instant")
}

/// A payment of `amount` in `currency`, created at `created`, with a
/// payment timestamp when `paid` names one.
fn payment(
    org: OrganisationId,
    amount: &str,
    currency: &str,
    created: &str,
    paid: Option<&str>,
) -> payments_domain::PaymentEvent {
    let attributes = PaymentAttributesInput {
        amount: Some(amount.into()),
        currency: Some(currency.into()),
        payment_timestamp: paid.map(str::to_owned),
        reference: Some(format!("{amount} {currency}")),
        ..Default::default()
    }
    .validate()
    .expect("valid fixture");
    Payment::create(payment_id(), org, attributes, at(created))
}

/// Every payment of `period`, read `size` at a time; checks on the way
/// that each read continues after the last payment of the one before.
async fn whole_period(
    store: &Store,
    org: OrganisationId,
    period: Bounds<Timestamp>,
    size: usize,
) -> Vec<PaymentId> {
    let mut ids = Vec::new();
    let mut request = PeriodRequest {
        period,
        after: None,
        size,
    };
    loop {
        let page = store.list_period(org, request).await.expect("period");
        assert!(page.payments.len() <= size);
        ids.extend(page.payments.iter().map(|p| p.id));
        match page.next {
            Some(next) => {
                assert_eq!(page.payments.last().map(PeriodCursor::after), Some(next));
                request.after = Some(next);
            }
            None => return ids,
        }
    }
}

fn lines(totals: &Totals) -> Vec<(String, u64, String)> {
    totals
        .lines()
        .map(|line| (line.currency.to_string(), line.count, line.amount))
        .collect()
}

/// The edges of a period: a payment timestamp exactly at `from` is in,
/// exactly at `to` is out, a microsecond either side goes with its side;
/// a payment without one counts at its creation; a payment created in the
/// period but paid outside it is out.
pub async fn a_period_holds_its_from_and_not_its_to(store: Store) {
    let org = organisation();
    let inside = [
        payment(
            org,
            "1",
            "GBP",
            "2024-07-01T00:00:00Z",
            Some("2024-08-01T00:00:00Z"),
        ),
        payment(
            org,
            "2",
            "GBP",
            "2024-09-05T00:00:00Z",
            Some("2024-08-31T23:59:59.999999Z"),
        ),
        payment(org, "3", "GBP", "2024-08-15T10:00:00Z", None),
        payment(org, "4", "GBP", "2024-08-01T00:00:00Z", None),
    ];
    let outside = [
        payment(
            org,
            "5",
            "GBP",
            "2024-08-10T00:00:00Z",
            Some("2024-07-31T23:59:59.999999Z"),
        ),
        payment(
            org,
            "6",
            "GBP",
            "2024-08-10T00:00:00Z",
            Some("2024-09-01T00:00:00Z"),
        ),
        payment(org, "7", "GBP", "2024-09-01T00:00:00Z", None),
        payment(org, "8", "GBP", "2024-07-31T23:59:59.999999Z", None),
    ];
    // In reported order: 1 and 4 at from (tied, by id), 3, 2.
    let mut first_two = [&inside[0], &inside[3]].map(|event| event.payment.id);
    first_two.sort();
    let wanted = [
        first_two[0],
        first_two[1],
        inside[2].payment.id,
        inside[1].payment.id,
    ];
    create_all(&store, inside.iter().chain(&outside).cloned().collect()).await;

    assert_eq!(whole_period(&store, org, august(), 1000).await, wanted);
    assert_eq!(whole_period(&store, org, august(), 1).await, wanted);
    let totals = store
        .totals(org, august(), &PaymentFilter::default())
        .await
        .expect("totals");
    assert_eq!(lines(&totals), [("GBP".into(), 4, "10.00".into())]);
}

/// Amounts of one currency at different scales add exactly; currencies
/// are never added together; another organisation's payments in the
/// period are never counted, nor deleted ones; a payment whose payment
/// timestamp moves out of the period leaves it, one that moves in joins.
pub async fn totals_add_exactly_per_currency_and_only_the_organisations(store: Store) {
    let (org, other) = (organisation(), organisation());
    let mid = "2024-08-15T12:00:00Z";
    let counted = [
        payment(org, "0.1", "GBP", mid, None),
        payment(org, "100.20", "GBP", mid, None),
        payment(org, "5", "GBP", mid, None),
        payment(org, "0.001", "BHD", mid, None),
        payment(org, "1", "BHD", mid, None),
        payment(org, "500", "USD", mid, Some("2024-08-02T08:00:00Z")),
        payment(org, "12345678901234567890", "JPY", mid, None),
    ];
    let deleted = payment(org, "1000", "GBP", mid, None);
    let moved_out = payment(org, "2000", "GBP", mid, None);
    let moved_in = payment(org, "7.77", "USD", "2024-10-01T00:00:00Z", None);
    let theirs = [
        payment(other, "3000", "GBP", mid, None),
        payment(other, "4000", "EUR", mid, None),
    ];
    let mut all: Vec<_> = counted.to_vec();
    all.extend([deleted.clone(), moved_out.clone(), moved_in.clone()]);
    all.extend(theirs.iter().cloned());
    create_all(&store, all).await;

    let later = instant(400 * 86_400, 0);
    store
        .delete(Version::INITIAL, &deleted.payment.delete(later))
        .await
        .expect("delete");
    for (event, paid) in [
        (&moved_out, "2024-09-01T00:00:00Z"),
        (&moved_in, "2024-08-31T00:00:00Z"),
    ] {
        let patch = PaymentAttributesInput {
            payment_timestamp: Some(paid.into()),
            ..Default::default()
        };
        let updated = event.payment.update(&patch, later).expect("patch");
        store
            .update(Version::INITIAL, &updated)
            .await
            .expect("update");
    }

    let totals = store
        .totals(org, august(), &PaymentFilter::default())
        .await
        .expect("totals");
    assert_eq!(
        lines(&totals),
        [
            ("BHD".into(), 2, "1.001".into()),
            ("GBP".into(), 3, "105.30".into()),
            ("JPY".into(), 1, "12345678901234567890".into()),
            ("USD".into(), 2, "507.77".into()),
        ]
    );
    let mut ids = whole_period(&store, org, august(), 3).await;
    ids.sort();
    let mut wanted: Vec<_> = counted.iter().map(|event| event.payment.id).collect();
    wanted.push(moved_in.payment.id);
    wanted.sort();
    assert_eq!(ids, wanted);

    let theirs_totals = store
        .totals(other, august(), &PaymentFilter::default())
        .await
        .expect("their totals");
    assert_eq!(
        lines(&theirs_totals),
        [
            ("EUR".into(), 1, "4000.00".into()),
            ("GBP".into(), 1, "3000.00".into()),
        ]
    );
}

/// Totals with a filter count only what it matches; an empty period or an
/// organisation with nothing counts nothing.
pub async fn totals_count_only_what_the_filter_matches(store: Store) {
    let org = organisation();
    let mid = "2024-08-15T12:00:00Z";
    create_all(
        &store,
        vec![
            payment(org, "10.5", "GBP", mid, None),
            payment(org, "10.50", "GBP", mid, None),
            payment(org, "20", "GBP", mid, None),
            payment(org, "10.5", "EUR", mid, None),
        ],
    )
    .await;
    let report = |filter: PaymentFilter, period: Bounds<Timestamp>, org: OrganisationId| {
        let store = store.clone();
        async move { lines(&store.totals(org, period, &filter).await.expect("totals")) }
    };

    let gbp = PaymentFilter {
        currency: Some(Currency::parse("GBP").expect("code")),
        ..Default::default()
    };
    assert_eq!(
        report(gbp, august(), org).await,
        [("GBP".into(), 3, "41.00".into())]
    );
    let amount = PaymentFilter {
        amount: Some(payments_domain::Amount::parse("10.500").expect("amount")),
        ..Default::default()
    };
    assert_eq!(
        report(amount, august(), org).await,
        [
            ("EUR".into(), 1, "10.50".into()),
            ("GBP".into(), 2, "21.00".into()),
        ]
    );
    let reference = PaymentFilter {
        reference: Some("20 GBP".into()),
        ..Default::default()
    };
    assert_eq!(
        report(reference, august(), org).await,
        [("GBP".into(), 1, "20.00".into())]
    );
    let empty = Bounds {
        from: august().to,
        to: august().from,
    };
    assert_eq!(report(PaymentFilter::default(), empty, org).await, []);
    assert_eq!(
        report(PaymentFilter::default(), august(), organisation()).await,
        []
    );
}
