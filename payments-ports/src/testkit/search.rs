//! Searching: a filtered listing finds exactly the matching payments of the
//! asking organisation, page by page, and never examines more than
//! [`SEARCH_BUDGET`] stored payments per request.

use std::sync::Arc;

use payments_domain::{
    Amount, Bounds, Currency, Date, OrganisationId, Payment, PaymentAttributesInput, PaymentFilter,
    PaymentId, Timestamp,
};

use super::fixtures::{create_all, instant, organisation, payment_id};
use crate::repository::{ListOrder, PageCursor, PageRequest, PageSize, PaymentRepository};
use crate::service::{PaymentService, SEARCH_BUDGET};

type Store = Arc<dyn PaymentRepository>;

/// One stored payment of the search fixture: what it is, and its id.
struct Stored {
    id: PaymentId,
    attributes: PaymentAttributesInput,
}

/// The attributes of a fixture payment: an amount, a currency, and the
/// members each filter looks at.
fn input(amount: &str, currency: &str, n: usize) -> PaymentAttributesInput {
    let pick = |values: &[&str]| Some(values[n % values.len()].to_owned());
    PaymentAttributesInput {
        amount: Some(amount.into()),
        currency: Some(currency.into()),
        reference: pick(&["Rent", "Gym", "Rent "]),
        payment_scheme: pick(&["FPS", "BACS"]),
        payment_type: pick(&["Credit", "Debit", "Credit"]),
        payment_timestamp: Some(format!("2024-08-{:02}T12:00:00Z", 1 + n % 28)),
        processing_date: Some(format!("2024-09-{:02}", 1 + n % 30)),
        beneficiary_party: Some(payments_domain::input::PartyInput {
            account_number: pick(&["31926819", "71268996"]),
            ..Default::default()
        }),
        debtor_party: Some(payments_domain::input::PartyInput {
            account_number: pick(&[
                "GB29XABC10161234567801",
                "GB29XABC10161234567802",
                "55779911",
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Stores `inputs` in `org`, created one second apart from second `start`.
async fn store_all(
    store: &Store,
    org: OrganisationId,
    start: i64,
    inputs: Vec<PaymentAttributesInput>,
) -> Vec<Stored> {
    let events: Vec<_> = inputs
        .into_iter()
        .zip(start..)
        .map(|(attributes, second)| {
            let valid = attributes.validate().expect("valid fixture");
            let event = Payment::create(payment_id(), org, valid, instant(second, 0));
            (event, attributes)
        })
        .collect();
    let stored = events
        .iter()
        .map(|(event, attributes)| Stored {
            id: event.payment.id,
            attributes: attributes.clone(),
        })
        .collect();
    create_all(store, events.into_iter().map(|(event, _)| event).collect()).await;
    stored
}

/// Every payment `filter` finds in `org`, following `next` to the end,
/// and how many requests that took.
async fn find_all(
    service: &PaymentService,
    org: OrganisationId,
    size: u64,
    order: ListOrder,
    filter: &PaymentFilter,
) -> (Vec<PaymentId>, usize) {
    let mut found = Vec::new();
    let mut after: Option<PageCursor> = None;
    for requests in 1.. {
        let request = PageRequest {
            size: PageSize::new(size).expect("page size"),
            after,
            order,
            created: Bounds::all(),
        };
        let page = service
            .find_payments(org, request, filter)
            .await
            .expect("find");
        assert!(page.payments.len() <= request.size.get());
        found.extend(page.payments.iter().map(|p| p.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return (found, requests),
        }
    }
    unreachable!()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("instant")
}

/// Which fixture payments a filter must find.
type Wanted = fn(&PaymentAttributesInput) -> bool;

/// The filter with one change from the default.
fn with(change: impl FnOnce(&mut PaymentFilter)) -> PaymentFilter {
    let mut filter = PaymentFilter::default();
    change(&mut filter);
    filter
}

/// One case per filter, and one of two together.
fn filter_cases() -> Vec<(&'static str, PaymentFilter, Wanted)> {
    let currency = |code| Some(Currency::parse(code).expect("code"));
    let amount = |text| Some(Amount::parse(text).expect("amount"));
    let text = |value: &str| Some(value.to_owned());
    vec![
        ("currency", with(|f| f.currency = currency("EUR")), |a| {
            a.currency.as_deref() == Some("EUR")
        }),
        (
            "amount 100.2 matches 100.20",
            with(|f| f.amount = amount("100.2")),
            |a| matches!(a.amount.as_deref(), Some("100.2" | "100.20")),
        ),
        (
            "amount 7.00 matches 7 and 7.0",
            with(|f| f.amount = amount("7.00")),
            |a| matches!(a.amount.as_deref(), Some("7" | "7.0")),
        ),
        (
            "reference, exactly",
            with(|f| f.reference = text("Rent")),
            |a| a.reference.as_deref() == Some("Rent"),
        ),
        ("scheme", with(|f| f.payment_scheme = text("BACS")), |a| {
            a.payment_scheme.as_deref() == Some("BACS")
        }),
        ("type", with(|f| f.payment_type = text("Debit")), |a| {
            a.payment_type.as_deref() == Some("Debit")
        }),
        (
            "beneficiary account",
            with(|f| f.beneficiary_account_number = text("71268996")),
            |a| beneficiary(a) == Some("71268996"),
        ),
        (
            "debtor account",
            with(|f| f.debtor_account_number = text("55779911")),
            |a| debtor(a) == Some("55779911"),
        ),
        (
            "payment timestamp from the 5th to the 9th",
            with(|f| {
                f.payment_timestamp = Bounds {
                    from: Some(at("2024-08-05T12:00:00Z")),
                    to: Some(at("2024-08-09T12:00:00Z")),
                };
            }),
            |a| {
                let day = a.payment_timestamp.as_deref().map(|t| &t[8..10]);
                matches!(day, Some("05" | "06" | "07" | "08"))
            },
        ),
        (
            "processing date up to the 3rd",
            with(|f| f.processing_date.to = Some(Date::parse("2024-09-03").expect("date"))),
            |a| {
                matches!(
                    a.processing_date.as_deref(),
                    Some("2024-09-01" | "2024-09-02")
                )
            },
        ),
        (
            "currency and scheme together",
            with(|f| {
                f.currency = currency("GBP");
                f.payment_scheme = text("FPS");
            }),
            |a| a.currency.as_deref() == Some("GBP") && a.payment_scheme.as_deref() == Some("FPS"),
        ),
    ]
}

/// Each filter finds exactly the payments whose attribute matches, in the
/// listing's order, in pages of any size, never another organisation's;
/// amounts compare as numbers whatever their scale.
pub async fn each_filter_finds_exactly_its_matches(store: Store) {
    let (org, other) = (organisation(), organisation());
    let amounts = ["100.2", "100.20", "100.21", "7", "7.0"];
    let inputs: Vec<_> = (0..30)
        .map(|n| input(amounts[n % amounts.len()], ["GBP", "EUR", "USD"][n % 3], n))
        .collect();
    let mine = store_all(&store, org, 0, inputs.clone()).await;
    store_all(&store, other, 0, inputs).await;
    let service = PaymentService::with_system_clock(store);

    for (name, filter, wanted) in filter_cases() {
        let expected: Vec<PaymentId> = mine
            .iter()
            .filter(|p| wanted(&p.attributes))
            .map(|p| p.id)
            .collect();
        assert!(!expected.is_empty(), "{name}: the fixture has matches");
        assert!(
            expected.len() < mine.len(),
            "{name}: and payments that do not match"
        );
        for size in [1, 4, 100] {
            let (found, _) = find_all(&service, org, size, ListOrder::OldestFirst, &filter).await;
            assert_eq!(found, expected, "{name}, pages of {size}");
        }
        let (mut newest, _) = find_all(&service, org, 3, ListOrder::NewestFirst, &filter).await;
        newest.reverse();
        assert_eq!(newest, expected, "{name}, newest first");
    }
}

fn beneficiary(attributes: &PaymentAttributesInput) -> Option<&str> {
    attributes
        .beneficiary_party
        .as_ref()?
        .account_number
        .as_deref()
}

fn debtor(attributes: &PaymentAttributesInput) -> Option<&str> {
    attributes.debtor_party.as_ref()?.account_number.as_deref()
}

/// A search examines at most [`SEARCH_BUDGET`] stored payments per
/// request: past it, the page holds what was found and `next` continues
/// after the last payment examined, until the match beyond is found.
pub async fn a_search_stops_at_its_budget_and_continues_from_there(store: Store) {
    let org = organisation();
    let misses = (0..SEARCH_BUDGET + 200).map(|n| input("1", "GBP", n));
    let hit = std::iter::once(input("2", "GBP", 0));
    let inputs: Vec<_> = misses.chain(hit).collect();
    let stored = store_all(&store, org, 0, inputs).await;
    let service = PaymentService::with_system_clock(store);
    let filter = PaymentFilter {
        amount: Some(Amount::parse("2").expect("amount")),
        ..Default::default()
    };

    let first = service
        .find_payments(
            org,
            PageRequest::first(PageSize::new(10).expect("size")),
            &filter,
        )
        .await
        .expect("find");
    let (found, requests) = find_all(&service, org, 10, ListOrder::OldestFirst, &filter).await;

    assert_eq!(
        first.payments,
        vec![],
        "nothing matches among the first {SEARCH_BUDGET}"
    );
    let last_examined = &stored[SEARCH_BUDGET - 1];
    assert_eq!(first.next.map(|next| next.id), Some(last_examined.id));
    assert_eq!(found, vec![stored[SEARCH_BUDGET + 200].id]);
    assert_eq!(requests, 2);
}
