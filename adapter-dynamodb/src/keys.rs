//! The single-table design: key formats and attribute names, in one place so
//! the items, the queries and the table definition cannot drift apart.

use payments_domain::{Bounds, IdempotencyKey, OrganisationId, PaymentId, Timestamp, Version};
use payments_ports::{ListOrder, PageRequest, PeriodRequest};

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
/// Sort key of the period index: when the payment counts in a report
/// (`Payment::reported_on`), then id.
pub const GSI2SK: &str = "GSI2SK";
/// The global secondary index of reports and exports: partitioned by
/// [`GSI1PK`] (the organisation) like the listing, sorted by [`GSI2SK`].
pub const GSI2: &str = "GSI2";

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

/// The first 19 characters of a listing key at `at` (`None` before 1970).
fn listing_instant(at: Timestamp) -> Option<String> {
    u64::try_from(at.unix_micros())
        .ok()
        .map(|micros| format!("{micros:019}"))
}

/// `<reported_on, 20 digits>#<id>`: sorts as `(reported_on, id)`. A
/// payment timestamp is the client's and may be before 1970, so the
/// microseconds are shifted by 2⁶³ (the sign bit flipped), which maps every
/// `i64` in order onto a `u64` of at most 20 digits.
pub fn period_gsi2sk(reported_on: Timestamp, id: PaymentId) -> String {
    format!("{}#{id}", period_instant(reported_on))
}

/// The first 20 characters of a period key at `at`.
fn period_instant(at: Timestamp) -> String {
    let shifted = at.unix_micros().cast_unsigned() ^ (1 << 63);
    format!("{shifted:020}")
}

/// The [`GSI1SK`] values a page may read, both ends inclusive (`None`:
/// open), for `request`'s created bounds and cursor; `None` when no key can
/// be inside.
pub fn listing_bounds(request: &PageRequest) -> Option<(Option<String>, Option<String>)> {
    let after = request.after.map(|cursor| (cursor.created_on, cursor.id));
    index_bounds(request.created, after, request.order, listing_instant)
}

/// The [`GSI2SK`] values a read of a period may return, as
/// [`listing_bounds`].
pub fn period_bounds(request: &PeriodRequest) -> Option<(Option<String>, Option<String>)> {
    let after = request.after.map(|cursor| (cursor.reported_on, cursor.id));
    index_bounds(request.period, after, ListOrder::OldestFirst, |at| {
        Some(period_instant(at))
    })
}

/// The sort keys of an index a read may return, both ends inclusive, for
/// `bounds` on the instant and a cursor `after` in `order`. `instant`
/// writes the fixed-length instant that starts each key (`None`: before
/// every key). Every key has the same length (the instant, `#`, a
/// hyphenated UUID), which makes exclusive ends exact inclusive strings:
/// the first key after `k` is at least `k` + `" "` (a space sorts before
/// every character of a key), and the last key before `k` is at most `k`
/// with its last character one lower, then `char::MAX`.
fn index_bounds(
    bounds: Bounds<Timestamp>,
    after: Option<(Timestamp, PaymentId)>,
    order: ListOrder,
    instant: impl Fn(Timestamp) -> Option<String>,
) -> Option<(Option<String>, Option<String>)> {
    let mut lower: Option<String> = None;
    let mut upper: Option<String> = None;
    if let Some(from) = bounds.from {
        // An instant before every key bounds nothing.
        lower = instant(from).map(|at| format!("{at}#"));
    }
    if let Some(to) = bounds.to {
        upper = Some(instant(to)?);
    }
    if let Some((at, id)) = after {
        let key = instant(at).map(|at| format!("{at}#{id}"));
        match (order, key) {
            (ListOrder::OldestFirst, Some(key)) => {
                lower = lower.max(Some(format!("{key} ")));
            }
            // A cursor before every key comes before every payment.
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
    fn period_sort_keys_order_like_reported_on_then_id_also_before_1970() {
        let id = PaymentId::parse("0fffffff-ffff-4fff-bfff-ffffffffffff").unwrap();
        let instants = [i64::MIN, -1_000_000, -1, 0, 1, 1_000_000, i64::MAX]
            .map(|micros| Timestamp::from_unix_micros(micros).ok());
        let keys: Vec<String> = instants
            .iter()
            .flatten()
            .map(|at| period_gsi2sk(*at, id))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        assert!(keys.len() >= 5, "{keys:?}");
        assert!(
            keys.iter().all(|key| key.len() == keys[0].len()),
            "{keys:?}"
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
