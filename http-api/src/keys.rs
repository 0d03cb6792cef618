//! API keys: each belongs to one organisation, which scopes every read and
//! write made with it, and may carry its own usage plan.

use std::collections::HashMap;
use std::fmt;

use axum::extract::FromRequestParts;
use http::request::Parts;
use payments_domain::OrganisationId;
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::usage_plan::{UsagePlan, UsagePlanError};
use crate::ApiState;

/// The header clients send their key in.
pub const API_KEY: &str = "x-api-key";
/// The same, parsed once (a `&str` name is parsed on every use).
const API_KEY_NAME: http::HeaderName = http::HeaderName::from_static(API_KEY);

/// The known API keys, their organisations and any usage plan of their
/// own. Only SHA-256 digests of the keys are held, so a memory dump or a
/// `{:?}` shows no key.
///
/// A key's own plan is applied only by a Router whose state has usage
/// plans ([`ApiState::with_usage_plans`]); the Lambda front end leaves
/// limits to API Gateway and ignores it.
#[derive(Clone, Default)]
pub struct ApiKeys {
    organisations: foldhash::HashMap<[u8; 32], OrganisationId>,
    plans: foldhash::HashMap<[u8; 32], UsagePlan>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeys({} keys)", self.organisations.len())
    }
}

/// The form a key is held and looked up in.
pub(crate) fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Why a list of API keys could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeysError {
    /// An entry is not `key:organisation-uuid`.
    #[error("API key entry {position} is not of the form key:organisation-uuid")]
    Malformed {
        /// 1-based position of the entry in the list.
        position: usize,
    },
    /// The key of an entry is too short or has unsafe characters.
    #[error("API key entry {position}: keys must be at least 16 visible ASCII characters without ':' or ','")]
    WeakKey {
        /// 1-based position of the entry in the list.
        position: usize,
    },
    /// A key is listed twice (for one organisation or two): which one was
    /// meant cannot be told, so the list is refused.
    #[error("API key entries {first} and {second} have the same key; list each key once")]
    Repeated {
        /// 1-based position of the first entry with the key.
        first: usize,
        /// 1-based position of the entry that repeats it.
        second: usize,
    },
    /// [`ApiKeys::insert`] was given a key it already holds.
    #[error("the API key is already known")]
    AlreadyKnown,
    /// The organisation of an entry is not a UUID.
    #[error("API key entry {position}: {message}")]
    Organisation {
        /// 1-based position of the entry in the list.
        position: usize,
        /// What is wrong with the organisation id.
        message: String,
    },
    /// The usage plan of an entry (`key:organisation-uuid:plan`) is not
    /// valid.
    #[error("API key entry {position}: {reason}")]
    UsagePlan {
        /// 1-based position of the entry in the list.
        position: usize,
        /// What is wrong with the plan.
        reason: UsagePlanError,
    },
}

impl ApiKeys {
    /// The shortest key accepted: short keys are guessable.
    pub const MIN_KEY_LEN: usize = 16;

    /// No keys: every payment request is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key for an organisation.
    ///
    /// # Errors
    /// When the key is shorter than [`ApiKeys::MIN_KEY_LEN`] or holds
    /// spaces, control characters, `:` or `,`, or is already known.
    pub fn insert(&mut self, key: &str, organisation: OrganisationId) -> Result<(), ApiKeysError> {
        let safe = key.len() >= Self::MIN_KEY_LEN
            && key
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b':' && b != b',');
        if !safe {
            return Err(ApiKeysError::WeakKey {
                position: self.organisations.len() + 1,
            });
        }
        match self.organisations.entry(digest(key)) {
            std::collections::hash_map::Entry::Occupied(_) => Err(ApiKeysError::AlreadyKnown),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(organisation);
                Ok(())
            }
        }
    }

    /// How many keys carry a usage plan of their own.
    pub fn with_plans(&self) -> usize {
        self.plans.len()
    }

    /// Adds a key for an organisation with its own usage plan: the limits
    /// `plan` sets replace the defaults for this key; those it leaves
    /// unset are the defaults' (see [`ApiState::with_usage_plans`]).
    ///
    /// # Errors
    /// As [`ApiKeys::insert`].
    pub fn insert_with_plan(
        &mut self,
        key: &str,
        organisation: OrganisationId,
        plan: UsagePlan,
    ) -> Result<(), ApiKeysError> {
        self.insert(key, organisation)?;
        if !plan.is_unlimited() {
            self.plans.insert(digest(key), plan);
        }
        Ok(())
    }

    /// Reads `key1:org-uuid1,key2:org-uuid2` (the `PAYMENTS_API_KEYS`
    /// format). An entry may end with the key's own usage plan after a
    /// third `:`, written as [`UsagePlan::parse`] reads it:
    /// `key1:org-uuid1:rate=5;burst=10;quota=1000`. Errors name the entry
    /// by position, never the key.
    ///
    /// # Errors
    /// When an entry is malformed, its key weak, its organisation not a
    /// UUID, its plan not valid, or its key listed before.
    pub fn parse(list: &str) -> Result<Self, ApiKeysError> {
        let mut keys = Self::new();
        let mut positions = HashMap::new();
        for (index, entry) in list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let position = index + 1;
            let (key, rest) = entry
                .split_once(':')
                .ok_or(ApiKeysError::Malformed { position })?;
            // Keys hold no ':' and UUIDs none either, so a third part can
            // only be the plan.
            let (organisation, plan) = match rest.split_once(':') {
                Some((organisation, plan)) => (organisation, Some(plan)),
                None => (rest, None),
            };
            let organisation = OrganisationId::parse(organisation.trim())
                .map_err(|message| ApiKeysError::Organisation { position, message })?;
            let plan = plan
                .map(UsagePlan::parse)
                .transpose()
                .map_err(|reason| ApiKeysError::UsagePlan { position, reason })?
                .unwrap_or_default();
            if let Some(&first) = positions.get(&digest(key.trim())) {
                return Err(ApiKeysError::Repeated {
                    first,
                    second: position,
                });
            }
            keys.insert_with_plan(key.trim(), organisation, plan)
                .map_err(|_| ApiKeysError::WeakKey { position })?;
            positions.insert(digest(key.trim()), position);
        }
        Ok(keys)
    }

    /// The organisation a key belongs to.
    pub fn organisation(&self, key: &str) -> Option<OrganisationId> {
        self.organisations.get(&digest(key)).copied()
    }

    /// The key's own usage plan, when it has one.
    pub fn usage_plan(&self, key: &str) -> Option<UsagePlan> {
        self.plans.get(&digest(key)).copied()
    }

    /// Every key as its digest, with its organisation and own plan.
    pub(crate) fn entries(
        &self,
    ) -> impl Iterator<Item = ([u8; 32], OrganisationId, Option<UsagePlan>)> + '_ {
        self.organisations
            .iter()
            .map(|(digest, organisation)| (*digest, *organisation, self.plans.get(digest).copied()))
    }

    /// How many keys are known.
    pub fn len(&self) -> usize {
        self.organisations.len()
    }

    /// Whether no key is known.
    pub fn is_empty(&self) -> bool {
        self.organisations.is_empty()
    }
}

/// The organisation behind the request's API key. Extracting it answers 401
/// when the key is missing or unknown.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The organisation every read and write of this request is scoped to.
    pub organisation_id: OrganisationId,
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(API_KEY_NAME)
            .and_then(|value| value.to_str().ok())
            .and_then(|key| state.keys.organisation(key))
            .map(|organisation_id| Caller { organisation_id })
            .ok_or_else(Problem::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";

    #[test]
    fn a_key_list_maps_each_key_to_its_organisation() {
        let keys = ApiKeys::parse(&format!(
            "alpha-key-0123456789:{ORG}, beta-key-0123456789:{ORG}"
        ))
        .unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys.organisation("beta-key-0123456789")
                .unwrap()
                .to_string(),
            ORG
        );
        assert_eq!(keys.organisation("gamma-key-0123456789"), None);
    }

    #[test]
    fn bad_entries_are_refused_without_echoing_the_key() {
        let cases = [
            ("secret-key-0123456789", "not of the form"),
            ("short:743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb", "at least 16"),
            ("secret-key-0123456789:not-a-uuid", "organisation id"),
        ];
        for (list, expected) in cases {
            let message = ApiKeys::parse(list).unwrap_err().to_string();
            assert!(message.contains(expected), "{list}: {message}");
            assert!(!message.contains("secret-key"), "the key leaked: {message}");
        }
    }

    #[test]
    fn a_key_listed_twice_is_refused_naming_both_entries() {
        let other = "2a8cbd4e-02f7-4d4f-8d2e-9a6c3b7a1f10";
        let list = format!(
            "alpha-key-0123456789:{ORG},beta-key-0123456789:{ORG},alpha-key-0123456789:{other}"
        );

        let error = ApiKeys::parse(&list).unwrap_err();

        assert!(
            matches!(
                error,
                ApiKeysError::Repeated {
                    first: 1,
                    second: 3
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "API key entries 1 and 3 have the same key; list each key once"
        );
        let mut keys = ApiKeys::new();
        keys.insert("alpha-key-0123456789", ORG.parse().unwrap())
            .unwrap();
        assert!(matches!(
            keys.insert("alpha-key-0123456789", other.parse().unwrap()),
            Err(ApiKeysError::AlreadyKnown)
        ));
    }

    #[test]
    fn an_entry_may_end_with_the_keys_own_usage_plan() {
        let keys = ApiKeys::parse(&format!(
            "alpha-key-0123456789:{ORG}:rate=5;burst=10;quota=1000,beta-key-0123456789:{ORG}"
        ))
        .unwrap();

        assert_eq!(
            keys.usage_plan("alpha-key-0123456789"),
            Some(UsagePlan::parse("rate=5;burst=10;quota=1000").unwrap())
        );
        assert_eq!(keys.usage_plan("beta-key-0123456789"), None);
        assert_eq!(
            keys.organisation("alpha-key-0123456789")
                .unwrap()
                .to_string(),
            ORG
        );
    }

    #[test]
    fn a_bad_usage_plan_is_refused_naming_the_entry_without_echoing_a_key() {
        let other = "2a8cbd4e-02f7-4d4f-8d2e-9a6c3b7a1f10";
        let cases = [
            (
                format!("alpha-key-0123456789:{ORG},secret-key-0123456789:{ORG}:rate=fast"),
                "API key entry 2: the rate must be a positive number of requests per second",
            ),
            (
                // A ':' typed for a ',' puts the next key where the plan goes.
                format!("alpha-key-0123456789:{ORG}:secret-key-0123456789:{other}"),
                "API key entry 1: usage plan setting 1 is not rate=N, burst=N or quota=N",
            ),
            (
                format!("secret-key-0123456789:{ORG}:"),
                "API key entry 1: the usage plan names no setting; write rate=N, burst=N or quota=N",
            ),
        ];
        for (list, expected) in cases {
            let message = ApiKeys::parse(&list).unwrap_err().to_string();

            assert_eq!(message, expected, "{list}");
            assert!(!message.contains("secret-key"), "the key leaked: {message}");
        }
    }

    #[test]
    fn debug_output_shows_no_key() {
        let keys = ApiKeys::parse(&format!("alpha-key-0123456789:{ORG}")).unwrap();
        assert_eq!(format!("{keys:?}"), "ApiKeys(1 keys)");
    }
}
