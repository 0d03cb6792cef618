//! Rows as stored, and their conversion to and from the domain's types.
//! Everything read goes back through the domain's parsers, so a row that
//! breaks the model is reported as corrupt instead of being served.

use chrono::{DateTime, Utc};
use payments_domain::{
    EventKind, OrganisationId, Payment, PaymentAttributes, PaymentAttributesInput, PaymentEvent,
    PaymentId, Timestamp, Version,
};
use payments_ports::RepositoryError;
use uuid::Uuid;

/// The columns that hold a payment, in `payments`, `payment_events` and
/// `idempotency_keys` alike (selected as `id, organisation_id, version,
/// created_on, modified_on, attributes`).
#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    id: Uuid,
    organisation_id: Uuid,
    version: i64,
    created_on: DateTime<Utc>,
    modified_on: DateTime<Utc>,
    attributes: serde_json::Value,
}

/// A row of `payment_events`: the payment's columns plus what happened.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    kind: String,
    occurred_on: DateTime<Utc>,
    #[sqlx(flatten)]
    payment: PaymentRow,
}

impl PaymentRow {
    /// The payment this row holds.
    pub(crate) fn into_payment(self) -> Result<Payment, RepositoryError> {
        let id = PaymentId::from_uuid(self.id);
        // Messages name the payment id and the column, never a value: values
        // may be personal data and these messages reach the logs.
        let version = stored_version(id, self.version)?;
        let attributes = attributes_from_json(self.attributes)
            .map_err(|problem| corrupt(id, &format!("attributes {problem}")))?;
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
    pub(crate) fn into_event(self) -> Result<PaymentEvent, RepositoryError> {
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

/// The attributes in their stored form: the domain's serde form, which is
/// the Form3 attribute JSON with every decimal written as a string, so scale
/// survives ("5.00" stays "5.00").
pub(crate) fn attributes_to_json(
    attributes: &PaymentAttributes,
) -> Result<serde_json::Value, RepositoryError> {
    // Serialising a validated value cannot fail today; should the domain
    // ever make it fail, that is a bug, not a store outage.
    serde_json::to_value(attributes).map_err(|error| RepositoryError::Unexpected(Box::new(error)))
}

/// Reads stored attributes back, through the same validation as a client's
/// request.
fn attributes_from_json(json: serde_json::Value) -> Result<PaymentAttributes, String> {
    // serde's messages can quote the offending value, so only the kind of
    // failure is kept; validation problems are reported by path alone.
    let input: PaymentAttributesInput = serde_json::from_value(json)
        .map_err(|_| "do not have the shape of payment attributes".to_owned())?;
    input.validate().map_err(|errors| {
        let paths: Vec<String> = errors
            .errors()
            .iter()
            .map(|error| error.path.to_string())
            .collect();
        format!("are invalid at {}", paths.join(", "))
    })
}

/// PostgreSQL keeps microseconds and so does [`Timestamp`]: nothing is cut.
fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    Timestamp::from_clock(instant)
}

/// A version read from PostgreSQL's `bigint`.
pub(crate) fn stored_version(id: PaymentId, number: i64) -> Result<Version, RepositoryError> {
    u64::try_from(number)
        .map(Version::new)
        .map_err(|_| corrupt(id, "version is negative"))
}

/// A version as PostgreSQL's `bigint`.
pub(crate) fn version_number(version: Version) -> Result<i64, RepositoryError> {
    // 2^63 changes to one payment cannot happen; if a caller invents such a
    // version it is a bug to report, not data to store.
    i64::try_from(version.number()).map_err(|error| RepositoryError::Unexpected(Box::new(error)))
}

fn corrupt(id: PaymentId, problem: &str) -> RepositoryError {
    RepositoryError::Corrupt(format!("payment {id}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_that_break_the_model_are_reported_by_path_without_their_values() {
        let json =
            serde_json::json!({ "amount": "1.234", "currency": "GBP", "reference": "Jane Doe" });

        let problem = attributes_from_json(json).unwrap_err();

        assert!(problem.contains("attributes.amount"), "{problem}");
        assert!(!problem.contains("1.234"), "{problem}");
    }

    #[test]
    fn json_of_another_shape_is_reported_without_its_values() {
        let json = serde_json::json!({ "amount": 5, "currency": "GBP", "name": "Jane Doe" });

        let problem = attributes_from_json(json).unwrap_err();

        assert!(!problem.contains("Jane"), "{problem}");
    }

    #[test]
    fn a_negative_version_is_corrupt() {
        let row = PaymentRow {
            id: Uuid::nil(),
            organisation_id: Uuid::nil(),
            version: -1,
            created_on: DateTime::UNIX_EPOCH,
            modified_on: DateTime::UNIX_EPOCH,
            attributes: serde_json::json!({ "amount": "1.00", "currency": "GBP" }),
        };

        let result = row.into_payment();

        assert!(
            matches!(&result, Err(RepositoryError::Corrupt(message)) if message.contains("version")),
            "{result:?}"
        );
    }
}
