//! Free text and coded values of a payment.
//!
//! Each holds its text as an `Arc<str>`, written once when it is judged or
//! read from storage: a payment is copied out of a store on every read,
//! and a copy of its text then costs a reference count, not an allocation
//! and a copy of every string.

use std::fmt;
use std::sync::Arc;

/// Free text a client supplied (a name, an address, a reference): any
/// Unicode, kept exactly as written, between 1 and `max` characters, with no
/// control characters (they break logs and downstream files) and nothing
/// that makes text display as other than it is: no bidirectional controls
/// (U+202E would show `txt.exe` as `exe.txt`), no zero-width or invisible
/// characters, no line or paragraph separators, no byte-order mark and no
/// noncharacters. Such text is refused, never cleaned: what is stored is
/// what was sent.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Arc<str>);

/// What kind of character `c` is, when it is one free text must not hold
/// because it changes how the text displays without showing itself.
fn hidden(c: char) -> Option<&'static str> {
    match c {
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some("a bidirectional control"),
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{180E}' => {
            Some("an invisible character")
        }
        '\u{FEFF}' => Some("a byte-order mark"),
        '\u{2028}' | '\u{2029}' => Some("a line or paragraph separator"),
        '\u{FDD0}'..='\u{FDEF}' => Some("a noncharacter"),
        _ if u32::from(c) & 0xFFFE == 0xFFFE => Some("a noncharacter"),
        _ => None,
    }
}

impl Text {
    /// Whether free text may never hold `c`, wherever it stands: a control
    /// character or one of the hidden kinds above. (Blank text is refused
    /// as a whole: [`char::is_whitespace`] characters are allowed beside
    /// others.) The OpenAPI document builds its pattern from this.
    pub fn refuses(c: char) -> bool {
        c.is_control() || hidden(c).is_some()
    }

    /// Checks `text` against the rules above.
    ///
    /// # Errors
    /// A message when the text is empty or blank, longer than `max`
    /// characters, or holds a control character.
    pub fn parse(text: &str, max: usize) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("must not be empty".to_owned());
        }
        let length = text.chars().count();
        if length > max {
            return Err(format!("must be at most {max} characters, got {length}"));
        }
        if text.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        if let Some((position, c, kind)) = text
            .chars()
            .enumerate()
            .find_map(|(i, c)| hidden(c).map(|kind| (i + 1, c, kind)))
        {
            return Err(format!(
                "must not contain U+{:04X} ({kind}), found at character {position}",
                u32::from(c)
            ));
        }
        Ok(Self(text.into()))
    }

    /// Text as it was stored, whatever today's rules say of it (a limit
    /// may since have shrunk).
    pub fn from_stored(text: &str) -> Self {
        Self(text.into())
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference made only of digits (`"1002001"`), at most 35 of them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NumericReference(Arc<str>);

impl NumericReference {
    /// The most digits a numeric reference has.
    pub const MAX_DIGITS: usize = 35;

    /// Checks that `text` is 1 to 35 ASCII digits.
    ///
    /// # Errors
    /// A message when it is not.
    pub fn parse(text: &str) -> Result<Self, String> {
        if !text.is_empty()
            && text.len() <= Self::MAX_DIGITS
            && text.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(Self(text.into()))
        } else {
            Err(format!("{text:?} must be 1 to 35 digits"))
        }
    }

    /// A reference as it was stored, whatever today's rules say of it.
    pub fn from_stored(text: &str) -> Self {
        Self(text.into())
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NumericReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Who pays the charges of a payment: an ISO 20022 charge bearer code.
/// Today a client may send `DEBT` (the debtor pays all charges), `CRED`
/// (the creditor pays), `SHAR` (each side pays its own bank) or `SLEV`
/// (the scheme's rules decide); a code stored under earlier rules reads
/// back as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BearerCode(Arc<str>);

impl BearerCode {
    /// The codes a client may send today.
    pub const ACCEPTED: [&'static str; 4] = ["DEBT", "CRED", "SHAR", "SLEV"];

    /// Parses one of [`BearerCode::ACCEPTED`].
    ///
    /// # Errors
    /// A message listing the accepted codes.
    pub fn parse(text: &str) -> Result<Self, String> {
        if Self::ACCEPTED.contains(&text) {
            Ok(Self(text.into()))
        } else {
            Err(format!(
                "{text:?} is not a bearer code (expected one of {})",
                Self::ACCEPTED.join(", ")
            ))
        }
    }

    /// A code as it was stored, whatever today's rules say of it.
    pub fn from_stored(text: &str) -> Self {
        Self(text.into())
    }

    /// The code as written.
    pub fn code(&self) -> &str {
        &self.0
    }
}

/// How an account number is written: `IBAN` (an International Bank
/// Account Number) or `BBAN` (a domestic, basic bank account number).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountNumberCode(Arc<str>);

impl AccountNumberCode {
    /// The code of an International Bank Account Number.
    pub const IBAN: &'static str = "IBAN";
    /// The code of a domestic (basic) bank account number.
    pub const BBAN: &'static str = "BBAN";

    /// Parses `IBAN` or `BBAN`.
    ///
    /// # Errors
    /// A message listing the accepted codes.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == Self::IBAN || text == Self::BBAN {
            Ok(Self(text.into()))
        } else {
            Err(format!(
                "{text:?} is not an account number code (expected IBAN or BBAN)"
            ))
        }
    }

    /// A code as it was stored, whatever today's rules say of it.
    pub fn from_stored(text: &str) -> Self {
        Self(text.into())
    }

    /// The code as written.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// Whether account numbers under this code must be shaped like IBANs.
    pub fn is_iban(&self) -> bool {
        &*self.0 == Self::IBAN
    }
}

/// An account number: 1 to 34 ASCII letters and digits. An IBAN must also
/// have the IBAN shape (two-letter country, two check digits, then 11 to 30
/// letters or digits). The IBAN check digits are not verified: Form3's own
/// sample payment carries an IBAN whose check digits do not verify, and a
/// recorder of payments must accept what the scheme accepted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(Arc<str>);

impl AccountNumber {
    /// The most characters an account number has.
    pub const MAX_LEN: usize = 34;
    /// The fewest characters an IBAN has: the country, the check digits
    /// and 11 more.
    pub const IBAN_MIN_LEN: usize = 15;

    /// Checks `text` as an account number written per `code` (when known).
    ///
    /// # Errors
    /// A message when the text is not such an account number.
    pub fn parse(text: &str, code: Option<&AccountNumberCode>) -> Result<Self, String> {
        let alphanumeric = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        if text.is_empty() || text.len() > Self::MAX_LEN || !alphanumeric(text) {
            return Err("must be 1 to 34 upper-case letters or digits".to_owned());
        }
        let number = Self(text.into());
        number.check_code(code)?;
        Ok(number)
    }

    /// An account number as it was stored, whatever today's rules say of it.
    pub fn from_stored(text: &str) -> Self {
        Self(text.into())
    }

    /// Checks that this number is written as `code` says: an `IBAN` code
    /// needs the IBAN shape.
    ///
    /// # Errors
    /// A message when it is not.
    pub fn check_code(&self, code: Option<&AccountNumberCode>) -> Result<(), String> {
        if code.is_some_and(AccountNumberCode::is_iban) {
            let bytes = self.0.as_bytes();
            let shaped = (Self::IBAN_MIN_LEN..=Self::MAX_LEN).contains(&bytes.len())
                && bytes[..2].iter().all(u8::is_ascii_uppercase)
                && bytes[2..4].iter().all(u8::is_ascii_digit)
                && bytes[4..]
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !shaped {
                return Err("is not shaped like an IBAN (country code, two check digits, 11 to 30 letters or digits)".to_owned());
            }
        }
        Ok(())
    }

    /// The account number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Account numbers are personal data: debug output shows only the last four
/// characters, so they cannot leak into logs through `{:?}`.
impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let visible = self.0.len().saturating_sub(4);
        write!(f, "AccountNumber(****{})", &self.0[visible..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_any_script_exactly() {
        for text in [
            "Wilfred Jeremiah Owens",
            "Émilie Brontë",
            "山田太郎",
            "Иван Петров",
            "محمد",
            "Payment for Em's piano lessons 🎹",
        ] {
            assert_eq!(Text::parse(text, 255).unwrap().as_str(), text);
        }
    }

    #[test]
    fn text_that_is_blank_too_long_or_has_control_characters_is_rejected() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("a\nb", "control"),
            ("abcdef", "at most 5"),
        ];
        for (text, expected) in cases {
            let err = Text::parse(text, 5).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn text_that_would_display_as_something_else_is_rejected_naming_the_code_point() {
        let cases = [
            (
                "invoice\u{202E}fdp.exe",
                "U+202E (a bidirectional control), found at character 8",
            ),
            (
                "a\u{2067}b",
                "U+2067 (a bidirectional control), found at character 2",
            ),
            (
                "\u{200B}Alice",
                "U+200B (an invisible character), found at character 1",
            ),
            (
                "Bob\u{200D}",
                "U+200D (an invisible character), found at character 4",
            ),
            (
                "\u{FEFF}ref",
                "U+FEFF (a byte-order mark), found at character 1",
            ),
            (
                "line\u{2028}two",
                "U+2028 (a line or paragraph separator), found at character 5",
            ),
            ("x\u{FDD0}", "U+FDD0 (a noncharacter), found at character 2"),
            (
                "x\u{1FFFF}",
                "U+1FFFF (a noncharacter), found at character 2",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Text::parse(text, 255).unwrap_err(),
                format!("must not contain {expected}"),
                "{text:?}"
            );
        }
        // Right-to-left scripts need no controls to display right.
        assert!(Text::parse("محمد \u{05D0}\u{05D1}", 255).is_ok());
    }

    #[test]
    fn bearer_codes_round_trip_and_unknown_codes_are_listed() {
        for code in ["DEBT", "CRED", "SHAR", "SLEV"] {
            assert_eq!(BearerCode::parse(code).unwrap().code(), code);
        }
        assert!(BearerCode::parse("HALF")
            .unwrap_err()
            .contains("DEBT, CRED, SHAR, SLEV"));
    }

    #[test]
    fn account_numbers_are_checked_against_their_code() {
        let (iban, bban) = (
            AccountNumberCode::parse("IBAN").unwrap(),
            AccountNumberCode::parse("BBAN").unwrap(),
        );
        assert!(AccountNumber::parse("GB29XABC10161234567801", Some(&iban)).is_ok());
        assert!(AccountNumber::parse("31926819", Some(&bban)).is_ok());
        assert!(AccountNumber::parse("31926819", Some(&iban)).is_err());
        assert!(AccountNumber::parse("3192 6819", None).is_err());
        assert!(AccountNumber::parse("", None).is_err());
    }

    #[test]
    fn account_numbers_are_masked_in_debug_output() {
        let number = AccountNumber::parse("GB29XABC10161234567801", None).unwrap();
        assert_eq!(format!("{number:?}"), "AccountNumber(****7801)");
    }

    #[test]
    fn numeric_references_are_digits_only() {
        assert!(NumericReference::parse("1002001").is_ok());
        assert!(NumericReference::parse("10020O1").is_err());
        assert!(NumericReference::parse("").is_err());
    }
}
