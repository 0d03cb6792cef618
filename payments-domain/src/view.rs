//! Payment attributes in their wire form, borrowed from the payment: what
//! a response writes. The same JSON as [`PaymentAttributesInput`] made
//! from the same attributes, member for member and byte for byte, but
//! nothing is copied into a `String` first: text is written from where the
//! payment holds it, and amounts, currencies, dates and rates from their
//! [`WireText`], made on the stack. (Building the owned input form first
//! was most of what showing a payment cost.)
//!
//! [`PaymentAttributesInput`]: crate::PaymentAttributesInput

use std::fmt;

use serde::{Serialize, Serializer};

use crate::attributes::{ChargesInformation, Fx, Party, PaymentAttributes, SponsorParty};
use crate::money::Money;
use crate::text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference};

/// `T` written as the JSON string of its [`WireText`], with no `String`
/// made on the way.
#[derive(Debug, Clone, Copy)]
pub struct Shown<T>(pub T);

impl<T: WireText> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.wire_text().as_str())
    }
}

/// A value's text on the wire, the same as its `Display` writes, made on
/// the stack without a formatter: a response writes a few timestamps and
/// amounts, and going through `fmt` for each cost a Form3 document about
/// 500 of its 21,800 instructions.
pub trait WireText {
    /// The text.
    fn wire_text(&self) -> InlineText;
}

impl<T: WireText + ?Sized> WireText for &T {
    fn wire_text(&self) -> InlineText {
        (**self).wire_text()
    }
}

/// Text of at most [`InlineText::CAPACITY`] bytes, held in place: room
/// for any timestamp chrono can hold, any `Decimal`, any currency code.
#[derive(Clone, Copy)]
pub struct InlineText {
    bytes: [u8; InlineText::CAPACITY],
    start: u8,
    end: u8,
}

impl InlineText {
    /// The most bytes it holds.
    pub const CAPACITY: usize = 40;

    /// No text, to write into ([`fmt::Write`]).
    pub const fn new() -> Self {
        Self {
            bytes: [0; Self::CAPACITY],
            start: 0,
            end: 0,
        }
    }

    /// `text`, cut at [`InlineText::CAPACITY`] bytes (at a character's
    /// boundary) when it is longer.
    pub fn of(text: &str) -> Self {
        let mut end = text.len().min(Self::CAPACITY);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..end].copy_from_slice(&text.as_bytes()[..end]);
        Self::ascii(bytes, 0, end)
    }

    /// The text at `bytes[start..end]`, written in place by the crate's
    /// own writers: ASCII only (anything else shows as no text).
    pub(crate) fn ascii(bytes: [u8; Self::CAPACITY], start: usize, end: usize) -> Self {
        let narrow = |at: usize| u8::try_from(at.min(Self::CAPACITY)).unwrap_or(0);
        let end = narrow(end);
        Self {
            bytes,
            start: narrow(start).min(end),
            end,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        let text = &self.bytes[usize::from(self.start)..usize::from(self.end)];
        // Only whole characters are ever written in.
        std::str::from_utf8(text).unwrap_or_default()
    }
}

impl Default for InlineText {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for InlineText {
    /// Appends `text`; an error, appending nothing, when it does not fit.
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let at = usize::from(self.end);
        let end = at + text.len();
        let slot = self.bytes.get_mut(at..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(text.as_bytes());
        self.end = u8::try_from(end).map_err(|_| fmt::Error)?;
        Ok(())
    }
}

impl fmt::Debug for InlineText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn inline_text_holds_whole_characters_up_to_its_capacity() {
        assert_eq!(InlineText::of("GBP").as_str(), "GBP");
        // 39 ASCII bytes and a two-byte character: the character is cut.
        let long = format!("{}é", "a".repeat(39));
        assert_eq!(InlineText::of(&long).as_str(), "a".repeat(39));

        let mut written = InlineText::new();
        assert_eq!(write!(written, "{}", "b".repeat(40)), Ok(()));
        assert_eq!(write!(written, "c"), Err(fmt::Error));
        assert_eq!(written.as_str(), "b".repeat(40));
    }
}
