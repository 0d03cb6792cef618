//! The payment model: what a payment is, which values it may hold, and how
//! it changes. Pure: no I/O, no async, no clock. Time and ids are passed in.
//!
//! ```
//! use payments_domain::{OrganisationId, Payment, PaymentAttributesInput, PaymentId, Timestamp};
//!
//! let input = PaymentAttributesInput {
//!     amount: Some("100.21".into()),
//!     currency: Some("GBP".into()),
//!     reference: Some("Payment for Em's piano lessons".into()),
//!     ..Default::default()
//! };
//! let attributes = input.validate().expect("valid attributes");
//! let at = Timestamp::parse("2024-08-01T12:34:56Z").unwrap();
//! let created = Payment::create(
//!     PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap(),
//!     OrganisationId::parse("743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb").unwrap(),
//!     attributes,
//!     at,
//! );
//! assert_eq!(created.payment.version.number(), 0);
//! assert_eq!(created.payment.attributes.money.amount().to_string(), "100.21");
//!
//! // Every problem is reported at once, each with its attribute path.
//! let bad = PaymentAttributesInput {
//!     amount: Some("100.123".into()),
//!     currency: Some("Dollars".into()),
//!     ..Default::default()
//! };
//! let errors = bad.validate().unwrap_err();
//! assert_eq!(errors.errors()[0].path.to_string(), "attributes.currency");
//! ```
//!
//! Money is `rust_decimal`, never a float, and keeps the scale it was
//! written with ("5.00" stays "5.00"). See [`PaymentAttributes`] for which
//! attributes are required and why.
//!
//! # Judged on the way in, never on the way out
//!
//! Attributes meet today's rules once, where they come in:
//! [`PaymentAttributesInput::validate`] for a new payment, and
//! [`Payment::update`] for a change, which judges the members the client
//! sends and the rules that tie them to members it leaves alone (an
//! amount's places against the currency, an account number against its
//! code), never what it leaves alone. Stores keep the [`storage`] form,
//! which reads back by shape only, so a payment stored under rules that
//! have changed since (a withdrawn currency, a longer text) reads back
//! exactly and can still be updated.

pub mod attributes;
pub mod currency;
pub mod filter;
pub mod idempotency;
pub mod ids;
pub mod input;
pub mod money;
pub mod payment;
pub mod report;
pub mod storage;
pub mod text;
pub mod time;
pub mod validation;
pub mod view;

pub use attributes::{ChargesInformation, Fx, Party, PaymentAttributes, SponsorParty};
pub use currency::Currency;
pub use filter::{Bounds, PaymentFilter};
pub use idempotency::IdempotencyKey;
pub use ids::{OrganisationId, PaymentId, Version};
pub use input::PaymentAttributesInput;
pub use money::{Amount, ExchangeRate, Money};
pub use payment::{EventKind, Payment, PaymentEvent};
pub use storage::{StorageFormat, StoredAttributes, UnreadableAttributes};
pub use text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference, Text};
pub use time::{Date, Timestamp};
pub use validation::{
    push_pointer_index, push_pointer_member, FieldError, FieldPath, PathSegment, ValidationErrors,
};
pub use view::{InlineText, PaymentAttributesView, Shown, WireText};
