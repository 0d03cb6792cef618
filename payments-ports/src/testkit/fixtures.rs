//! Payments and ids for the contract tests.

use payments_domain::{
    IdempotencyKey, OrganisationId, Payment, PaymentAttributes, PaymentAttributesInput,
    PaymentEvent, PaymentId, Timestamp,
};
use uuid::Uuid;

use crate::repository::{
    HistoryRequest, IdempotencyClaim, KeyRetention, PageSize, PaymentRepository, RequestFingerprint,
};

/// The public Form3 sample payment document: the one constant over its one
/// file, for every crate above the domain (the domain's own tests and
/// benches read the same file).
pub const FORM3_SAMPLE: &str = include_str!("../../../tests/data/form3-sample-payment.json");

/// A UUID no other test uses, so suites may share one database.
#[allow(clippy::disallowed_methods)] // fixtures, not the core: ids must differ between tests
pub fn fresh_uuid() -> Uuid {
    Uuid::new_v4()
}

/// An organisation no other test uses.
pub fn organisation() -> OrganisationId {
    OrganisationId::from_uuid(fresh_uuid())
}

/// A payment id no other test uses.
pub fn payment_id() -> PaymentId {
    PaymentId::from_uuid(fresh_uuid())
}

/// An idempotency key no other test uses.
pub fn idempotency_key() -> IdempotencyKey {
    IdempotencyKey::parse(&format!("key-{}", fresh_uuid())).expect("a valid key")
}

/// A request fingerprint.
pub fn fingerprint(text: &str) -> RequestFingerprint {
    RequestFingerprint::new(text)
}

/// An instant `seconds` after 2024-01-01T00:00:00Z, plus `micros`.
pub fn instant(seconds: i64, micros: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_704_067_200_000_000 + seconds * 1_000_000 + micros)
        .expect("in range")
}

/// The attributes of the Form3 sample, as JSON.
pub fn form3_attributes_json() -> serde_json::Value {
    let document: serde_json::Value =
        serde_json::from_str(FORM3_SAMPLE).expect("the sample is JSON");
    document["data"]["attributes"].clone()
}

/// The attributes of the Form3 sample.
pub fn form3_attributes() -> PaymentAttributes {
    let input: PaymentAttributesInput =
        serde_json::from_value(form3_attributes_json()).expect("sample shape");
    input.validate().expect("the sample is valid")
}

/// Small attributes: `amount` in `currency`.
pub fn attributes(amount: &str, currency: &str) -> PaymentAttributes {
    PaymentAttributesInput {
        amount: Some(amount.into()),
        currency: Some(currency.into()),
        ..Default::default()
    }
    .validate()
    .expect("valid attributes")
}

/// The creation event of a small payment in `organisation` at `at`.
pub fn created(organisation: OrganisationId, at: Timestamp) -> PaymentEvent {
    Payment::create(payment_id(), organisation, attributes("10.00", "GBP"), at)
}

/// Creates every one of `events` in `store`, sixteen at a time.
///
/// # Panics
/// When a create fails.
pub async fn create_all(store: &std::sync::Arc<dyn PaymentRepository>, events: Vec<PaymentEvent>) {
    use futures::{stream, StreamExt as _, TryStreamExt as _};
    stream::iter(events)
        .map(|event| {
            let store = store.clone();
            async move { store.create(&event).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await
        .expect("create");
}

/// A claim of `key` for the request `fingerprint`, kept for the default
/// retention.
pub fn claim(key: &IdempotencyKey, fingerprint: &str) -> IdempotencyClaim {
    IdempotencyClaim {
        key: key.clone(),
        fingerprint: RequestFingerprint::new(fingerprint),
        retention: KeyRetention::DEFAULT,
    }
}

/// The whole history of a payment, read page by page (`None` when the
/// organisation never had it). Checks on the way that pages follow one
/// another: each starts where the last one said.
pub async fn whole_history(
    store: &dyn PaymentRepository,
    organisation: OrganisationId,
    id: PaymentId,
) -> Option<Vec<PaymentEvent>> {
    let mut events: Vec<PaymentEvent> = Vec::new();
    let mut request = HistoryRequest::first(PageSize::new(100).expect("size"));
    loop {
        let page = store
            .events(organisation, id, request)
            .await
            .expect("events")?;
        events.extend(page.events);
        match page.next {
            Some(next) => {
                assert_eq!(events.last().map(PaymentEvent::version), Some(next));
                request.after = Some(next);
            }
            None => return Some(events),
        }
    }
}

/// A patch that sets the reference.
pub fn reference_patch(reference: &str) -> PaymentAttributesInput {
    PaymentAttributesInput {
        reference: Some(reference.into()),
        ..Default::default()
    }
}
