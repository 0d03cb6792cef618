//! Free text and coded values of a payment.

use std::fmt;

/// Free text a client supplied (a name, an address, a reference): any
/// Unicode, kept exactly as written, between 1 and `max` characters, with no
/// control characters (they break logs and downstream files).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
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
        Ok(Self(text.to_owned()))
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
pub struct NumericReference(String);

impl NumericReference {
    /// Checks that `text` is 1 to 35 ASCII digits.
    ///
    /// # Errors
    /// A message when it is not.
    pub fn parse(text: &str) -> Result<Self, String> {
        if !text.is_empty() && text.len() <= 35 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!("{text:?} must be 1 to 35 digits"))
        }
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

/// Who pays the charges of a payment (ISO 20022 charge bearer codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BearerCode {
    /// `DEBT`: the debtor pays all charges.
    Debtor,
    /// `CRED`: the creditor (beneficiary) pays all charges.
    Creditor,
    /// `SHAR`: each side pays its own bank's charges.
    Shared,
    /// `SLEV`: charges follow the rules of the payment scheme.
    FollowingServiceLevel,
}

impl BearerCode {
    const CODES: [(&'static str, BearerCode); 4] = [
        ("DEBT", BearerCode::Debtor),
        ("CRED", BearerCode::Creditor),
        ("SHAR", BearerCode::Shared),
        ("SLEV", BearerCode::FollowingServiceLevel),
    ];

    /// Parses one of `DEBT`, `CRED`, `SHAR`, `SLEV`.
    ///
    /// # Errors
    /// A message listing the accepted codes.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::CODES
            .iter()
            .find(|(code, _)| *code == text)
            .map(|(_, bearer)| *bearer)
            .ok_or_else(|| {
                format!("{text:?} is not a bearer code (expected one of DEBT, CRED, SHAR, SLEV)")
            })
    }

    /// The four-letter code.
    pub fn code(self) -> &'static str {
        Self::CODES
            .iter()
            .find(|(_, bearer)| *bearer == self)
            .map_or("", |(code, _)| code)
    }
}

/// How an account number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountNumberCode {
    /// `IBAN`: an International Bank Account Number.
    Iban,
    /// `BBAN`: a domestic (basic) bank account number.
    Bban,
}

impl AccountNumberCode {
    /// Parses `IBAN` or `BBAN`.
    ///
    /// # Errors
    /// A message listing the accepted codes.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "IBAN" => Ok(Self::Iban),
            "BBAN" => Ok(Self::Bban),
            _ => Err(format!(
                "{text:?} is not an account number code (expected IBAN or BBAN)"
            )),
        }
    }

    /// The code as written on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::Iban => "IBAN",
            Self::Bban => "BBAN",
        }
    }
}

/// An account number: 1 to 34 ASCII letters and digits. An IBAN must also
/// have the IBAN shape (two-letter country, two check digits, then 11 to 30
/// letters or digits). The IBAN check digits are not verified: Form3's own
/// sample payment carries an IBAN whose check digits do not verify, and a
/// recorder of payments must accept what the scheme accepted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Checks `text` as an account number written per `code` (when known).
    ///
    /// # Errors
    /// A message when the text is not such an account number.
    pub fn parse(text: &str, code: Option<AccountNumberCode>) -> Result<Self, String> {
        let alphanumeric = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        if text.is_empty() || text.len() > 34 || !alphanumeric(text) {
            return Err("must be 1 to 34 upper-case letters or digits".to_owned());
        }
        if code == Some(AccountNumberCode::Iban) {
            let bytes = text.as_bytes();
            let shaped = (15..=34).contains(&text.len())
                && bytes[..2].iter().all(u8::is_ascii_uppercase)
                && bytes[2..4].iter().all(u8::is_ascii_digit);
            if !shaped {
                return Err("is not shaped like an IBAN (country code, two check digits, 11 to 30 letters or digits)".to_owned());
            }
        }
        Ok(Self(text.to_owned()))
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
        assert!(
            AccountNumber::parse("GB29XABC10161234567801", Some(AccountNumberCode::Iban)).is_ok()
        );
        assert!(AccountNumber::parse("31926819", Some(AccountNumberCode::Bban)).is_ok());
        assert!(AccountNumber::parse("31926819", Some(AccountNumberCode::Iban)).is_err());
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
