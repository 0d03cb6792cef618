//! Payment attributes in their wire form, borrowed from the payment: what
//! a response writes. The same JSON as [`PaymentAttributesInput`] made
//! from the same attributes, member for member and byte for byte, but
//! nothing is copied into a `String` first: text is written from where the
//! payment holds it, and amounts, currencies, dates and rates straight
//! from their `Display`. (Building the owned input form first was most of
//! what showing a payment cost.)
//!
//! [`PaymentAttributesInput`]: crate::PaymentAttributesInput

use std::fmt::Display;

use serde::{Serialize, Serializer};

use crate::attributes::{ChargesInformation, Fx, Party, PaymentAttributes, SponsorParty};
use crate::money::Money;
use crate::text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference};

/// `T` written as the JSON string of its `Display`, with no `String` made
/// on the way.
#[derive(Debug, Clone, Copy)]
pub struct Shown<T>(pub T);

impl<T: Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// `attributes` in the wire form; see the [module](self).
#[derive(Debug, Serialize)]
#[allow(missing_docs)] // each field is the Form3 attribute of the same name
pub struct PaymentAttributesView<'a> {
    amount: Shown<crate::Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    beneficiary_party: Option<PartyView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    charges_information: Option<ChargesInformationView<'a>>,
    currency: Shown<crate::Currency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    debtor_party: Option<PartyView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_to_end_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fx: Option<FxView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    numeric_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_purpose: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_scheme: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_timestamp: Option<Shown<&'a crate::Timestamp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_date: Option<Shown<&'a crate::Date>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheme_payment_sub_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheme_payment_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sponsor_party: Option<SponsorPartyView<'a>>,
}

impl<'a> From<&'a PaymentAttributes> for PaymentAttributesView<'a> {
    fn from(attributes: &'a PaymentAttributes) -> Self {
        Self {
            amount: Shown(attributes.money.amount()),
            beneficiary_party: attributes.beneficiary_party.as_ref().map(PartyView::from),
            charges_information: attributes
                .charges_information
                .as_ref()
                .map(ChargesInformationView::from),
            currency: Shown(attributes.money.currency()),
            debtor_party: attributes.debtor_party.as_ref().map(PartyView::from),
            description: text(attributes.description.as_ref()),
            end_to_end_reference: text(attributes.end_to_end_reference.as_ref()),
            fx: attributes.fx.as_ref().map(FxView::from),
            numeric_reference: attributes
                .numeric_reference
                .as_ref()
                .map(NumericReference::as_str),
            payment_id: text(attributes.payment_id.as_ref()),
            payment_purpose: text(attributes.payment_purpose.as_ref()),
            payment_scheme: text(attributes.payment_scheme.as_ref()),
            payment_timestamp: attributes.payment_timestamp.as_ref().map(Shown),
            payment_type: text(attributes.payment_type.as_ref()),
            processing_date: attributes.processing_date.as_ref().map(Shown),
            reference: text(attributes.reference.as_ref()),
            scheme_payment_sub_type: text(attributes.scheme_payment_sub_type.as_ref()),
            scheme_payment_type: text(attributes.scheme_payment_type.as_ref()),
            sponsor_party: attributes
                .sponsor_party
                .as_ref()
                .map(SponsorPartyView::from),
        }
    }
}

/// A beneficiary or debtor party in the wire form.
#[derive(Debug, Serialize)]
struct PartyView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_number_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_type: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_id_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

impl<'a> From<&'a Party> for PartyView<'a> {
    fn from(party: &'a Party) -> Self {
        Self {
            account_name: text(party.account_name.as_ref()),
            account_number: party.account_number.as_ref().map(AccountNumber::as_str),
            account_number_code: party
                .account_number_code
                .as_ref()
                .map(AccountNumberCode::code),
            account_type: party.account_type,
            address: text(party.address.as_ref()),
            bank_id: text(party.bank_id.as_ref()),
            bank_id_code: text(party.bank_id_code.as_ref()),
            name: text(party.name.as_ref()),
        }
    }
}

/// A sponsor party in the wire form.
#[derive(Debug, Serialize)]
struct SponsorPartyView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_id_code: Option<&'a str>,
}

impl<'a> From<&'a SponsorParty> for SponsorPartyView<'a> {
    fn from(party: &'a SponsorParty) -> Self {
        Self {
            account_number: party.account_number.as_ref().map(AccountNumber::as_str),
            bank_id: text(party.bank_id.as_ref()),
            bank_id_code: text(party.bank_id_code.as_ref()),
        }
    }
}

/// Charges information in the wire form.
#[derive(Debug, Serialize)]
struct ChargesInformationView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    bearer_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver_charges_amount: Option<Shown<crate::Amount>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver_charges_currency: Option<Shown<crate::Currency>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_charges: Option<Charges<'a>>,
}

impl<'a> From<&'a ChargesInformation> for ChargesInformationView<'a> {
    fn from(charges: &'a ChargesInformation) -> Self {
        Self {
            bearer_code: charges.bearer_code.as_ref().map(BearerCode::code),
            receiver_charges_amount: charges.receiver_charges.as_ref().map(amount),
            receiver_charges_currency: charges.receiver_charges.as_ref().map(currency),
            sender_charges: charges.sender_charges.as_deref().map(Charges),
        }
    }
}

/// The sender charges, each `{"amount", "currency"}`, written from the
/// list as it is.
#[derive(Debug)]
struct Charges<'a>(&'a [Money]);

impl Serialize for Charges<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Charge {
            amount: Shown<crate::Amount>,
            currency: Shown<crate::Currency>,
        }
        serializer.collect_seq(self.0.iter().map(|money| Charge {
            amount: amount(money),
            currency: currency(money),
        }))
    }
}

/// FX details in the wire form.
#[derive(Debug, Serialize)]
struct FxView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    contract_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exchange_rate: Option<Shown<&'a crate::ExchangeRate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_amount: Option<Shown<crate::Amount>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_currency: Option<Shown<crate::Currency>>,
}

impl<'a> From<&'a Fx> for FxView<'a> {
    fn from(fx: &'a Fx) -> Self {
        Self {
            contract_reference: text(fx.contract_reference.as_ref()),
            exchange_rate: fx.exchange_rate.as_ref().map(Shown),
            original_amount: fx.original.as_ref().map(amount),
            original_currency: fx.original.as_ref().map(currency),
        }
    }
}

fn text(value: Option<&crate::Text>) -> Option<&str> {
    value.map(crate::Text::as_str)
}

fn amount(money: &Money) -> Shown<crate::Amount> {
    Shown(money.amount())
}

fn currency(money: &Money) -> Shown<crate::Currency> {
    Shown(money.currency())
}
