//! The attributes of a payment, as value objects.

use crate::money::{ExchangeRate, Money};
use crate::text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference, Text};
use crate::time::{Date, Timestamp};

/// Everything a payment says about the money it moves: the Form3 attribute
/// set plus the recorder's `description` and `payment_timestamp`.
///
/// Only the amount and its currency are required. Every other attribute is
/// optional because the recorder contract records payments that have
/// nothing but an amount, a currency, a description and a timestamp, and
/// both contracts share this one model.
///
/// Attributes come into being two ways, and only two:
/// - from a client, through [`PaymentAttributesInput::validate`] (a new
///   payment) or [`Payment::update`](crate::Payment::update) (a change),
///   which hold what the client sends to today's rules;
/// - from a store, through [`StoredAttributes::restore`], which checks only
///   the shape of what was stored: a payment accepted once reads back
///   exactly, whatever the rules have become since.
///
/// They have no serde form of their own: the wire form is
/// [`PaymentAttributesInput`] and the storage form [`StoredAttributes`],
/// so neither can change the other by accident.
///
/// [`PaymentAttributesInput`]: crate::PaymentAttributesInput
/// [`PaymentAttributesInput::validate`]: crate::PaymentAttributesInput::validate
/// [`StoredAttributes`]: crate::StoredAttributes
/// [`StoredAttributes::restore`]: crate::StoredAttributes::restore
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAttributes {
    /// `amount` and `currency`.
    pub money: Money,
    /// Who receives the money.
    pub beneficiary_party: Option<Party>,
    /// Who pays which charges.
    pub charges_information: Option<ChargesInformation>,
    /// Who sends the money.
    pub debtor_party: Option<Party>,
    /// Free text describing the payment (recorder `paymentDescription`).
    pub description: Option<Text>,
    /// The reference that travels with the payment from end to end.
    pub end_to_end_reference: Option<Text>,
    /// The currency exchange behind the payment.
    pub fx: Option<Fx>,
    /// A digits-only reference.
    pub numeric_reference: Option<NumericReference>,
    /// The payment's id in the scheme.
    pub payment_id: Option<Text>,
    /// Why the payment is made.
    pub payment_purpose: Option<Text>,
    /// The scheme that carries the payment (`FPS`).
    pub payment_scheme: Option<Text>,
    /// When the payment happened (recorder `paymentTimestamp`).
    pub payment_timestamp: Option<Timestamp>,
    /// `Credit` or another scheme payment type.
    pub payment_type: Option<Text>,
    /// The day the payment is processed.
    pub processing_date: Option<Date>,
    /// The reference the beneficiary sees.
    pub reference: Option<Text>,
    /// Scheme-specific sub type (`InternetBanking`).
    pub scheme_payment_sub_type: Option<Text>,
    /// Scheme-specific type (`ImmediatePayment`).
    pub scheme_payment_type: Option<Text>,
    /// The bank that sponsors the payment.
    pub sponsor_party: Option<SponsorParty>,
}

impl PaymentAttributes {
    /// Attributes with only an amount in a currency.
    pub fn new(money: Money) -> Self {
        Self {
            money,
            beneficiary_party: None,
            charges_information: None,
            debtor_party: None,
            description: None,
            end_to_end_reference: None,
            fx: None,
            numeric_reference: None,
            payment_id: None,
            payment_purpose: None,
            payment_scheme: None,
            payment_timestamp: None,
            payment_type: None,
            processing_date: None,
            reference: None,
            scheme_payment_sub_type: None,
            scheme_payment_type: None,
            sponsor_party: None,
        }
    }
}

/// A beneficiary or debtor: an account holder at a bank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// The name on the account.
    pub account_name: Option<Text>,
    /// The account number.
    pub account_number: Option<AccountNumber>,
    /// How the account number is written.
    pub account_number_code: Option<AccountNumberCode>,
    /// The account type as a number (Form3: 0 for a personal account).
    pub account_type: Option<u32>,
    /// The holder's address.
    pub address: Option<Text>,
    /// The bank's id (a sort code for `GBDSC`).
    pub bank_id: Option<Text>,
    /// The kind of bank id (`GBDSC`).
    pub bank_id_code: Option<Text>,
    /// The holder's full name.
    pub name: Option<Text>,
}

/// The bank sponsoring a payment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SponsorParty {
    /// The sponsor's account number.
    pub account_number: Option<AccountNumber>,
    /// The sponsor's bank id.
    pub bank_id: Option<Text>,
    /// The kind of bank id.
    pub bank_id_code: Option<Text>,
}

/// Who pays the charges, and how much they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChargesInformation {
    /// Who bears the charges.
    pub bearer_code: Option<BearerCode>,
    /// What the receiver is charged (`receiver_charges_amount` and
    /// `receiver_charges_currency`).
    pub receiver_charges: Option<Money>,
    /// What the sender is charged, each in its own currency.
    pub sender_charges: Option<Vec<Money>>,
}

/// The currency exchange behind a payment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fx {
    /// The FX contract's reference.
    pub contract_reference: Option<Text>,
    /// The rate applied.
    pub exchange_rate: Option<ExchangeRate>,
    /// The amount before exchange (`original_amount`, `original_currency`).
    pub original: Option<Money>,
}
