//! Rows as stored, and their conversion to and from the domain's types.
//! Attributes are kept in the domain's storage form
//! ([`StoredAttributes`]) with the format they were written in, and read
//! back by shape only: a payment stored under rules that have changed since
//! reads back exactly. A row that does not have the shape is corrupt.

use chrono::{DateTime, Utc};
use payments_domain::{
    EventKind, OrganisationId, Payment, PaymentAttributes, PaymentEvent, PaymentId, StorageFormat,
    StoredAttributes, Timestamp, Version,
};
use payments_ports::{RequestFingerprint, StoreError, UsedKey};
use uuid::Uuid;

/// The columns that hold a payment, in `payments` and `payment_events`
/// alike (selected as [`crate::repository::PAYMENT_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    id: Uuid,
    organisation_id: Uuid,
    version: i64,
    created_on: DateTime<Utc>,
    modified_on: DateTime<Utc>,
    attributes: serde_json::Value,
    attributes_format: i16,
}

/// A row of `payment_events`: the payment's columns plus what happened.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    kind: String,
    occurred_on: DateTime<Utc>,
    #[sqlx(flatten)]
    payment: PaymentRow,
}

/// What a key row of `idempotency_keys` says of the key in force.
#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    fingerprint: String,
    payment_id: Uuid,
}

impl PaymentRow {
    /// The payment this row holds.
    pub(crate) fn into_payment(self) -> Result<Payment, StoreError> {
        let id = PaymentId::from_uuid(self.id);
        let version = stored_version(id, self.version)?;
        let attributes = read_attributes(id, self.attributes_format, self.attributes)?;
        Ok(Payment {
            id,
            organisation_id: OrganisationId::from_uuid(self.organisation_id),
            version,
            created_on: timestamp(self.created_on),
            modified_on: timestamp(self.modified_on),
            attributes,
        })
    }
}

impl EventRow {
    /// The event this row holds.
    pub(crate) fn into_event(self) -> Result<PaymentEvent, StoreError> {
        let id = PaymentId::from_uuid(self.payment.id);
        let kind = EventKind::parse(&self.kind)
            .map_err(|_| corrupt(id, "event kind is not created, updated or deleted"))?;
        Ok(PaymentEvent {
            kind,
            occurred_on: timestamp(self.occurred_on),
            payment: self.payment.into_payment()?,
        })
    }
}

impl From<KeyRow> for UsedKey {
    fn from(row: KeyRow) -> Self {
        Self {
            fingerprint: RequestFingerprint::new(row.fingerprint),
            payment_id: PaymentId::from_uuid(row.payment_id),
        }
    }
}

/// The attributes in their storage form, and the format number stored
/// beside them.
pub(crate) fn write_attributes(
    attributes: &PaymentAttributes,
) -> Result<(serde_json::Value, i16), StoreError> {
    // Serialising the storage form cannot fail; should it ever, that is a
    // bug, not a store outage.
    let document = serde_json::to_value(StoredAttributes::from(attributes))
        .map_err(|error| StoreError::Unexpected(Box::new(error)))?;
    let format = i16::try_from(StorageFormat::CURRENT.number())
        .map_err(|error| StoreError::Unexpected(Box::new(error)))?;
    Ok((document, format))
}

/// Reads stored attributes back by shape. Messages name the payment and
/// the member, never a value: values may be personal data and these
/// messages reach the logs.
fn read_attributes(
    id: PaymentId,
    format: i16,
    document: serde_json::Value,
) -> Result<PaymentAttributes, StoreError> {
    let format = u16::try_from(format)
        .map_err(|_| corrupt(id, "attributes_format is negative"))
        .and_then(|number| {
            StorageFormat::from_number(number)
                .map_err(|error| StoreError::corrupt_because(format!("payment {id}"), error))
        })?;
    let stored: StoredAttributes = serde_json::from_value(document).map_err(|error| {
        // serde's message may quote a value; keep only its category.
        corrupt(
            id,
            &format!(
                "attributes do not have the shape of format {} ({:?} error)",
                format.number(),
                error.classify()
            ),
        )
    })?;
    stored
        .restore(format)
        .map_err(|error| StoreError::corrupt_because(format!("payment {id}"), error))
}

/// PostgreSQL keeps microseconds and so does [`Timestamp`]: nothing is cut.
pub(crate) fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    Timestamp::from_clock(instant)
}

/// A version read from PostgreSQL's `bigint`.
pub(crate) fn stored_version(id: PaymentId, number: i64) -> Result<Version, StoreError> {
    u64::try_from(number)
        .map(Version::new)
        .map_err(|_| corrupt(id, "version is negative"))
}

/// A version as PostgreSQL's `bigint`.
pub(crate) fn version_number(version: Version) -> Result<i64, StoreError> {
    // 2^63 changes to one payment cannot happen; if a caller invents such a
    // version it is a bug to report, not data to store.
    i64::try_from(version.number()).map_err(|error| StoreError::Unexpected(Box::new(error)))
}

fn corrupt(id: PaymentId, problem: &str) -> StoreError {
    StoreError::corrupt(format!("payment {id}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(attributes: serde_json::Value, attributes_format: i16) -> PaymentRow {
        PaymentRow {
            id: Uuid::nil(),
            organisation_id: Uuid::nil(),
            version: 0,
            created_on: DateTime::UNIX_EPOCH,
            modified_on: DateTime::UNIX_EPOCH,
            attributes,
            attributes_format,
        }
    }

    fn detail(error: &StoreError) -> String {
        payments_ports::error_chain(error)
    }

    #[test]
    fn attributes_stored_under_older_rules_read_back_as_stored() {
        let json = serde_json::json!({ "amount": "1.234", "currency": "HRK", "reference": "x".repeat(300) });

        let payment = row(json, 0).into_payment().unwrap();

        assert_eq!(payment.attributes.money.to_string(), "1.234 HRK");
        assert_eq!(
            payment.attributes.reference.map(|r| r.as_str().len()),
            Some(300)
        );
    }

    #[test]
    fn documents_of_another_shape_are_corrupt_and_say_so_without_their_values() {
        let cases = [
            (
                row(serde_json::json!({ "amount": 5, "currency": "GBP", "name": "Jane Doe" }), 1),
                "stored payment data is corrupt: payment 00000000-0000-0000-0000-000000000000: attributes do not have the shape of format 1 (Data error)",
            ),
            (
                row(serde_json::json!({ "amount": "5", "currency": "GBP" }), 2),
                "stored payment data is corrupt: payment 00000000-0000-0000-0000-000000000000: stored attributes cannot be read: storage format 2 is newer than this release reads (up to 1)",
            ),
            (
                row(serde_json::json!({ "amount": "Jane", "currency": "GBP" }), 1),
                "stored payment data is corrupt: payment 00000000-0000-0000-0000-000000000000: stored attributes cannot be read: amount is not a decimal number",
            ),
        ];
        for (row, expected) in cases {
            let error = row.into_payment().unwrap_err();
            assert_eq!(detail(&error), expected);
        }
    }

    #[test]
    fn a_negative_version_is_corrupt() {
        let mut damaged = row(
            serde_json::json!({ "amount": "1.00", "currency": "GBP" }),
            1,
        );
        damaged.version = -1;

        let error = damaged.into_payment().unwrap_err();

        assert_eq!(
            detail(&error),
            "stored payment data is corrupt: payment 00000000-0000-0000-0000-000000000000: version is negative"
        );
    }
}
