//! The schemas of a payment's attributes, as
//! [`PaymentAttributesInput`](payments_domain::PaymentAttributesInput)
//! parses and the domain judges them. The input type is deliberately lax
//! (every problem is reported with its pointer, not refused by serde), so
//! these schemas state the domain's rules, not the input's shape; each
//! type here stands for the domain type of the same name.

use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use super::rules::{self, reference, schema, CurrencyCode};

/// The attributes of a new payment (`PaymentAttributes`).
pub(crate) struct Attributes;

/// A change to some attributes (`PaymentAttributesPatch`).
pub(crate) struct AttributesPatch;

/// A debtor or beneficiary (`Party`).
pub(crate) struct Party;

/// The sponsor (`SponsorParty`).
pub(crate) struct SponsorParty;

/// Charges (`ChargesInformation`).
pub(crate) struct ChargesInformation;

/// Foreign exchange (`Fx`).
pub(crate) struct Fx;

/// The members of both attribute sets; `pairs` adds, on create, that an
/// optional amount and its currency come together.
fn attribute_properties(generator: &mut SchemaGenerator, pairs: bool) -> Map<String, Value> {
    let mut charges = reference::<ChargesInformation>(generator);
    let mut fx = reference::<Fx>(generator);
    if pairs {
        charges["dependentRequired"] = both("receiver_charges_amount", "receiver_charges_currency");
        fx["dependentRequired"] = both("original_amount", "original_currency");
    }
    let party = reference::<Party>(generator);
    let properties = json!({
        "amount": rules::amount(),
        "beneficiary_party": party,
        "charges_information": charges,
        "currency": reference::<CurrencyCode>(generator),
        "debtor_party": party,
        "description": rules::description(),
        "end_to_end_reference": rules::text(),
        "fx": fx,
        "numeric_reference": rules::numeric_reference(),
        "payment_id": rules::text(),
        "payment_purpose": rules::text(),
        "payment_scheme": rules::text(),
        "payment_timestamp": rules::date_time(),
        "payment_type": rules::text(),
        "processing_date": rules::date(),
        "reference": rules::text(),
        "scheme_payment_sub_type": rules::text(),
        "scheme_payment_type": rules::text(),
        "sponsor_party": reference::<SponsorParty>(generator),
    });
    match properties {
        Value::Object(properties) => properties,
        _ => unreachable!("json! of an object is an object"),
    }
}

/// `dependentRequired` for two members that come together.
fn both(first: &str, second: &str) -> Value {
    json!({ first: [second], second: [first] })
}

component!(Attributes, "PaymentAttributes", |generator| {
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["amount", "currency"],
        "properties": attribute_properties(generator, true),
        "description": "The Form3 attribute set plus description and payment_timestamp. Only amount and currency are required. An amount has no more places than its currency's ISO 4217 minor units (the anyOf, by minor units).",
        "anyOf": rules::places_by_currency("amount", "currency"),
    }))
});

component!(AttributesPatch, "PaymentAttributesPatch", |generator| {
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": attribute_properties(generator, false),
        "description": "Only the attributes given change; objects merge member by member, sender_charges is replaced whole; null is refused.",
        "anyOf": rules::places_by_currency("amount", "currency"),
    }))
});

component!(Party, "Party", |_generator| {
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "account_name": rules::text(),
            "account_number": rules::account_number(),
            "account_number_code": rules::account_number_code(),
            "account_type": { "type": "integer", "minimum": 0, "maximum": u32::MAX },
            "address": rules::text(),
            "bank_id": rules::text(),
            "bank_id_code": rules::text(),
            "name": rules::text(),
        },
        "if": {
            "required": ["account_number_code"],
            "properties": { "account_number_code": { "const": payments_domain::AccountNumberCode::IBAN } },
        },
        "then": { "properties": { "account_number": { "pattern": rules::iban_pattern() } } },
        "description": "With account_number_code IBAN, the account number is shaped like an IBAN (country, two check digits, 11 to 30 letters or digits; the check digits are not verified).",
    }))
});

component!(SponsorParty, "SponsorParty", |_generator| {
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "account_number": rules::account_number(),
            "bank_id": rules::text(),
            "bank_id_code": rules::text(),
        },
    }))
});

component!(ChargesInformation, "ChargesInformation", |generator| {
    let currency = reference::<CurrencyCode>(generator);
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "bearer_code": rules::bearer_code(),
            "receiver_charges_amount": rules::amount(),
            "receiver_charges_currency": currency,
            "sender_charges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["amount", "currency"],
                    "properties": { "amount": rules::amount(), "currency": currency },
                    "anyOf": rules::places_by_currency("amount", "currency"),
                },
            },
        },
        "anyOf": rules::places_by_currency("receiver_charges_amount", "receiver_charges_currency"),
    }))
});

component!(Fx, "Fx", |generator| {
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "contract_reference": rules::text(),
            "exchange_rate": rules::exchange_rate(),
            "original_amount": rules::amount(),
            "original_currency": reference::<CurrencyCode>(generator),
        },
        "anyOf": rules::places_by_currency("original_amount", "original_currency"),
    }))
});
