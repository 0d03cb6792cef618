//! The payment entity and its transitions: create, update, delete. Each
//! transition is a pure function of the current state, the request, and the
//! instant it happens at, and yields the event that records it.

use crate::attributes::PaymentAttributes;
use crate::ids::{OrganisationId, PaymentId, Version};
use crate::input::PaymentAttributesInput;
use crate::time::Timestamp;
use crate::validation::ValidationErrors;

/// A payment owned by one organisation, at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Its id.
    pub id: PaymentId,
    /// The organisation that owns it.
    pub organisation_id: OrganisationId,
    /// 0 at creation, one more on every change.
    pub version: Version,
    /// When it was created.
    pub created_on: Timestamp,
    /// When it last changed (equal to `created_on` until then).
    pub modified_on: Timestamp,
    /// What it says about the money.
    pub attributes: PaymentAttributes,
}

/// What happened to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The payment was created (version 0).
    Created,
    /// Some attributes changed.
    Updated,
    /// The payment was deleted; its history stays.
    Deleted,
}

impl EventKind {
    /// Every kind, in the order a payment's history can show them.
    pub const ALL: [EventKind; 3] = [Self::Created, Self::Updated, Self::Deleted];

    /// The lower-case name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }

    /// Reads a name written by [`EventKind::as_str`].
    ///
    /// # Errors
    /// A message when the name is not one of them.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "created" => Ok(Self::Created),
            "updated" => Ok(Self::Updated),
            "deleted" => Ok(Self::Deleted),
            _ => Err(format!("{name:?} is not an event kind")),
        }
    }
}

/// One entry of a payment's history: what happened, when, and the payment
/// as it was right after. Stores append it atomically with the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    /// What happened.
    pub kind: EventKind,
    /// When it happened.
    pub occurred_on: Timestamp,
    /// The payment as it was after the change (its version is the event's).
    pub payment: Payment,
}

impl PaymentEvent {
    /// The version the change produced.
    pub fn version(&self) -> Version {
        self.payment.version
    }
}

impl Payment {
    /// Creates a payment at version 0.
    ///
    /// Returns the creation event; the new payment is its `payment`.
    pub fn create(
        id: PaymentId,
        organisation_id: OrganisationId,
        attributes: PaymentAttributes,
        at: Timestamp,
    ) -> PaymentEvent {
        PaymentEvent {
            kind: EventKind::Created,
            occurred_on: at,
            payment: Payment {
                id,
                organisation_id,
                version: Version::INITIAL,
                created_on: at,
                modified_on: at,
                attributes,
            },
        }
    }

    /// Applies a partial update: the attributes `patch` gives replace the
    /// current ones, the rest stay. Objects (parties, charges, fx) merge
    /// member by member; the `sender_charges` list is replaced whole.
    /// `id`, `organisation_id` and `created_on` never change. The version
    /// goes up by one: it is derived from the current version rather than
    /// passed in, so no caller can skip or repeat one.
    ///
    /// The update judges what it changes, by today's rules: every member
    /// `patch` gives, and every rule that ties one of them to a member it
    /// leaves alone (a new amount against the stored currency, a new
    /// currency against the stored amount, a new account number code
    /// against the stored number). What it leaves alone is not judged
    /// again: a payment stored under rules that have changed since (a
    /// currency since withdrawn, a longer text than allowed today) can
    /// still have its reference changed.
    ///
    /// # Errors
    /// Every problem found, each at the path of the attribute it concerns.
    pub fn update(
        &self,
        patch: &PaymentAttributesInput,
        at: Timestamp,
    ) -> Result<PaymentEvent, ValidationErrors> {
        let attributes = patch.judge_change(&self.attributes)?;
        Ok(self.next(EventKind::Updated, attributes, at))
    }

    /// Deletes the payment. The event carries the payment as it was at
    /// deletion, at the next version, so the history keeps it.
    pub fn delete(&self, at: Timestamp) -> PaymentEvent {
        self.next(EventKind::Deleted, self.attributes.clone(), at)
    }

    fn next(&self, kind: EventKind, attributes: PaymentAttributes, at: Timestamp) -> PaymentEvent {
        PaymentEvent {
            kind,
            occurred_on: at,
            payment: Payment {
                version: self.version.next(),
                modified_on: at,
                attributes,
                ..self.clone()
            },
        }
    }
}
