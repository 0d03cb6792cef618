//! The single-table design: key formats and attribute names, in one place so
//! the items, the queries and the table definition cannot drift apart.

use payments_domain::{IdempotencyKey, OrganisationId, PaymentId, Timestamp, Version};
use payments_ports::{ListOrder, PageCursor, PageRequest};

/// Partition key of every item.
pub const PK: &str = "PK";
/// Sort key of every item.
pub const SK: &str = "SK";
/// Partition key of the listing index: the organisation.
pub const GSI1PK: &str = "GSI1PK";
/// Sort key of the listing index: creation time, then id.
pub const GSI1SK: &str = "GSI1SK";
/// The global secondary index for org-scoped, time-ordered listing.
pub const GSI1: &str = "GSI1";

/// The organisation that owns a payment (S, hyphenated UUID).
pub const ORGANISATION_ID: &str = "organisation_id";
/// The payment's version (N).
pub const VERSION: &str = "version";
/// `created_on` in microseconds since the Unix epoch (N).
pub const CREATED_ON: &str = "created_on";
/// `modified_on` in microseconds since the Unix epoch (N).
pub const MODIFIED_ON: &str = "modified_on";
/// `live` or `deleted` (S), on payment items.
pub const STATUS: &str = "status";
/// The payment attributes in the domain's storage form, as JSON (S).
pub const ATTRIBUTES: &str = "attributes";
/// The storage format of [`ATTRIBUTES`] (N); absent on items written
/// before formats were recorded, which read as format 0.
pub const ATTRIBUTES_FORMAT: &str = "attributes_format";
/// The kind of an event: `created`, `updated`, `deleted` (S).
pub const KIND: &str = "kind";
/// When an event happened, in microseconds since the Unix epoch (N).
pub const OCCURRED_ON: &str = "occurred_on";
/// The request fingerprint stored with an idempotency key (S).
pub const FINGERPRINT: &str = "fingerprint";
/// The payment an idempotency key created (S, hyphenated UUID).
pub const PAYMENT_ID: &str = "payment_id";
/// When an idempotency key was first used, in microseconds since the Unix
/// epoch (N); what decides its expiry. Absent on keys written before it
/// was recorded: their first use is their payment's creation.
pub const FIRST_USED_ON: &str = "first_used_on";
/// When an idempotency key expires, in seconds since the Unix epoch (N):
/// the table's time-to-live attribute, so DynamoDB deletes expired keys.
pub const EXPIRES_AT: &str = "expires_at";

/// [`STATUS`] of a payment that can be read, listed and changed.
pub const LIVE: &str = "live";
/// [`STATUS`] of a tombstone: keeps the id taken and the history scoped.
pub const DELETED: &str = "deleted";

/// Sort key of the payment item.
pub const PAYMENT_SK: &str = "PAYMENT";
/// Sort key prefix of event items.
pub const EVENT_SK_PREFIX: &str = "EVENT#";
/// Sort key of idempotency items.
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";

const PAYMENT_PK_PREFIX: &str = "PAYMENT#";

/// `PAYMENT#<id>`: the partition of a payment and its events, so one
/// consistent query reads a whole history.
pub fn payment_pk(id: PaymentId) -> String {
    format!("{PAYMENT_PK_PREFIX}{id}")
}

/// The payment id in a [`payment_pk`], if it is one.
pub fn parse_payment_pk(pk: &str) -> Option<PaymentId> {
    pk.strip_prefix(PAYMENT_PK_PREFIX)
        .and_then(|id| PaymentId::parse(id).ok())
}

/// `EVENT#<version, 20 digits>`: zero-padded so the sort key orders events
/// by version (`u64::MAX` has 20 digits).
pub fn event_sk(version: Version) -> String {
    format!("{EVENT_SK_PREFIX}{:020}", version.number())
}

/// `IDEMPOTENCY#<org>#<key>`: keys are scoped to the organisation. The
/// organisation id has a fixed length, so a `#` inside the key cannot make
/// two scopes collide.
pub fn idempotency_pk(organisation: OrganisationId, key: &IdempotencyKey) -> String {
    format!("IDEMPOTENCY#{organisation}#{}", key.as_str())
}

/// `ORG#<org>`: one index partition per organisation, so a listing is a
/// query, never a scan.
pub fn organisation_gsi1pk(organisation: OrganisationId) -> String {
    format!("ORG#{organisation}")
}

/// `<created_on micros, 19 digits>#<id>`: sorts as `(created_on, id)`, the
/// listing order. 19 digits hold every non-negative `i64`; the hyphenated
/// lower-case UUID sorts as the id does. `None` before 1970: the service's
/// clock never gives such a time, and the item encoder refuses it rather
/// than store a key that sorts wrongly.
pub fn listing_gsi1sk(created_on: Timestamp, id: PaymentId) -> Option<String> {
    let micros = u64::try_from(created_on.unix_micros()).ok()?;
    Some(format!("{micros:019}#{id}"))
}

/// The [`listing_gsi1sk`] of the payment a cursor points after.
pub fn cursor_gsi1sk(cursor: &PageCursor) -> Option<String> {
    listing_gsi1sk(cursor.created_on, cursor.id)
}

/// The [`GSI1SK`] values a page may read, both ends inclusive (`None`:
/// open), for `request`'s created bounds and cursor; `None` when no key can
/// be inside. Every listing key has the same length (19 digits, `#`, a
/// hyphenated UUID), which makes exclusive ends exact inclusive strings:
/// the first key after `k` is at least `k` + `" "` (a space sorts before
/// every character of a key), and the last key before `k` is at most `k`
/// with its last character one lower, then `char::MAX`.
pub fn listing_bounds(request: &PageRequest) -> Option<(Option<String>, Option<String>)> {
    let micros = |at: Timestamp| u64::try_from(at.unix_micros()).ok();
    let mut lower: Option<String> = None;
    let mut upper: Option<String> = None;
    if let Some(from) = request.created.from {
        // Before 1970 bounds nothing: no key is that early.
        lower = micros(from).map(|m| format!("{m:019}#"));
    }
    if let Some(to) = request.created.to {
        upper = Some(format!("{:019}", micros(to)?));
    }
    if let Some(cursor) = request.after {
        match (request.order, cursor_gsi1sk(&cursor)) {
            (ListOrder::OldestFirst, Some(key)) => {
                lower = lower.max(Some(format!("{key} ")));
            }
            // A cursor before 1970 comes before every payment.
            (ListOrder::OldestFirst, None) => {}
            (ListOrder::NewestFirst, Some(key)) => {
                let before = just_before(&key)?;
                upper = Some(match upper {
                    Some(upper) => upper.min(before),
                    None => before,
                });
            }
            (ListOrder::NewestFirst, None) => return None,
        }
    }
    match (&lower, &upper) {
        (Some(low), Some(high)) if low > high => None,
        _ => Some((lower, upper)),
    }
}

/// The greatest string below every listing key that `key` is not below.
fn just_before(key: &str) -> Option<String> {
    let mut characters: Vec<char> = key.chars().collect();
    let last = characters.pop()?;
    let lower = char::from_u32(u32::from(last).checked_sub(1)?)?;
    characters.push(lower);
    characters.push(char::MAX);
    Some(characters.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_sort_keys_order_like_created_on_then_id() {
        let early = Timestamp::from_unix_micros(999_999).unwrap();
        let late = Timestamp::from_unix_micros(1_000_000).unwrap();
        let low = PaymentId::parse("0fffffff-ffff-4fff-bfff-ffffffffffff").unwrap();
        let high = PaymentId::parse("a0000000-0000-4000-8000-000000000000").unwrap();

        let mut keys = [
            listing_gsi1sk(late, low).unwrap(),
            listing_gsi1sk(early, high).unwrap(),
            listing_gsi1sk(early, low).unwrap(),
        ];
        keys.sort();

        assert_eq!(
            keys,
            [
                listing_gsi1sk(early, low).unwrap(),
                listing_gsi1sk(early, high).unwrap(),
                listing_gsi1sk(late, low).unwrap(),
            ]
        );
    }

    #[test]
    fn instants_before_1970_have_no_listing_key() {
        let before = Timestamp::from_unix_micros(-1).unwrap();
        let id = PaymentId::parse("0fffffff-ffff-4fff-bfff-ffffffffffff").unwrap();
        assert_eq!(listing_gsi1sk(before, id), None);
    }

    #[test]
    fn event_sort_keys_order_by_version() {
        assert!(event_sk(Version::new(9)) < event_sk(Version::new(10)));
        assert_eq!(event_sk(Version::new(u64::MAX)).len(), "EVENT#".len() + 20);
    }

    #[test]
    fn payment_partition_keys_round_trip() {
        let id = PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap();
        assert_eq!(parse_payment_pk(&payment_pk(id)), Some(id));
        assert_eq!(
            parse_payment_pk("ORG#4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43"),
            None
        );
    }
}
