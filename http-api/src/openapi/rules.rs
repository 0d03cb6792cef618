//! JSON Schema fragments built from the rules the server judges by: the
//! domain's digit limit, free-text rule, ISO 4217 table and code lists.
//! Nothing here restates a rule by hand where the domain has it as data
//! or as a predicate.

use std::sync::LazyLock;

use payments_domain::input::{MAX_DESCRIPTION_CHARS, MAX_TEXT_CHARS};
use payments_domain::money::MAX_DIGITS;
use payments_domain::{
    AccountNumber, AccountNumberCode, BearerCode, Currency, NumericReference, Text,
};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

/// The end of every pattern: Python's `$` (schemathesis, many validators)
/// also matches before a final newline, which the server refuses.
const END: &str = r"(?!\n)$";

/// The largest integer every JSON reader holds exactly (2^53 − 1): the
/// limit of versions.
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The shape of a positive decimal numeral as the domain parses it (no
/// sign, no leading zero, at most [`MAX_DIGITS`] digits, the lone zero of
/// `0.25` not counted), with at most `places` decimal places (any number
/// when `None`).
pub(crate) fn amount_pattern(places: Option<u32>) -> String {
    let whole = format!("[1-9][0-9]{{0,{}}}", MAX_DIGITS - 1);
    if places == Some(0) {
        return format!("^{whole}{END}");
    }
    let fraction = places.map_or_else(|| "+".to_owned(), |places| format!("{{1,{places}}}"));
    let below_one = places.map_or(MAX_DIGITS, |places| places as usize);
    // Digits and the point: 3 ("1.5") to one more than the digits.
    format!(
        r"^(?:{whole}|(?=.{{3,{}}}$)[1-9][0-9]*\.[0-9]{fraction}|0\.(?=[0-9]{{1,{below_one}}}$)[0-9]*[1-9][0-9]*){END}",
        MAX_DIGITS + 1
    )
}

/// How the money members' description reads.
const MONEY_AMOUNT: &str = "A decimal above zero, of at most 28 digits, written with no more places than the currency's ISO 4217 minor units. Kept exactly as written.";

/// An amount of money as a decimal string.
pub(crate) fn amount() -> Value {
    json!({
        "type": "string",
        "pattern": amount_pattern(None),
        "description": MONEY_AMOUNT,
        "examples": ["100.21"],
    })
}

/// An exchange rate: any positive decimal.
pub(crate) fn exchange_rate() -> Value {
    json!({
        "type": "string",
        "pattern": amount_pattern(None),
        "description": "A decimal above zero of at most 28 digits, any scale, kept as written",
    })
}

/// A character class of every Basic Multilingual Plane character for
/// which `wanted` holds, as ranges (`\x00-\x1F\u061C...`). Characters
/// beyond it (U+1FFFE...) have no escape every pattern dialect reads.
fn class(wanted: impl Fn(char) -> bool) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0xFFFF_u32)
        .filter_map(char::from_u32)
        .filter(|c| wanted(*c))
    {
        let code = u32::from(c);
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == code => *last = code,
            _ => ranges.push((code, code)),
        }
    }
    let escape = |code: u32| {
        if code < 0x100 {
            format!(r"\x{code:02X}")
        } else {
            format!(r"\u{code:04X}")
        }
    };
    ranges
        .into_iter()
        .map(|(first, last)| match last - first {
            0 => escape(first),
            1 => format!("{}{}", escape(first), escape(last)),
            _ => format!("{}-{}", escape(first), escape(last)),
        })
        .collect()
}

/// Free text as [`Text::parse`] takes it: no character it refuses, and
/// not only blanks.
pub(crate) fn text_pattern() -> &'static str {
    static PATTERN: LazyLock<String> = LazyLock::new(|| {
        let refused = class(Text::refuses);
        let blank = class(|c| c.is_whitespace() && !Text::refuses(c));
        format!("^[^{refused}]*[^{refused}{blank}][^{refused}]*{END}")
    });
    &PATTERN
}

/// Free text of at most `max` characters.
pub(crate) fn text_of(max: usize) -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": max,
        "pattern": text_pattern(),
    })
}

/// Free text of the length every attribute but the description has.
pub(crate) fn text() -> Value {
    text_of(MAX_TEXT_CHARS)
}

/// A payment's or a record's description.
pub(crate) fn description() -> Value {
    text_of(MAX_DESCRIPTION_CHARS)
}

/// An account number, whatever its code.
pub(crate) fn account_number() -> Value {
    json!({
        "type": "string",
        "pattern": format!("^[A-Z0-9]{{1,{}}}{END}", AccountNumber::MAX_LEN),
    })
}

/// The IBAN shape an account number under code IBAN has.
pub(crate) fn iban_pattern() -> String {
    format!(
        "^[A-Z]{{2}}[0-9]{{2}}[A-Z0-9]{{{},{}}}{END}",
        AccountNumber::IBAN_MIN_LEN - 4,
        AccountNumber::MAX_LEN - 4
    )
}

/// The account number codes.
pub(crate) fn account_number_code() -> Value {
    json!({ "type": "string", "enum": [AccountNumberCode::IBAN, AccountNumberCode::BBAN] })
}

/// The charge bearer codes.
pub(crate) fn bearer_code() -> Value {
    json!({ "type": "string", "enum": BearerCode::ACCEPTED })
}

/// A numeric reference.
pub(crate) fn numeric_reference() -> Value {
    json!({
        "type": "string",
        "pattern": format!("^[0-9]{{1,{}}}{END}", NumericReference::MAX_DIGITS),
    })
}

/// A UUID.
pub(crate) fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

/// An RFC 3339 instant.
pub(crate) fn date_time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

/// A calendar date.
pub(crate) fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

/// A payment version.
pub(crate) fn version() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER })
}

/// The active ISO 4217 codes grouped by minor units, fewest places first.
fn by_minor_units() -> Vec<(u32, Vec<String>)> {
    let mut groups: Vec<(u32, Vec<String>)> = Vec::new();
    for currency in Currency::all() {
        let Some(places) = currency.minor_units() else {
            continue;
        };
        match groups.iter_mut().find(|(p, _)| *p == places) {
            Some((_, codes)) => codes.push(currency.code().to_owned()),
            None => groups.push((places, vec![currency.code().to_owned()])),
        }
    }
    groups.sort_by_key(|(places, _)| *places);
    groups
}

/// Each currency's places on one amount/currency pair of an object: one
/// `anyOf` branch per group of codes with the same minor units. A branch
/// says nothing when the pair is absent, so an object without it passes.
pub(crate) fn places_by_currency(amount: &str, currency: &str) -> Value {
    let branches: Vec<Value> = by_minor_units()
        .into_iter()
        .map(|(places, codes)| {
            json!({ "properties": {
                currency: { "enum": codes },
                amount: { "pattern": amount_pattern(Some(places)) },
            } })
        })
        .collect();
    Value::Array(branches)
}

/// The accepted currency codes, as the `Currency` component.
pub(crate) struct CurrencyCode;

component!(CurrencyCode, "Currency", |_generator| {
    let codes: Vec<String> = Currency::all()
        .map(|currency| currency.code().to_owned())
        .collect();
    json_schema!({
        "type": "string",
        "enum": codes,
        "description": "An active ISO 4217 code: the codes the server accepts, from the same table it judges by.",
        "examples": ["GBP"],
    })
});

/// `{"$ref": ...}` to `T`'s component, registering it.
pub(crate) fn reference<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// A schema from a JSON value built here.
///
/// # Panics
/// When `value` is neither an object nor a boolean: a bug in this module
/// that building the document shows at once.
pub(crate) fn schema(value: Value) -> Schema {
    Schema::try_from(value).expect("a schema is a JSON object")
}
