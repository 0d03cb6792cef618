//! What goes in comes out exactly.

use std::sync::Arc;

use payments_domain::{Payment, PaymentAttributesInput};

use super::fixtures::{
    form3_attributes, form3_attributes_json, instant, organisation, payment_id, whole_history,
};
use crate::repository::PaymentRepository;

type Store = Arc<dyn PaymentRepository>;

/// The Form3 sample reads back equal, attribute for attribute and string
/// for string ("5.00", "2.00000", "100.21").
pub async fn the_form3_sample_reads_back_string_for_string(store: Store) {
    let event = Payment::create(
        payment_id(),
        organisation(),
        form3_attributes(),
        instant(0, 0),
    );
    store.create(&event).await.expect("create");

    let stored = store
        .get(event.payment.organisation_id, event.payment.id)
        .await
        .expect("get")
        .expect("stored");

    assert_eq!(stored, event.payment);
    let json =
        serde_json::to_value(PaymentAttributesInput::from(&stored.attributes)).expect("serialise");
    assert_eq!(json, form3_attributes_json());
}

/// Decimal scale, every script of Unicode and microsecond timestamps
/// survive storage, in reads, lists and events alike.
pub async fn scale_unicode_and_microseconds_survive_storage(store: Store) {
    let input: PaymentAttributesInput = serde_json::from_value(serde_json::json!({
        "amount": "1.230",
        "currency": "BHD",
        "description": "Überweisung — 山田太郎 — Оплата — سداد — 🎹 \"quoted\" \\ back'slash",
        "payment_timestamp": "2024-02-29T23:59:59.999999Z",
        "fx": { "exchange_rate": "0.000001230", "original_amount": "1234567890123.45", "original_currency": "EUR" },
        "charges_information": { "sender_charges": [{ "amount": "0.10", "currency": "USD" }, { "amount": "5", "currency": "JPY" }] },
        "beneficiary_party": { "name": "Zoë O'Brien-Ñúñez", "account_type": 1 },
        "reference": "x".repeat(255)
    }))
    .expect("shape");
    let attributes = input.validate().expect("valid");
    let event = Payment::create(
        payment_id(),
        organisation(),
        attributes,
        instant(59, 999_999),
    );
    store.create(&event).await.expect("create");
    let org = event.payment.organisation_id;

    let read = store
        .get(org, event.payment.id)
        .await
        .expect("get")
        .expect("stored");
    let listed = store
        .list(org, crate::PageRequest::first(crate::PageSize::DEFAULT))
        .await
        .expect("list");
    let events = whole_history(&*store, org, event.payment.id).await;

    assert_eq!(read, event.payment);
    assert_eq!(listed.payments, vec![event.payment.clone()]);
    assert_eq!(events, Some(vec![event.clone()]));
    assert_eq!(PaymentAttributesInput::from(&read.attributes), input);
    assert_eq!(read.created_on.to_string(), "2024-01-01T00:00:59.999999Z");
}
