//! Idempotency keys sent with a create.

use std::fmt;

/// A client's key for one logical create: retrying with the same key
/// replays the first outcome instead of creating again. 1 to 255 visible
/// ASCII characters (letters, digits, punctuation; no spaces).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Checks `key` against the rules above.
    ///
    /// # Errors
    /// A message when the key is empty, too long, or has other characters.
    pub fn parse(key: &str) -> Result<Self, String> {
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(format!(
                "must be 1 to {} characters, got {}",
                Self::MAX_LEN,
                key.len()
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be visible ASCII characters without spaces".to_owned());
        }
        Ok(Self(key.to_owned()))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_up_to_255_visible_characters_are_accepted() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("8e03978e-40d5-43e8-bc93-6894a57f9324").is_ok());
    }

    #[test]
    fn empty_long_or_spaced_keys_are_rejected() {
        for bad in [
            String::new(),
            "k".repeat(256),
            "has space".to_owned(),
            "tab\t".to_owned(),
            "ключ".to_owned(),
        ] {
            assert!(IdempotencyKey::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
