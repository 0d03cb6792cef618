//! Legacy currency names a deployment accepts on the recorder route
//! (`PAYMENTS_CURRENCY_ALIASES=Dollars=USD,Pounds=GBP`).
//!
//! The original recorder's clients send names such as `"Dollars"`. Without
//! an alias such a request is a 422 that suggests the codes the name may
//! mean; with one, the name becomes its code before the body is judged,
//! and the record stores (and answers with) the code.

use std::collections::HashMap;

use payments_domain::Currency;

/// Currency names, each mapped to one active ISO 4217 code. Names match
/// whole and without regard to ASCII case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrencyAliases(HashMap<String, Currency>);

impl CurrencyAliases {
    /// No aliases: every currency must be sent as its code.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `name=CODE,name=CODE` (the `PAYMENTS_CURRENCY_ALIASES`
    /// format); empty text is no aliases.
    ///
    /// # Errors
    /// A message naming the entry when it is not `name=CODE`, its code is
    /// not an active ISO 4217 code, its name is itself a code, or its name
    /// is listed twice.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut aliases = HashMap::new();
        let entries = list.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let Some((name, code)) = entry
                .split_once('=')
                .map(|(name, code)| (name.trim(), code.trim()))
                .filter(|(name, _)| !name.is_empty())
            else {
                return Err(format!("entry {position} is not of the form name=CODE"));
            };
            let currency =
                Currency::parse(code).map_err(|message| format!("entry {position}: {message}"))?;
            if Currency::parse(name).is_ok() {
                return Err(format!(
                    "entry {position}: {name:?} is a currency code itself, not a name"
                ));
            }
            if aliases
                .insert(name.to_ascii_lowercase(), currency)
                .is_some()
            {
                return Err(format!("entry {position}: {name:?} is listed twice"));
            }
        }
        Ok(Self(aliases))
    }

    /// The code `text` stands for, when it is an alias.
    pub fn code_for(&self, text: &str) -> Option<Currency> {
        self.0.get(&text.to_ascii_lowercase()).copied()
    }

    /// How many aliases there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_their_codes_whatever_their_case() {
        let aliases = CurrencyAliases::parse("Dollars=USD, Pounds = GBP").unwrap();

        assert_eq!(aliases.len(), 2);
        assert_eq!(
            aliases.code_for("dollars").map(|c| c.code().to_owned()),
            Some("USD".into())
        );
        assert_eq!(
            aliases.code_for("POUNDS").map(|c| c.code().to_owned()),
            Some("GBP".into())
        );
        assert_eq!(aliases.code_for("Dollar"), None);
        assert!(CurrencyAliases::parse("").unwrap().is_empty());
    }

    #[test]
    fn bad_entries_are_refused_naming_them() {
        let cases = [
            ("Dollars", "entry 1 is not of the form name=CODE"),
            ("Dollars=USD,=GBP", "entry 2 is not of the form name=CODE"),
            (
                "Dollars=XXX",
                r#"entry 1: "XXX" is not an ISO 4217 currency code"#,
            ),
            (
                "EUR=USD",
                r#"entry 1: "EUR" is a currency code itself, not a name"#,
            ),
            (
                "Dollars=USD,dollars=CAD",
                r#"entry 2: "dollars" is listed twice"#,
            ),
        ];
        for (list, expected) in cases {
            assert_eq!(
                CurrencyAliases::parse(list).unwrap_err(),
                expected,
                "{list}"
            );
        }
    }
}
