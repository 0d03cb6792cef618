//! Instants and calendar dates.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Datelike as _, NaiveDate, SecondsFormat, SubsecRound, Timelike as _, Utc};
use serde::{Deserialize, Serialize};

use crate::view::{InlineText, WireText};

/// An instant in UTC with at most microsecond precision, the finest that
/// every store keeps (PostgreSQL `timestamptz` stops at microseconds).
/// Printed as RFC 3339 in UTC (`2024-08-01T12:34:56Z`,
/// `2024-08-01T12:34:56.123456Z`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Takes an instant from a clock, dropping anything finer than a
    /// microsecond.
    pub fn from_clock(instant: DateTime<Utc>) -> Self {
        Self(instant.trunc_subsecs(6))
    }

    /// Parses RFC 3339 text with any offset; the instant is kept, in UTC.
    ///
    /// # Errors
    /// A message when the text is not RFC 3339, or is more precise than a
    /// microsecond (the extra digits would be lost in storage).
    pub fn parse(text: &str) -> Result<Self, String> {
        let instant = DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                format!("{text:?} is not an RFC 3339 timestamp such as \"2024-08-01T12:34:56Z\"")
            })?
            .with_timezone(&Utc);
        if instant.trunc_subsecs(6) != instant {
            return Err(format!("{text:?} is more precise than a microsecond"));
        }
        Ok(Self(instant))
    }

    /// The instant.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Microseconds since the Unix epoch (the form stores sort on).
    pub fn unix_micros(&self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The instant `by` after this one, if it is in range. Sub-microsecond
    /// parts of `by` are dropped, like a clock reading's.
    pub fn checked_add(self, by: std::time::Duration) -> Option<Self> {
        let micros = i64::try_from(by.as_micros()).ok()?;
        Self::from_unix_micros(self.unix_micros().checked_add(micros)?).ok()
    }

    /// The instant `by` before this one, if it is in range.
    pub fn checked_sub(self, by: std::time::Duration) -> Option<Self> {
        let micros = i64::try_from(by.as_micros()).ok()?;
        Self::from_unix_micros(self.unix_micros().checked_sub(micros)?).ok()
    }

    /// The instant `micros` microseconds after the Unix epoch.
    ///
    /// # Errors
    /// A message when the number is outside chrono's range.
    pub fn from_unix_micros(micros: i64) -> Result<Self, String> {
        DateTime::from_timestamp_micros(micros)
            .map(Self)
            .ok_or_else(|| format!("{micros} microseconds is out of range for a timestamp"))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with as many fractional digits as it has: its
    /// [`WireText`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_text().as_str())
    }
}

impl WireText for Timestamp {
    /// RFC 3339 in UTC with as many fractional digits as it has (none, 3
    /// or 6): chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)`,
    /// written digit by digit for the years 0 to 9999 (chrono's builds a
    /// `String` each time).
    fn wire_text(&self) -> InlineText {
        let time = self.0.time();
        let nanos = time.nanosecond();
        let mut text = [0; InlineText::CAPACITY];
        text[..27].copy_from_slice(b"0000-00-00T00:00:00.000000Z");
        // A leap second (nanoseconds past a whole second) and years beyond
        // four digits are left to chrono.
        if nanos >= 1_000_000_000 || !write_date(&mut text, self.0.date_naive()) {
            return InlineText::of(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
        digits(&mut text[11..13], time.hour());
        digits(&mut text[14..16], time.minute());
        digits(&mut text[17..19], time.second());
        let written = if nanos == 0 {
            19
        } else if nanos.is_multiple_of(1_000_000) {
            digits(&mut text[20..23], nanos / 1_000_000);
            23
        } else {
            // Timestamps hold whole microseconds.
            digits(&mut text[20..26], nanos / 1_000);
            26
        };
        text[written] = b'Z';
        InlineText::ascii(text, 0, written + 1)
    }
}

/// Writes `date` as `YYYY-MM-DD` over the first ten bytes of `into`;
/// false, writing nothing, for a year beyond four digits.
fn write_date(into: &mut [u8], date: NaiveDate) -> bool {
    let Some(year) = u32::try_from(date.year()).ok().filter(|year| *year <= 9999) else {
        return false;
    };
    digits(&mut into[0..4], year);
    digits(&mut into[5..7], date.month());
    digits(&mut into[8..10], date.day());
    true
}

/// Writes `value` into `into` as decimal digits, zero-padded to its length.
fn digits(into: &mut [u8], mut value: u32) {
    for place in into.iter_mut().rev() {
        *place = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Timestamp> for String {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.to_string()
    }
}

/// A calendar date written `YYYY-MM-DD`, such as a processing date.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD` (four-digit year, two-digit month and day).
    ///
    /// # Errors
    /// A message when the text is not a real date in that form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shaped = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let date = shaped
            .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
            .flatten();
        date.map(Self)
            .ok_or_else(|| format!("{text:?} is not a date in the form YYYY-MM-DD"))
    }

    /// The date.
    pub fn as_naive(&self) -> NaiveDate {
        self.0
    }

    /// The day's first instant in UTC (a report of `2024-08-01` to
    /// `2024-09-01` is August, by UTC).
    pub fn start_utc(&self) -> Timestamp {
        Timestamp(self.0.and_time(chrono::NaiveTime::MIN).and_utc())
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`, the only form [`Date::parse`] takes: its
    /// [`WireText`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_text().as_str())
    }
}

impl WireText for Date {
    fn wire_text(&self) -> InlineText {
        let mut text = [0; InlineText::CAPACITY];
        text[..10].copy_from_slice(b"0000-00-00");
        if write_date(&mut text, self.0) {
            InlineText::ascii(text, 0, 10)
        } else {
            let mut inline = InlineText::new();
            // Any year chrono holds fits.
            let _ = write!(inline, "{}", self.0.format("%Y-%m-%d"));
            inline
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_in_utc_with_only_the_digits_they_need() {
        assert_eq!(
            Timestamp::parse("2024-08-01T12:34:56Z")
                .unwrap()
                .to_string(),
            "2024-08-01T12:34:56Z"
        );
        assert_eq!(
            Timestamp::parse("2024-08-01T12:34:56.123456Z")
                .unwrap()
                .to_string(),
            "2024-08-01T12:34:56.123456Z"
        );
        assert_eq!(
            Timestamp::parse("2024-08-01T13:34:56+01:00")
                .unwrap()
                .to_string(),
            "2024-08-01T12:34:56Z"
        );
    }

    #[test]
    fn timestamps_finer_than_a_microsecond_or_malformed_are_rejected() {
        let cases = [
            ("2024-08-01T12:34:56.1234567Z", "more precise"),
            ("2024-08-01 12:34:56", "RFC 3339"),
            ("2024-08-01", "RFC 3339"),
            ("yesterday", "RFC 3339"),
        ];
        for (text, expected) in cases {
            let err = Timestamp::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn clock_readings_are_cut_to_the_microsecond() {
        let precise = DateTime::parse_from_rfc3339("2024-01-01T00:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            Timestamp::from_clock(precise).to_string(),
            "2024-01-01T00:00:00.123456Z"
        );
    }

    #[test]
    fn unix_micros_round_trip() {
        let at = Timestamp::parse("2024-08-01T12:34:56.000001Z").unwrap();
        assert_eq!(Timestamp::from_unix_micros(at.unix_micros()).unwrap(), at);
    }

    #[test]
    fn durations_move_an_instant_and_out_of_range_is_none() {
        let at = Timestamp::parse("2024-08-01T12:34:56Z").unwrap();
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(
            at.checked_add(day).unwrap().to_string(),
            "2024-08-02T12:34:56Z"
        );
        assert_eq!(
            at.checked_sub(day).unwrap().to_string(),
            "2024-07-31T12:34:56Z"
        );
        assert_eq!(at.checked_add(std::time::Duration::MAX), None);
    }

    proptest::proptest! {
        #[test]
        fn timestamps_are_written_as_chrono_writes_rfc_3339(
            micros in -62_135_596_800_000_000_i64..253_402_300_800_000_000,
            cut in 0_u8..3,
        ) {
            // Whole seconds, whole milliseconds, or any microsecond.
            let micros = match cut {
                0 => micros - micros.rem_euclid(1_000_000),
                1 => micros - micros.rem_euclid(1_000),
                _ => micros,
            };
            let at = Timestamp::from_unix_micros(micros).unwrap();
            proptest::prop_assert_eq!(
                at.to_string(),
                at.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            );
        }

        #[test]
        fn dates_are_written_as_chrono_writes_them(days in 0_i64..3_652_059) {
            let date = Date(NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).unwrap() + 1).unwrap());
            proptest::prop_assert_eq!(date.to_string(), date.0.format("%Y-%m-%d").to_string());
        }
    }

    #[test]
    fn a_leap_second_is_written_as_chrono_writes_it() {
        for text in ["2016-12-31T23:59:60Z", "2016-12-31T23:59:60.5Z"] {
            let at = Timestamp::parse(text).unwrap();
            assert_eq!(
                at.to_string(),
                at.0.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                "{text}"
            );
        }
    }

    #[test]
    fn the_widest_instants_and_dates_chrono_holds_are_written_whole() {
        for instant in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let at = Timestamp::from_clock(instant);
            assert_eq!(
                at.to_string(),
                at.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            );
            let date = Date(instant.date_naive());
            assert_eq!(date.to_string(), date.0.format("%Y-%m-%d").to_string());
        }
    }

    #[test]
    fn dates_must_be_real_and_in_iso_form() {
        assert_eq!(Date::parse("2017-01-18").unwrap().to_string(), "2017-01-18");
        for bad in [
            "2017-1-18",
            "18/01/2017",
            "2017-02-30",
            "2017-13-01",
            "20170118",
            "",
            "2017-01-18T00:00:00Z",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }
}
