//! What a report adds up: per currency, how many payments and their exact
//! sum. Amounts in different currencies are never added together; amounts
//! of one currency written at different scales (`5`, `5.00`) add exactly.
//!
//! ```
//! use payments_domain::report::Totals;
//! use payments_domain::{Amount, Currency, Money};
//!
//! let money = |amount, code| {
//!     Money::new(Amount::parse(amount).unwrap(), Currency::parse(code).unwrap()).unwrap()
//! };
//! let mut totals = Totals::default();
//! for (amount, code) in [("1234", "GBP"), ("0.5", "GBP"), ("7", "JPY")] {
//!     totals.add(&money(amount, code)).unwrap();
//! }
//! let lines: Vec<(String, u64, String)> = totals
//!     .lines()
//!     .map(|line| (line.currency.to_string(), line.count, line.amount))
//!     .collect();
//! assert_eq!(
//!     lines,
//!     [("GBP".into(), 2, "1234.50".into()), ("JPY".into(), 1, "7".into())]
//! );
//! ```

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::{Currency, Money, Payment, Timestamp};

/// The count and sum of one currency's payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalLine {
    /// The currency.
    pub currency: Currency,
    /// How many payments.
    pub count: u64,
    /// Their sum, written with at least the currency's minor units
    /// (`1234.50` for GBP), and more places only where an amount had them.
    pub amount: String,
}

/// Per-currency counts and exact sums, added to one payment at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    by_currency: BTreeMap<Currency, (u64, Decimal)>,
}

/// A sum beyond what an exact decimal holds (about 7.9 × 10²⁸).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the total of {0} does not fit in an exact decimal")]
pub struct TotalOverflow(pub Currency);

impl Totals {
    /// Counts `money` in its currency.
    ///
    /// # Errors
    /// When the currency's sum would overflow; the totals are unchanged.
    pub fn add(&mut self, money: &Money) -> Result<(), TotalOverflow> {
        self.add_many(money.currency(), 1, money.amount().value())
    }

    /// Adds `other`'s counts and sums to these (totals read in parts).
    ///
    /// # Errors
    /// As for [`add`](Self::add); then the totals are partly merged.
    pub fn merge(&mut self, other: &Totals) -> Result<(), TotalOverflow> {
        for (&currency, &(count, sum)) in &other.by_currency {
            self.add_many(currency, count, sum)?;
        }
        Ok(())
    }

    /// Adds `count` payments summing to `sum` in `currency` (what a store
    /// that adds up by itself found).
    ///
    /// # Errors
    /// When the sum or the count would overflow; the totals are unchanged.
    pub fn add_many(
        &mut self,
        currency: Currency,
        count: u64,
        sum: Decimal,
    ) -> Result<(), TotalOverflow> {
        let (own_count, own_sum) = self
            .by_currency
            .entry(currency)
            .or_insert((0, Decimal::ZERO));
        // Past 96 bits of digits a decimal sum keeps fewer places (it
        // rounds) rather than fail: a sum with fewer places than its
        // parts is not exact, so it counts as beyond an exact decimal.
        let places = own_sum.scale().max(sum.scale());
        let added = own_sum
            .checked_add(sum)
            .filter(|total| total.scale() >= places)
            .zip(own_count.checked_add(count))
            .ok_or(TotalOverflow(currency))?;
        (*own_sum, *own_count) = added;
        Ok(())
    }

    /// One line per currency that has payments, by currency code.
    pub fn lines(&self) -> impl Iterator<Item = TotalLine> + '_ {
        self.by_currency
            .iter()
            .map(|(&currency, &(count, sum))| TotalLine {
                currency,
                count,
                amount: written(sum, currency),
            })
    }
}

/// `sum` with at least `currency`'s minor units of places.
fn written(mut sum: Decimal, currency: Currency) -> String {
    let places = currency.minor_units().unwrap_or(0);
    if sum.scale() < places {
        sum.rescale(places);
    }
    sum.to_string()
}

impl Payment {
    /// When the payment counts in a report: its payment timestamp when it
    /// has one (when the money moved, as the recorder records it), else
    /// when it was created.
    pub fn reported_on(&self) -> Timestamp {
        self.attributes.payment_timestamp.unwrap_or(self.created_on)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::Amount;

    /// Money as a store may hold it: an amount stored before today's
    /// digit limit can be as large as a decimal goes.
    fn money(amount: &str, code: &str) -> Money {
        Money::new(
            Amount::from_stored(amount).unwrap(),
            Currency::parse(code).unwrap(),
        )
        .unwrap()
    }

    fn lines(totals: &Totals) -> Vec<(String, u64, String)> {
        totals
            .lines()
            .map(|line| (line.currency.to_string(), line.count, line.amount))
            .collect()
    }

    #[test]
    fn amounts_of_different_scales_add_exactly_and_currencies_never_mix() {
        let mut totals = Totals::default();
        for (amount, code) in [
            ("0.1", "GBP"),
            ("0.2", "GBP"),
            ("100.20", "GBP"),
            ("5", "USD"),
            ("0.001", "BHD"),
            ("1", "BHD"),
        ] {
            totals.add(&money(amount, code)).unwrap();
        }
        assert_eq!(
            lines(&totals),
            [
                ("BHD".into(), 2, "1.001".into()),
                ("GBP".into(), 3, "100.50".into()),
                ("USD".into(), 1, "5.00".into()),
            ]
        );
    }

    #[test]
    fn totals_read_in_parts_merge_to_the_same_lines() {
        let all = ["1.10", "2", "3.05", "4"];
        let mut whole = Totals::default();
        let (mut first, mut second) = (Totals::default(), Totals::default());
        for (n, amount) in all.iter().enumerate() {
            whole.add(&money(amount, "EUR")).unwrap();
            let part = if n < 2 { &mut first } else { &mut second };
            part.add(&money(amount, "EUR")).unwrap();
        }
        first.merge(&second).unwrap();
        assert_eq!(first, whole);
        assert_eq!(lines(&whole), [("EUR".into(), 4, "10.15".into())]);
    }

    #[test]
    fn an_overflowing_sum_is_refused_and_leaves_the_totals_unchanged() {
        let mut totals = Totals::default();
        let huge = money("79228162514264337593543950335", "JPY");
        totals.add(&huge).unwrap();
        let before = totals.clone();
        assert_eq!(
            totals.add(&money("1", "JPY")),
            Err(TotalOverflow(Currency::parse("JPY").unwrap()))
        );
        assert_eq!(totals, before);
    }

    #[test]
    fn a_sum_that_would_lose_a_place_is_refused() {
        let mut totals = Totals::default();
        let large = money("9999999999999999999999999.999", "BHD");
        // Seven fit in 96 bits at three places; an eighth would round.
        for _ in 0..7 {
            totals.add(&large).unwrap();
        }
        let before = totals.clone();
        assert_eq!(
            totals.add(&large),
            Err(TotalOverflow(Currency::parse("BHD").unwrap()))
        );
        assert_eq!(totals, before);
        assert_eq!(
            lines(&totals),
            [("BHD".into(), 7, "69999999999999999999999999.993".into())]
        );
    }

    #[test]
    fn no_payments_no_lines() {
        assert_eq!(lines(&Totals::default()), []);
    }
}
