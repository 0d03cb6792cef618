//! Which payments a search wants: ranges over dates and instants, and
//! attributes equal to a value. Pure matching; where a store can use an
//! index (the creation-time range) is the ports' business.
//!
//! ```
//! use payments_domain::filter::{Bounds, PaymentFilter};
//! use payments_domain::{Amount, Currency, PaymentAttributesInput, Timestamp};
//!
//! let attributes = PaymentAttributesInput {
//!     amount: Some("100.20".into()),
//!     currency: Some("GBP".into()),
//!     payment_timestamp: Some("2024-08-01T12:34:56Z".into()),
//!     ..Default::default()
//! }
//! .validate()
//! .unwrap();
//! let filter = PaymentFilter {
//!     amount: Some(Amount::parse("100.2").unwrap()),
//!     currency: Some(Currency::parse("GBP").unwrap()),
//!     payment_timestamp: Bounds {
//!         from: Some(Timestamp::parse("2024-08-01T00:00:00Z").unwrap()),
//!         to: Some(Timestamp::parse("2024-09-01T00:00:00Z").unwrap()),
//!     },
//!     ..PaymentFilter::default()
//! };
//! assert!(filter.matches(&attributes));
//! ```

use crate::{AccountNumber, Amount, Currency, Date, Party, PaymentAttributes, Text, Timestamp};

/// A half-open range: `from` inclusive, `to` exclusive; either end may be
/// open. `from` at or after `to` holds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bounds<T> {
    /// The first value inside, if bounded below.
    pub from: Option<T>,
    /// The first value past the end, if bounded above.
    pub to: Option<T>,
}

impl<T> Bounds<T> {
    /// Bounds open at both ends: everything.
    pub const fn all() -> Self {
        Self {
            from: None,
            to: None,
        }
    }
}

impl<T> Default for Bounds<T> {
    fn default() -> Self {
        Self::all()
    }
}

impl<T: Ord> Bounds<T> {
    /// Whether both ends are open.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether `value` is inside.
    pub fn contains(&self, value: &T) -> bool {
        self.from.as_ref().is_none_or(|from| value >= from)
            && self.to.as_ref().is_none_or(|to| value < to)
    }

    /// Whether nothing can be inside (`from` at or after `to`).
    pub fn is_empty(&self) -> bool {
        matches!((&self.from, &self.to), (Some(from), Some(to)) if from >= to)
    }

    /// Whether an optional value is inside: a missing value is inside only
    /// bounds that are open at both ends.
    fn admits(&self, value: Option<&T>) -> bool {
        match value {
            Some(value) => self.contains(value),
            None => self.is_all(),
        }
    }
}

/// What a search of payments asks of their attributes. Every condition set
/// must hold; a payment without the attribute a condition names never
/// matches it. The default matches every payment.
///
/// Creation time is not here: it is the listings' order key, which every
/// store reads as an index range (`PageRequest::created` in the ports).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// `processing_date` inside these dates.
    pub processing_date: Bounds<Date>,
    /// `payment_timestamp` inside these instants.
    pub payment_timestamp: Bounds<Timestamp>,
    /// The payment's currency.
    pub currency: Option<Currency>,
    /// The amount, compared as a number: `100.2` equals `100.20`.
    pub amount: Option<Amount>,
    /// `reference`, exactly.
    pub reference: Option<String>,
    /// `payment_scheme`, exactly.
    pub payment_scheme: Option<String>,
    /// `payment_type`, exactly.
    pub payment_type: Option<String>,
    /// The beneficiary's account number, exactly.
    pub beneficiary_account_number: Option<String>,
    /// The debtor's account number, exactly.
    pub debtor_account_number: Option<String>,
}

impl PaymentFilter {
    /// Whether the filter holds no condition (every payment matches).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether some condition can hold for no payment (an empty range).
    pub fn matches_nothing(&self) -> bool {
        self.processing_date.is_empty() || self.payment_timestamp.is_empty()
    }

    /// Whether `attributes` meet every condition.
    pub fn matches(&self, attributes: &PaymentAttributes) -> bool {
        let money = &attributes.money;
        self.processing_date
            .admits(attributes.processing_date.as_ref())
            && self
                .payment_timestamp
                .admits(attributes.payment_timestamp.as_ref())
            && self
                .currency
                .is_none_or(|currency| money.currency() == currency)
            && self
                .amount
                .as_ref()
                .is_none_or(|amount| money.amount().value() == amount.value())
            && equal(
                self.reference.as_deref(),
                attributes.reference.as_ref().map(Text::as_str),
            )
            && equal(
                self.payment_scheme.as_deref(),
                attributes.payment_scheme.as_ref().map(Text::as_str),
            )
            && equal(
                self.payment_type.as_deref(),
                attributes.payment_type.as_ref().map(Text::as_str),
            )
            && equal(
                self.beneficiary_account_number.as_deref(),
                account_number(attributes.beneficiary_party.as_ref()),
            )
            && equal(
                self.debtor_account_number.as_deref(),
                account_number(attributes.debtor_party.as_ref()),
            )
    }
}

/// Whether an optional wanted value is absent or equals `found`.
fn equal(wanted: Option<&str>, found: Option<&str>) -> bool {
    wanted.is_none_or(|wanted| found == Some(wanted))
}

fn account_number(party: Option<&Party>) -> Option<&str> {
    party?.account_number.as_ref().map(AccountNumber::as_str)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::input::PartyInput;
    use crate::PaymentAttributesInput;

    fn attributes() -> PaymentAttributes {
        PaymentAttributesInput {
            amount: Some("100.20".into()),
            currency: Some("GBP".into()),
            payment_timestamp: Some("2024-08-01T12:34:56Z".into()),
            processing_date: Some("2024-08-02".into()),
            reference: Some("Rent".into()),
            payment_scheme: Some("FPS".into()),
            payment_type: Some("Credit".into()),
            beneficiary_party: Some(PartyInput {
                account_number: Some("31926819".into()),
                ..PartyInput::default()
            }),
            debtor_party: Some(PartyInput {
                account_number: Some("GB29XABC10161234567801".into()),
                ..PartyInput::default()
            }),
            ..Default::default()
        }
        .validate()
        .unwrap()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// The filter with one change from the default.
    fn with(change: impl FnOnce(&mut PaymentFilter)) -> PaymentFilter {
        let mut filter = PaymentFilter::default();
        change(&mut filter);
        filter
    }

    #[allow(clippy::unnecessary_wraps)] // as the filter field holds it
    fn currency(code: &str) -> Option<Currency> {
        Some(Currency::parse(code).unwrap())
    }

    #[allow(clippy::unnecessary_wraps)]
    fn amount(text: &str) -> Option<Amount> {
        Some(Amount::parse(text).unwrap())
    }

    #[allow(clippy::unnecessary_wraps)]
    fn text(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    #[test]
    fn each_condition_matches_its_own_attribute_and_refuses_another_value() {
        let payment = attributes();
        let cases: Vec<(&str, PaymentFilter, bool)> = vec![
            ("nothing asked", PaymentFilter::default(), true),
            ("currency", with(|f| f.currency = currency("GBP")), true),
            (
                "other currency",
                with(|f| f.currency = currency("EUR")),
                false,
            ),
            (
                "amount at another scale",
                with(|f| f.amount = amount("100.2")),
                true,
            ),
            (
                "amount at three places",
                with(|f| f.amount = amount("100.200")),
                true,
            ),
            ("other amount", with(|f| f.amount = amount("100.21")), false),
            ("reference", with(|f| f.reference = text("Rent")), true),
            (
                "reference in another case",
                with(|f| f.reference = text("rent")),
                false,
            ),
            ("scheme", with(|f| f.payment_scheme = text("FPS")), true),
            (
                "other type",
                with(|f| f.payment_type = text("Debit")),
                false,
            ),
            (
                "beneficiary account",
                with(|f| f.beneficiary_account_number = text("31926819")),
                true,
            ),
            (
                "the debtor's number asked of the beneficiary",
                with(|f| f.beneficiary_account_number = text("GB29XABC10161234567801")),
                false,
            ),
            (
                "debtor account",
                with(|f| f.debtor_account_number = text("GB29XABC10161234567801")),
                true,
            ),
            (
                "all at once",
                with(|f| {
                    f.currency = currency("GBP");
                    f.reference = text("Rent");
                    f.payment_type = text("Credit");
                }),
                true,
            ),
            (
                "all but one",
                with(|f| {
                    f.currency = currency("GBP");
                    f.reference = text("Rent");
                    f.payment_type = text("Debit");
                }),
                false,
            ),
        ];
        for (name, filter, expected) in cases {
            assert_eq!(filter.matches(&payment), expected, "{name}");
        }
    }

    #[test]
    fn ranges_hold_their_start_and_not_their_end() {
        let payment = attributes();
        let instant = |at| Bounds {
            from: None,
            to: Some(self::at(at)),
        };
        let cases: Vec<(&str, PaymentFilter, bool)> = vec![
            (
                "timestamp from its own instant",
                with(|f| f.payment_timestamp.from = Some(at("2024-08-01T12:34:56Z"))),
                true,
            ),
            (
                "timestamp up to its own instant",
                with(|f| f.payment_timestamp = instant("2024-08-01T12:34:56Z")),
                false,
            ),
            (
                "timestamp up to a microsecond later",
                with(|f| f.payment_timestamp = instant("2024-08-01T12:34:56.000001Z")),
                true,
            ),
            (
                "processing date from its own day",
                with(|f| {
                    f.processing_date = Bounds {
                        from: Some(day("2024-08-02")),
                        to: Some(day("2024-08-03")),
                    }
                }),
                true,
            ),
            (
                "processing date up to its own day",
                with(|f| f.processing_date.to = Some(day("2024-08-02"))),
                false,
            ),
        ];
        for (name, filter, expected) in cases {
            assert_eq!(filter.matches(&payment), expected, "{name}");
        }
    }

    #[test]
    fn a_payment_without_the_attribute_never_matches_a_condition_on_it() {
        let bare = PaymentAttributesInput {
            amount: Some("5".into()),
            currency: Some("USD".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let conditions = [
            PaymentFilter {
                reference: Some(String::new()),
                ..Default::default()
            },
            PaymentFilter {
                beneficiary_account_number: Some("1".into()),
                ..Default::default()
            },
            PaymentFilter {
                payment_timestamp: Bounds {
                    from: Some(at("1970-01-01T00:00:00Z")),
                    to: None,
                },
                ..Default::default()
            },
            PaymentFilter {
                processing_date: Bounds {
                    from: None,
                    to: Some(day("9999-12-31")),
                },
                ..Default::default()
            },
        ];
        for filter in conditions {
            assert!(!filter.matches(&bare), "{filter:?}");
        }
        assert!(PaymentFilter::default().matches(&bare));
    }

    #[test]
    fn bounds_are_half_open_and_empty_when_from_is_not_before_to() {
        let bounds = Bounds {
            from: Some(1),
            to: Some(3),
        };
        assert_eq!(
            [0, 1, 2, 3].map(|v| bounds.contains(&v)),
            [false, true, true, false]
        );
        assert!(!bounds.is_empty());
        assert!(Bounds {
            from: Some(3),
            to: Some(3)
        }
        .is_empty());
        assert!(Bounds {
            from: Some(4),
            to: Some(3)
        }
        .is_empty());
        assert!(Bounds::<i32>::all().is_all());
    }
}
