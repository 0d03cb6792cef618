//! Identifiers and the version counter of a payment.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an already parsed UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Parses the hyphenated text form (`4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43`).
            ///
            /// # Errors
            /// A message naming what was wrong when `text` is not a UUID.
            pub fn parse(text: &str) -> Result<Self, String> {
                Uuid::try_parse(text)
                    .map(Self)
                    .map_err(|_| format!("{:?} is not a valid {} (expected a UUID)", text, $what))
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }
    };
}

uuid_id!(
    /// The id of a payment: a UUID, chosen by the client (Form3 contract) or
    /// by the id generator port (recorder contract). Never reused, not even
    /// after the payment is deleted.
    PaymentId,
    "payment id"
);

uuid_id!(
    /// The organisation that owns a payment. Every read and write is scoped
    /// to one organisation.
    OrganisationId,
    "organisation id"
);

/// The version of a payment: 0 when created, one more on every change.
/// Clients send it back to update or delete (optimistic concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(u64);

impl Version {
    /// The version of a newly created payment.
    pub const INITIAL: Version = Version(0);

    /// Wraps a version number read from storage or from a client.
    pub const fn new(number: u64) -> Self {
        Self(number)
    }

    /// The number itself.
    pub const fn number(self) -> u64 {
        self.0
    }

    /// The version that follows this one.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_id_round_trips_its_text_form() {
        let text = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";
        assert_eq!(PaymentId::parse(text).unwrap().to_string(), text);
    }

    #[test]
    fn malformed_ids_are_rejected_with_the_kind_of_id_named() {
        for bad in ["", "not-a-uuid", "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec4"] {
            let err = OrganisationId::parse(bad).unwrap_err();
            assert!(err.contains("organisation id"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn versions_count_up_from_zero() {
        assert_eq!(Version::INITIAL.number(), 0);
        assert_eq!(Version::INITIAL.next().next(), Version::new(2));
    }
}
