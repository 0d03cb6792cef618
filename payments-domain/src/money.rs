//! Amounts of money: exact decimals, never floats.

use std::fmt;

use rust_decimal::Decimal;

use crate::currency::Currency;
use crate::view::{InlineText, WireText};

/// The most digits a decimal may be written with, not counting the lone
/// zero of `0.25`.
pub const MAX_DIGITS: usize = 28;

/// Parses a plain decimal numeral (`"100.21"`, `"5"`, `"0.070"`): ASCII
/// digits with at most one `.` between digits. Scientific notation, signs,
/// spaces, underscores, leading zeros and a bare `.5` or `5.` are refused, so what is stored
/// is exactly what was written and prints back the same.
fn parse_numeral(text: &str, what: &str) -> Result<Decimal, String> {
    if let Some(rest) = text.strip_prefix('-') {
        if !rest.is_empty() {
            return Err(format!("{what} must be greater than zero, got {text:?}"));
        }
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(format!(
            "{what} must be a decimal number such as \"100.21\", got {text:?}"
        ));
    }
    if whole.len() > 1 && whole.starts_with('0') {
        return Err(format!("{what} must not start with a zero, got {text:?}"));
    }
    // Digits as written, but the lone zero of `0.25`: the rule the OpenAPI
    // document states by pattern, a little inside what a decimal holds
    // (29 digits below 7.9 × 10^28), so it is the same for every number.
    let digits = usize::from(whole != "0") * whole.len() + fraction.map_or(0, str::len);
    if digits > MAX_DIGITS {
        return Err(format!(
            "{what} {text:?} has too many digits (at most {MAX_DIGITS})"
        ));
    }
    Decimal::from_str_exact(text)
        .map_err(|_| format!("{what} {text:?} has too many digits (at most {MAX_DIGITS})"))
}

/// A stored decimal, read exactly (scale kept), with no rule on its sign or
/// its digits beyond being a number.
fn stored_decimal(text: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(text).map_err(|_| "is not a decimal number".to_owned())
}

/// A positive amount with the decimal places it was written with:
/// `"5.00"` stays `"5.00"`. Whether the places suit a currency is checked
/// by [`Money`], which pairs an amount with its currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount(Decimal);

impl Amount {
    /// Parses a positive decimal numeral, keeping its scale.
    ///
    /// # Errors
    /// A message when the text is not a plain decimal numeral, or is zero or
    /// negative.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::new(parse_numeral(text, "amount")?)
    }

    /// Wraps a decimal that must be greater than zero.
    ///
    /// # Errors
    /// A message when `value` is zero or negative.
    pub fn new(value: Decimal) -> Result<Self, String> {
        if value > Decimal::ZERO {
            Ok(Self(value))
        } else {
            Err(format!("amount must be greater than zero, got \"{value}\""))
        }
    }

    /// An amount as it was stored: any decimal numeral, judged by no rule
    /// of today's (a stored amount was accepted when it was written).
    ///
    /// # Errors
    /// A message when the text is not a decimal numeral at all.
    pub fn from_stored(text: &str) -> Result<Self, String> {
        stored_decimal(text).map(Self)
    }

    /// The decimal value, with its scale.
    pub fn value(&self) -> Decimal {
        self.0
    }

    /// How many decimal places it was written with.
    pub fn scale(&self) -> u32 {
        self.0.scale()
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(&self.0, f)
    }
}

impl WireText for Amount {
    fn wire_text(&self) -> InlineText {
        decimal_text(&self.0)
    }
}

/// `value` as [`decimal_text`] has it; with a width or precision asked
/// for, as `Decimal` writes it.
fn write_decimal(value: &Decimal, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if f.width().is_some() || f.precision().is_some() {
        return fmt::Display::fmt(value, f);
    }
    f.write_str(decimal_text(value).as_str())
}

/// `value` exactly as `Decimal` writes it (every digit of its scale, `0.`
/// before a fraction of one, `-` when negative), by hand: every payment
/// shown writes several amounts, and `Decimal`'s own writer was most of
/// the time spent on them.
fn decimal_text(value: &Decimal) -> InlineText {
    // A mantissa has at most 29 digits, and a scale is at most 28: room
    // for the digits, a leading `0`, the point and the sign.
    let mut text = [0_u8; InlineText::CAPACITY];
    let mut at = text.len();
    let scale = value.scale() as usize;
    let mantissa = value.mantissa().unsigned_abs();
    let mut written = 0;
    let mut digit = |digit: u8, written: &mut usize| {
        if *written == scale && scale > 0 {
            at -= 1;
            text[at] = b'.';
        }
        at -= 1;
        text[at] = b'0' + digit;
        *written += 1;
    };
    // Division of a u128 is a call into the runtime for each digit: only
    // the digits beyond a u64 are taken so (every amount a payment holds
    // fits a u64, and has none).
    let mut wide = mantissa;
    let mut rest = loop {
        if let Ok(narrow) = u64::try_from(wide) {
            break narrow;
        }
        digit((wide % 10) as u8, &mut written);
        wide /= 10;
    };
    while rest > 0 || written <= scale {
        digit((rest % 10) as u8, &mut written);
        rest /= 10;
    }
    if value.is_sign_negative() {
        at -= 1;
        text[at] = b'-';
    }
    InlineText::ascii(text, at, InlineText::CAPACITY)
}

/// An amount in a currency, with no more decimal places than the currency's
/// minor units allow (GBP 2, JPY 0, BHD 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Amount,
    currency: Currency,
}

impl Money {
    /// Pairs an amount with its currency.
    ///
    /// # Errors
    /// A message when the amount has more decimal places than the currency
    /// allows, or the currency is not in use today.
    pub fn new(amount: Amount, currency: Currency) -> Result<Self, String> {
        let Some(allowed) = currency.minor_units() else {
            return Err(format!(
                "cannot be written in {currency}, which is no longer an ISO 4217 currency in use"
            ));
        };
        if amount.scale() > allowed {
            return Err(format!(
                "amount \"{amount}\" has {} decimal places but {currency} allows at most {allowed}",
                amount.scale()
            ));
        }
        Ok(Self { amount, currency })
    }

    /// Parses amount and currency codes together.
    ///
    /// # Errors
    /// The first problem found, as by [`Amount::parse`], [`Currency::parse`]
    /// and [`Money::new`].
    pub fn parse(amount: &str, currency: &str) -> Result<Self, String> {
        Self::new(Amount::parse(amount)?, Currency::parse(currency)?)
    }

    /// An amount and currency as they were stored together, without
    /// today's check of the one against the other.
    pub fn from_stored(amount: Amount, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// The amount.
    pub fn amount(&self) -> Amount {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// An exchange rate: a positive decimal of any scale, kept as written
/// (`"2.00000"` stays `"2.00000"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExchangeRate(Decimal);

impl ExchangeRate {
    /// Parses a positive decimal numeral.
    ///
    /// # Errors
    /// A message when the text is not a plain decimal numeral, or is zero or
    /// negative.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value = parse_numeral(text, "exchange rate")?;
        if value > Decimal::ZERO {
            Ok(Self(value))
        } else {
            Err(format!(
                "exchange rate must be greater than zero, got {text:?}"
            ))
        }
    }

    /// A rate as it was stored: any decimal numeral.
    ///
    /// # Errors
    /// A message when the text is not a decimal numeral at all.
    pub fn from_stored(text: &str) -> Result<Self, String> {
        stored_decimal(text).map(Self)
    }

    /// The decimal value, with its scale.
    pub fn value(&self) -> Decimal {
        self.0
    }
}

impl fmt::Debug for ExchangeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExchangeRate({})", self.0)
    }
}

impl fmt::Display for ExchangeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(&self.0, f)
    }
}

impl WireText for ExchangeRate {
    fn wire_text(&self) -> InlineText {
        decimal_text(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A decimal through the hand-written writer.
    struct Written(Decimal);

    impl fmt::Display for Written {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_decimal(&self.0, f)
        }
    }

    #[test]
    fn decimals_are_written_as_decimal_writes_them() {
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        let cases = [
            Decimal::new(0, 0),
            Decimal::new(0, 2),
            negative_zero,
            Decimal::new(5, 2),
            Decimal::new(-5, 2),
            Decimal::new(12_345, 2),
            Decimal::new(10_000, 3),
            Decimal::new(7, 28),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_i128_with_scale(79_228_162_514_264_337_593_543_950_335, 28),
        ];
        for value in cases {
            assert_eq!(Written(value).to_string(), value.to_string(), "{value:?}");
        }
        let amount = Decimal::new(10_021, 2);
        assert_eq!(format!("{:>8}", Written(amount)), "  100.21");
        assert_eq!(format!("{:.1}", Written(amount)), format!("{amount:.1}"));
    }

    #[test]
    fn amounts_keep_the_scale_they_were_written_with() {
        for text in [
            "100.21",
            "5.00",
            "10.00",
            "1",
            "0.07",
            "1234567.89",
            "2.00000",
        ] {
            assert_eq!(Amount::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn malformed_or_non_positive_amounts_are_rejected() {
        let cases = [
            ("-1", "negative", "greater than zero"),
            ("0", "zero", "greater than zero"),
            ("0.00", "zero with places", "greater than zero"),
            ("", "empty", "decimal number"),
            ("1e3", "scientific notation", "decimal number"),
            ("+1", "explicit sign", "decimal number"),
            (" 1", "leading space", "decimal number"),
            ("1_000", "underscore", "decimal number"),
            (".5", "no whole part", "decimal number"),
            ("5.", "no fraction digits", "decimal number"),
            ("1.2.3", "two points", "decimal number"),
            (
                "007",
                "leading zeros would not print back",
                "start with a zero",
            ),
            ("NaN", "not a number", "decimal number"),
            (
                "99999999999999999999999999999",
                "29 digits",
                "too many digits",
            ),
        ];
        for (text, reason, expected) in cases {
            let err = Amount::parse(text).expect_err(reason);
            assert!(err.contains(expected), "{text:?} ({reason}): {err}");
        }
    }

    #[test]
    fn amounts_have_at_most_28_digits_besides_the_zero_of_a_fraction() {
        let longest_whole = "9".repeat(28);
        let longest_fraction = format!("0.{}", "1".repeat(28));
        let split = format!("{}.{}", "1".repeat(14), "1".repeat(14));
        for accepted in [&longest_whole, &longest_fraction, &split] {
            assert_eq!(Amount::parse(accepted).unwrap().to_string(), *accepted);
        }
        let too_long = format!("1{}", "0".repeat(28));
        assert_eq!(
            Amount::parse(&too_long).unwrap_err(),
            format!("amount {too_long:?} has too many digits (at most 28)")
        );
        let split_too_long = format!("{}.{}", "1".repeat(14), "1".repeat(15));
        assert_eq!(
            Amount::parse(&split_too_long).unwrap_err(),
            format!("amount {split_too_long:?} has too many digits (at most 28)")
        );
    }

    #[test]
    fn money_allows_no_more_places_than_the_currency() {
        let accepted = [
            ("100.21", "GBP"),
            ("1.2", "GBP"),
            ("5", "JPY"),
            ("1.234", "BHD"),
            ("0.0001", "CLF"),
        ];
        for (amount, currency) in accepted {
            assert!(
                Money::parse(amount, currency).is_ok(),
                "{amount} {currency}"
            );
        }
        let rejected = [("100.123", "GBP"), ("5.5", "JPY"), ("1.2345", "BHD")];
        for (amount, currency) in rejected {
            let err = Money::parse(amount, currency).unwrap_err();
            assert!(
                err.contains(&format!("{currency} allows at most")),
                "{amount} {currency}: {err}"
            );
        }
    }

    #[test]
    fn exchange_rates_take_any_scale_but_must_be_positive() {
        assert_eq!(
            ExchangeRate::parse("2.00000").unwrap().to_string(),
            "2.00000"
        );
        assert_eq!(
            ExchangeRate::parse("0.0000012345678").unwrap().to_string(),
            "0.0000012345678"
        );
        assert!(ExchangeRate::parse("0").is_err());
        assert!(ExchangeRate::parse("-2").is_err());
    }

    proptest! {
        #[test]
        fn any_decimal_is_written_as_decimal_writes_it(
            mantissa in any::<i128>(),
            scale in 0_u32..=28,
        ) {
            let value = Decimal::from_i128_with_scale(mantissa % 79_228_162_514_264_337_593_543_950_335, scale);
            prop_assert_eq!(Written(value).to_string(), value.to_string());
        }

        #[test]
        fn any_decimal_of_a_u64_mantissa_is_written_as_decimal_writes_it(
            mantissa in any::<i64>(),
            scale in 0_u32..=28,
        ) {
            // Written through the u64 path: every amount a payment holds.
            let value = Decimal::new(mantissa, scale);
            prop_assert_eq!(Written(value).to_string(), value.to_string());
        }

        #[test]
        fn any_positive_numeral_prints_back_exactly(whole in "[1-9][0-9]{0,12}", fraction in proptest::option::of("[0-9]{1,10}")) {
            let text = match &fraction {
                Some(fraction) => format!("{whole}.{fraction}"),
                None => whole.clone(),
            };
            let amount = Amount::parse(&text).unwrap();
            prop_assert_eq!(amount.to_string(), text);
            prop_assert_eq!(amount.scale() as usize, fraction.map_or(0, |f| f.len()));
        }

        #[test]
        fn money_accepts_exactly_the_scales_its_currency_allows(index in 0..200usize, places in 0u32..6) {
            let currencies: Vec<Currency> = Currency::all().collect();
            let currency = currencies[index % currencies.len()];
            let text = if places == 0 { "7".to_owned() } else { format!("7.{}", "1".repeat(places as usize)) };
            let result = Money::parse(&text, currency.code());
            prop_assert_eq!(result.is_ok(), Some(places) <= currency.minor_units(), "{} {}", text, currency);
        }

        #[test]
        fn arbitrary_text_never_panics_the_parser(text in "\\PC{0,40}") {
            let _ = Amount::parse(&text);
            let _ = ExchangeRate::parse(&text);
        }
    }
}
