//! ISO 4217 currencies and their minor units.

use std::fmt;
use std::str::FromStr;

use crate::view::{InlineText, WireText};

/// An ISO 4217 currency, such as `GBP`: three upper-case letters, with the
/// number of decimal places (minor units) its amounts may carry.
///
/// A client may name only codes in active use that ISO 4217 gives a minor
/// unit for ([`Currency::parse`]). Codes whose minor unit is "N.A."
/// (precious metals such as `XAU`, the SDR `XDR`, the testing codes
/// `XTS`/`XXX`) are not currencies a payment can be made in, so they are
/// refused, as are withdrawn codes (`HRK`, `CUC`). A payment stored while
/// its code was in use reads back with it all the same
/// ([`Currency::from_stored`]); such a currency has no minor units today.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
}

impl Currency {
    /// Looks up an ISO 4217 alphabetic code. Codes are upper case, exactly as
    /// the standard writes them.
    ///
    /// # Errors
    /// A message naming the code when it is not an active ISO 4217 code.
    /// When the text is a currency's name (`"Dollars"`, `"pound"`), the
    /// message suggests the codes it may mean.
    pub fn parse(code: &str) -> Result<Self, String> {
        match minor_units_of(code) {
            Some(_) => Self::from_stored(code),
            None => match Self::codes_named(code) {
                Some(codes) => Err(format!(
                    "{code:?} is a currency name, not an ISO 4217 currency code; send the code, such as {}",
                    or_list(codes)
                )),
                None => Err(format!("{code:?} is not an ISO 4217 currency code")),
            },
        }
    }

    /// The codes a currency's name may mean, most used first: `"Dollars"`,
    /// `"dollar"` and `"US dollars"` all give USD, CAD, AUD, ...; `None`
    /// for a name this table does not know. Case and a plural `s` do not
    /// matter.
    pub fn codes_named(name: &str) -> Option<&'static [&'static str]> {
        let name = name.trim().to_ascii_lowercase();
        let word = name.rsplit(' ').next().unwrap_or_default();
        let singular = word.strip_suffix('s').unwrap_or(word);
        NAMES
            .iter()
            .find(|(known, _)| *known == word || *known == singular)
            .map(|(_, codes)| *codes)
    }

    /// A code as it was stored: any three upper-case ASCII letters, the
    /// form of every ISO 4217 alphabetic code, in use or withdrawn.
    ///
    /// # Errors
    /// A message when the text does not have that form.
    pub fn from_stored(code: &str) -> Result<Self, String> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => {
                Ok(Self { code: [a, b, c] })
            }
            _ => Err("is not three upper-case letters".to_owned()),
        }
    }

    /// The three-letter code, such as `"GBP"`.
    pub fn code(&self) -> &str {
        // Both constructors accept ASCII letters only, so this cannot fail.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// How many decimal places an amount in this currency may have
    /// (GBP 2, JPY 0, BHD 3); `None` for a code that is not in use today
    /// (read back from storage), in which no new amount can be written.
    pub fn minor_units(&self) -> Option<u32> {
        minor_units_of(self.code()).map(u32::from)
    }

    /// Every currency a client may name today, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        ISO_4217
            .iter()
            .filter_map(|(code, _)| Currency::parse(code).ok())
    }
}

/// Names people write for a currency instead of its code, each with the
/// active codes it may mean, most traded first. Every code is in
/// [`ISO_4217`] (a test checks).
const NAMES: &[(&str, &[&str])] = &[
    ("dollar", &["USD", "CAD", "AUD", "NZD", "SGD", "HKD"]),
    ("pound", &["GBP", "EGP"]),
    ("sterling", &["GBP"]),
    ("euro", &["EUR"]),
    ("yen", &["JPY"]),
    ("yuan", &["CNY"]),
    ("renminbi", &["CNY"]),
    ("franc", &["CHF", "XOF", "XAF"]),
    ("krona", &["SEK", "ISK"]),
    ("krone", &["NOK", "DKK"]),
    ("rupee", &["INR", "PKR", "LKR", "NPR"]),
    ("peso", &["MXN", "ARS", "CLP", "COP", "PHP"]),
    ("real", &["BRL"]),
    ("rand", &["ZAR"]),
    ("won", &["KRW"]),
    ("rouble", &["RUB"]),
    ("ruble", &["RUB"]),
    ("lira", &["TRY"]),
    ("zloty", &["PLN"]),
    ("forint", &["HUF"]),
    ("shekel", &["ILS"]),
    ("dirham", &["AED", "MAD"]),
    ("riyal", &["SAR", "QAR"]),
];

/// `A, B or C`.
fn or_list(codes: &[&str]) -> String {
    match codes {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn minor_units_of(code: &str) -> Option<u8> {
    ISO_4217
        .binary_search_by(|(known, _)| known.cmp(&code))
        .ok()
        .map(|index| ISO_4217[index].1)
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl WireText for Currency {
    fn wire_text(&self) -> InlineText {
        InlineText::of(self.code())
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::parse(code)
    }
}

/// Active ISO 4217 alphabetic codes with their minor units, sorted by code
/// (the lookup is a binary search).
#[rustfmt::skip]
const ISO_4217: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2),
    ("ARS", 2), ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2),
    ("BDT", 2), ("BGN", 2), ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2),
    ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2),
    ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHE", 2), ("CHF", 2),
    ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2), ("COU", 2),
    ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2),
    ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2),
    ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2),
    ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2),
    ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3),
    ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2),
    ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3),
    ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2),
    ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2),
    ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2),
    ("MWK", 2), ("MXN", 2), ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2),
    ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3),
    ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2),
    ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0),
    ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2),
    ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2),
    ("SVC", 2), ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2),
    ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2),
    ("UAH", 2), ("UGX", 0), ("USD", 2), ("USN", 2), ("UYI", 0), ("UYU", 2),
    ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0), ("VUV", 0),
    ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0),
    ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_currency_name_is_refused_with_the_codes_it_may_mean() {
        assert_eq!(
            Currency::parse("Dollars").unwrap_err(),
            r#""Dollars" is a currency name, not an ISO 4217 currency code; send the code, such as USD, CAD, AUD, NZD, SGD or HKD"#
        );
        assert_eq!(
            Currency::parse("pound").unwrap_err(),
            r#""pound" is a currency name, not an ISO 4217 currency code; send the code, such as GBP or EGP"#
        );
        assert_eq!(
            Currency::codes_named("US Dollars"),
            Currency::codes_named("dollar")
        );
        assert_eq!(Currency::codes_named("Euros"), Some(&["EUR"][..]));
        assert_eq!(
            Currency::parse("Doubloons").unwrap_err(),
            r#""Doubloons" is not an ISO 4217 currency code"#
        );
    }

    #[test]
    fn every_suggested_code_is_an_active_code() {
        for (name, codes) in NAMES {
            for code in *codes {
                assert!(Currency::parse(code).is_ok(), "{name}: {code}");
            }
        }
    }
    use proptest::prelude::*;

    #[test]
    fn the_table_is_sorted_so_binary_search_finds_every_code() {
        assert!(ISO_4217.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(Currency::all().count(), ISO_4217.len());
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        for (code, expected) in [
            ("GBP", 2),
            ("USD", 2),
            ("EUR", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("BHD", 3),
            ("KWD", 3),
            ("CLF", 4),
        ] {
            assert_eq!(
                Currency::parse(code).unwrap().minor_units(),
                Some(expected),
                "{code}"
            );
        }
    }

    #[test]
    fn a_withdrawn_code_reads_back_from_storage_without_minor_units() {
        let kuna = Currency::from_stored("HRK").unwrap();
        assert_eq!(kuna.code(), "HRK");
        assert_eq!(kuna.minor_units(), None);
        assert_eq!(Currency::from_stored("GBP"), Currency::parse("GBP"));
        for bad in ["gbp", "GB", "GBPX", "", "G1P"] {
            assert_eq!(
                Currency::from_stored(bad),
                Err("is not three upper-case letters".to_owned()),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn codes_that_are_not_payment_currencies_are_rejected() {
        let cases = [
            ("Dollars", "a word, not a code"),
            ("gbp", "codes are upper case"),
            ("GB", "too short"),
            ("GBPX", "too long"),
            ("", "empty"),
            ("XAU", "gold has no minor unit"),
            ("XTS", "testing code"),
            ("HRK", "withdrawn in 2023"),
        ];
        for (code, reason) in cases {
            let err = Currency::parse(code).expect_err(reason);
            assert!(err.contains("ISO 4217"), "{code} ({reason}): {err}");
        }
    }

    proptest! {
        #[test]
        fn every_accepted_code_prints_back_as_itself(index in 0..ISO_4217.len()) {
            let (code, _) = ISO_4217[index];
            let currency = Currency::parse(code).unwrap();
            prop_assert_eq!(currency.code(), code);
            prop_assert_eq!(Currency::parse(&currency.to_string()).unwrap(), currency);
        }

        #[test]
        fn no_lower_case_or_non_alphabetic_string_is_a_currency(code in "[a-z0-9 ]{0,4}|[A-Z]{4,8}") {
            prop_assert!(Currency::parse(&code).is_err());
        }
    }
}
