//! Payments, events and idempotency keys to and from DynamoDB items: the
//! only place that knows how a domain value is laid out in the table.
//!
//! The attributes are kept in the domain's storage form
//! ([`StoredAttributes`]) as JSON in one string attribute, with the format
//! number beside it (`attributes_format`; items written before formats
//! were recorded have none and read as format 0), rather than as a
//! DynamoDB map. Every decimal stays the string it was written as ("5.00"),
//! and reading checks the shape only, never today's rules, so what was
//! accepted once reads back for ever. A map would also tempt `N`, which
//! drops trailing zeros. The price: a map of strings is about 13% smaller
//! (1,432 bytes instead of 1,635 for the Form3 sample), but both bill the
//! same 2 write units and 1 read unit, and the table never filters or
//! projects inside a payment.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::{
    EventKind, IdempotencyKey, OrganisationId, Payment, PaymentAttributes, PaymentEvent, PaymentId,
    StorageFormat, StoredAttributes, Timestamp, Version,
};
use payments_ports::{RequestFingerprint, UsedKey};

use crate::keys;

/// A DynamoDB item, as the SDK holds it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// Why a domain value cannot be written as an item.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EncodeError {
    /// The listing sort key needs a non-negative time (the service's clock
    /// never gives an earlier one).
    #[error("payment {0} was created before 1970 and cannot be indexed for listing")]
    CreatedBeforeEpoch(PaymentId),
    /// The storage form's serialiser failed (it does not).
    #[error("payment attributes could not be serialised")]
    Attributes(#[from] serde_json::Error),
}

/// The attributes' storage form and its format, as two item attributes.
fn attributes_fields(
    attributes: &PaymentAttributes,
) -> Result<[(String, AttributeValue); 2], EncodeError> {
    Ok([
        (
            keys::ATTRIBUTES.to_owned(),
            s(serde_json::to_string(&StoredAttributes::from(attributes))?),
        ),
        (
            keys::ATTRIBUTES_FORMAT.to_owned(),
            AttributeValue::N(StorageFormat::CURRENT.number().to_string()),
        ),
    ])
}

/// The key of a payment item.
pub(crate) fn payment_key(id: PaymentId) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), s(keys::payment_pk(id))),
        (keys::SK.to_owned(), s(keys::PAYMENT_SK)),
    ])
}

/// The key of an event item.
pub(crate) fn event_key(id: PaymentId, version: Version) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), s(keys::payment_pk(id))),
        (keys::SK.to_owned(), s(keys::event_sk(version))),
    ])
}

/// The key of an idempotency item.
pub(crate) fn idempotency_key(organisation: OrganisationId, key: &IdempotencyKey) -> Item {
    HashMap::from([
        (
            keys::PK.to_owned(),
            s(keys::idempotency_pk(organisation, key)),
        ),
        (keys::SK.to_owned(), s(keys::IDEMPOTENCY_SK)),
    ])
}

/// A live payment item, with the listing and period index keys.
pub(crate) fn live_payment_item(payment: &Payment) -> Result<Item, EncodeError> {
    let listing = keys::listing_gsi1sk(payment.created_on, payment.id)
        .ok_or(EncodeError::CreatedBeforeEpoch(payment.id))?;
    let mut item = payment_key(payment.id);
    item.extend(payment_fields(payment));
    item.extend([
        (
            keys::GSI1PK.to_owned(),
            s(keys::organisation_gsi1pk(payment.organisation_id)),
        ),
        (keys::GSI1SK.to_owned(), s(listing)),
        (
            keys::GSI2SK.to_owned(),
            s(keys::period_gsi2sk(payment.reported_on(), payment.id)),
        ),
        (keys::STATUS.to_owned(), s(keys::LIVE)),
    ]);
    item.extend(attributes_fields(&payment.attributes)?);
    Ok(item)
}

/// The tombstone a deleted payment leaves: no index keys (so it drops out
/// of listings) and no attributes (the deletion event keeps them), only
/// what keeps its id taken and its history scoped to its organisation.
pub(crate) fn tombstone_item(deleted: &Payment) -> Item {
    let mut item = payment_key(deleted.id);
    item.extend(payment_fields(deleted));
    item.insert(keys::STATUS.to_owned(), s(keys::DELETED));
    item
}

/// An event item: what happened, when, and the payment right after.
pub(crate) fn event_item(event: &PaymentEvent) -> Result<Item, EncodeError> {
    let payment = &event.payment;
    let mut item = event_key(payment.id, payment.version);
    item.extend(payment_fields(payment));
    item.extend([
        (keys::KIND.to_owned(), s(event.kind.as_str())),
        (keys::OCCURRED_ON.to_owned(), micros(event.occurred_on)),
    ]);
    item.extend(attributes_fields(&payment.attributes)?);
    Ok(item)
}

/// An idempotency item. It names the payment rather than copying it: the
/// payment as first created is that payment's creation event, so replays
/// read it from there and every idempotent create writes less. It records
/// when the key was first used (which decides when it expires) and, for
/// DynamoDB's time to live, the second it expires at.
pub(crate) fn idempotency_item(
    organisation: OrganisationId,
    key: &IdempotencyKey,
    fingerprint: &RequestFingerprint,
    payment: PaymentId,
    first_used_on: Timestamp,
    expires_on: Timestamp,
) -> Item {
    let mut item = idempotency_key(organisation, key);
    item.extend([
        (keys::FINGERPRINT.to_owned(), s(fingerprint.as_str())),
        (keys::PAYMENT_ID.to_owned(), s(payment.to_string())),
        (keys::FIRST_USED_ON.to_owned(), micros(first_used_on)),
        (
            keys::EXPIRES_AT.to_owned(),
            // Time to live takes whole seconds; rounding up never deletes
            // a key before it expires.
            AttributeValue::N(seconds_rounded_up(expires_on).to_string()),
        ),
    ]);
    item
}

fn payment_fields(payment: &Payment) -> [(String, AttributeValue); 4] {
    [
        (
            keys::ORGANISATION_ID.to_owned(),
            s(payment.organisation_id.to_string()),
        ),
        (
            keys::VERSION.to_owned(),
            AttributeValue::N(payment.version.number().to_string()),
        ),
        (keys::CREATED_ON.to_owned(), micros(payment.created_on)),
        (keys::MODIFIED_ON.to_owned(), micros(payment.modified_on)),
    ]
}

/// A string attribute value.
pub(crate) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// Whole seconds since the Unix epoch, rounded up.
fn seconds_rounded_up(at: Timestamp) -> i64 {
    let micros = at.unix_micros();
    micros.div_euclid(1_000_000) + i64::from(micros.rem_euclid(1_000_000) > 0)
}

/// A number attribute value holding a version.
pub(crate) fn n(version: Version) -> AttributeValue {
    AttributeValue::N(version.number().to_string())
}

/// A number attribute value holding an instant, in microseconds.
pub(crate) fn micros(at: Timestamp) -> AttributeValue {
    AttributeValue::N(at.unix_micros().to_string())
}

/// A payment item as read back: live, or the tombstone of a deleted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredPayment {
    /// Readable, listable, changeable.
    Live(Box<Payment>),
    /// Deleted: only its owner and last version remain.
    Deleted {
        organisation_id: OrganisationId,
        version: Version,
    },
}

impl StoredPayment {
    /// What a refused change needs to know of it.
    pub(crate) fn state(&self) -> payments_ports::StoredVersion {
        match self {
            Self::Live(payment) => payments_ports::StoredVersion {
                organisation_id: payment.organisation_id,
                version: payment.version,
                live: true,
            },
            Self::Deleted {
                organisation_id,
                version,
            } => payments_ports::StoredVersion {
                organisation_id: *organisation_id,
                version: *version,
                live: false,
            },
        }
    }
}

impl StoredPayment {
    /// Reads a payment item.
    pub(crate) fn decode(item: &Item) -> Result<Self, String> {
        let id = payment_id_of(item)?;
        match string(item, keys::STATUS)? {
            keys::LIVE => Ok(Self::Live(Box::new(payment_of(item, id)?))),
            keys::DELETED => Ok(Self::Deleted {
                organisation_id: organisation_of(item)?,
                version: Version::new(number(item, keys::VERSION)?),
            }),
            other => Err(format!("unknown {} {other:?}", keys::STATUS)),
        }
    }
}

/// Reads an event item.
pub(crate) fn decode_event(item: &Item) -> Result<PaymentEvent, String> {
    let id = payment_id_of(item)?;
    Ok(PaymentEvent {
        kind: EventKind::parse(string(item, keys::KIND)?)?,
        occurred_on: timestamp(item, keys::OCCURRED_ON)?,
        payment: payment_of(item, id)?,
    })
}

/// What an idempotency item holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredIdempotency {
    /// The request that first used the key, and the payment it created.
    pub used: UsedKey,
    /// When the key was first used; `None` on items written before that was
    /// recorded, whose first use is their payment's creation.
    pub first_used_on: Option<Timestamp>,
}

impl StoredIdempotency {
    /// Reads an idempotency item.
    pub(crate) fn decode(item: &Item) -> Result<Self, String> {
        Ok(Self {
            used: UsedKey {
                fingerprint: RequestFingerprint::new(string(item, keys::FINGERPRINT)?),
                payment_id: PaymentId::parse(string(item, keys::PAYMENT_ID)?)?,
            },
            first_used_on: match item.get(keys::FIRST_USED_ON) {
                None => None,
                Some(_) => Some(timestamp(item, keys::FIRST_USED_ON)?),
            },
        })
    }
}

/// `PK/SK` of an item, to name it in error messages.
pub(crate) fn describe(item: &Item) -> String {
    let key = |name| {
        item.get(name)
            .and_then(|value| value.as_s().ok())
            .map_or("?", String::as_str)
    };
    format!("{}/{}", key(keys::PK), key(keys::SK))
}

fn payment_id_of(item: &Item) -> Result<PaymentId, String> {
    let pk = string(item, keys::PK)?;
    keys::parse_payment_pk(pk).ok_or_else(|| format!("{} {pk:?} names no payment", keys::PK))
}

fn organisation_of(item: &Item) -> Result<OrganisationId, String> {
    OrganisationId::parse(string(item, keys::ORGANISATION_ID)?)
}

fn payment_of(item: &Item, id: PaymentId) -> Result<Payment, String> {
    let format = if item.contains_key(keys::ATTRIBUTES_FORMAT) {
        let number = number(item, keys::ATTRIBUTES_FORMAT)?;
        u16::try_from(number)
            .map_err(|_| format!("{} is out of range", keys::ATTRIBUTES_FORMAT))
            .and_then(|number| StorageFormat::from_number(number).map_err(|e| e.to_string()))?
    } else {
        StorageFormat::UNRECORDED
    };
    // serde's messages may quote a value: keep only their category.
    let stored: StoredAttributes =
        serde_json::from_str(string(item, keys::ATTRIBUTES)?).map_err(|error| {
            format!(
                "{} do not have the shape of format {} ({:?} error)",
                keys::ATTRIBUTES,
                format.number(),
                error.classify()
            )
        })?;
    let attributes = stored.restore(format).map_err(|error| error.to_string())?;
    Ok(Payment {
        id,
        organisation_id: organisation_of(item)?,
        version: Version::new(number(item, keys::VERSION)?),
        created_on: timestamp(item, keys::CREATED_ON)?,
        modified_on: timestamp(item, keys::MODIFIED_ON)?,
        attributes,
    })
}

fn string<'a>(item: &'a Item, name: &str) -> Result<&'a str, String> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => Ok(text),
        Some(_) => Err(format!("{name} is not a string")),
        None => Err(format!("{name} is missing")),
    }
}

fn number_text<'a>(item: &'a Item, name: &str) -> Result<&'a str, String> {
    match item.get(name) {
        Some(AttributeValue::N(text)) => Ok(text),
        Some(_) => Err(format!("{name} is not a number")),
        None => Err(format!("{name} is missing")),
    }
}

fn number(item: &Item, name: &str) -> Result<u64, String> {
    let text = number_text(item, name)?;
    text.parse()
        .map_err(|_| format!("{name} is not a whole number"))
}

fn timestamp(item: &Item, name: &str) -> Result<Timestamp, String> {
    let text = number_text(item, name)?;
    let micros: i64 = text
        .parse()
        .map_err(|_| format!("{name} is not a count of microseconds"))?;
    Timestamp::from_unix_micros(micros).map_err(|error| format!("{name}: {error}"))
}

#[cfg(test)]
mod tests {
    use payments_ports::testkit::fixtures::{
        fingerprint, form3_attributes, idempotency_key as fresh_key, instant, organisation,
        payment_id,
    };

    use super::*;

    fn sample() -> PaymentEvent {
        Payment::create(
            payment_id(),
            organisation(),
            form3_attributes(),
            instant(0, 1),
        )
    }

    #[test]
    fn a_live_payment_reads_back_equal() {
        let created = sample();

        let item = live_payment_item(&created.payment).unwrap();

        assert_eq!(
            StoredPayment::decode(&item),
            Ok(StoredPayment::Live(Box::new(created.payment)))
        );
    }

    #[test]
    fn a_tombstone_keeps_owner_and_version_but_leaves_the_listing() {
        let deleted = sample().payment.delete(instant(1, 0)).payment;

        let item = tombstone_item(&deleted);

        assert!(!item.contains_key(keys::GSI1PK) && !item.contains_key(keys::GSI1SK));
        assert!(!item.contains_key(keys::GSI2SK));
        assert_eq!(
            StoredPayment::decode(&item),
            Ok(StoredPayment::Deleted {
                organisation_id: deleted.organisation_id,
                version: Version::new(1),
            })
        );
    }

    #[test]
    fn an_event_reads_back_equal() {
        let created = sample();
        let updated = created
            .payment
            .update(
                &payments_ports::testkit::fixtures::reference_patch("x"),
                instant(2, 0),
            )
            .unwrap();

        for event in [created, updated] {
            assert_eq!(decode_event(&event_item(&event).unwrap()), Ok(event));
        }
    }

    #[test]
    fn an_idempotency_item_reads_back_equal() {
        let (org, key, print, id) = (
            organisation(),
            fresh_key(),
            fingerprint("abc"),
            payment_id(),
        );

        let item = idempotency_item(org, &key, &print, id, instant(0, 1), instant(60, 1));

        assert_eq!(
            StoredIdempotency::decode(&item),
            Ok(StoredIdempotency {
                used: UsedKey {
                    fingerprint: print,
                    payment_id: id
                },
                first_used_on: Some(instant(0, 1)),
            })
        );
        // Time to live counts whole seconds: the key goes after 60.000001 s.
        assert_eq!(
            item.get(keys::EXPIRES_AT),
            Some(&AttributeValue::N("1704067261".into()))
        );
    }

    #[test]
    fn a_key_written_before_first_use_was_recorded_reads_without_it() {
        let mut item = idempotency_item(
            organisation(),
            &fresh_key(),
            &fingerprint("abc"),
            payment_id(),
            instant(0, 0),
            instant(60, 0),
        );
        item.remove(keys::FIRST_USED_ON);
        item.remove(keys::EXPIRES_AT);

        let stored = StoredIdempotency::decode(&item).unwrap();

        assert_eq!(stored.first_used_on, None);
    }

    #[test]
    fn a_payment_written_before_formats_were_recorded_reads_by_shape() {
        let mut item = live_payment_item(&sample().payment).unwrap();
        item.remove(keys::ATTRIBUTES_FORMAT);
        item.insert(
            keys::ATTRIBUTES.to_owned(),
            s(r#"{"amount":"7.5","currency":"HRK","reference":"an old one"}"#),
        );

        let Ok(StoredPayment::Live(payment)) = StoredPayment::decode(&item) else {
            panic!("a live payment expected");
        };

        assert_eq!(payment.attributes.money.to_string(), "7.5 HRK");
    }

    #[test]
    fn damaged_items_say_what_is_wrong() {
        let item = live_payment_item(&sample().payment).unwrap();
        let cases: [(&str, AttributeValue, &str); 7] = [
            (
                keys::ATTRIBUTES,
                s("{\"amount\":\"1\"}"),
                "attributes do not have the shape of format 1 (Data error)",
            ),
            (
                keys::ATTRIBUTES,
                s("{\"amount\":\"Jane\",\"currency\":\"GBP\"}"),
                "stored attributes cannot be read: amount is not a decimal number",
            ),
            (
                keys::ATTRIBUTES_FORMAT,
                AttributeValue::N("2".into()),
                "stored attributes cannot be read: storage format 2 is newer than this release reads (up to 1)",
            ),
            (keys::VERSION, s("1"), "version is not a number"),
            (
                keys::CREATED_ON,
                AttributeValue::N("1.5".into()),
                "created_on is not a count of microseconds",
            ),
            (keys::STATUS, s("archived"), "unknown status \"archived\""),
            (
                keys::PK,
                s("PAYMENT#nope"),
                "PK \"PAYMENT#nope\" names no payment",
            ),
        ];
        for (name, value, reason) in cases {
            let mut damaged = item.clone();
            damaged.insert(name.to_owned(), value);

            let error = StoredPayment::decode(&damaged).unwrap_err();

            assert_eq!(error, reason, "{name}");
        }
    }

    #[test]
    fn payments_created_before_1970_cannot_be_encoded() {
        let mut payment = sample().payment;
        payment.created_on = Timestamp::from_unix_micros(-1).unwrap();

        assert!(matches!(
            live_payment_item(&payment),
            Err(EncodeError::CreatedBeforeEpoch(_))
        ));
    }
}
