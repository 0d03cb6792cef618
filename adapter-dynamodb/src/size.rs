//! Item sizes by DynamoDB's billing rules, to keep the figures in the crate
//! docs honest (`cargo test -p adapter-dynamodb item_sizes -- --nocapture`
//! prints them).

use aws_sdk_dynamodb::types::AttributeValue;

use crate::item::Item;

/// The size DynamoDB bills for an item: for each attribute, the UTF-8
/// length of its name plus the size of its value.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// The size of one value: strings and binaries by length; numbers one byte
/// per two significant digits plus one; booleans and nulls one byte; lists
/// and maps three bytes plus one per element (maps also pay each key).
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(members) => {
            3 + members
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        // Bool, Null, and anything a later SDK adds.
        _ => 1,
    }
}

fn number_size(number: &str) -> usize {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// Write units for a standard write of `size` bytes (1 per KB or part).
pub(crate) fn write_units(size: usize) -> usize {
    size.div_ceil(1024).max(1)
}

/// Read units for a strongly consistent read of `size` bytes (1 per 4 KB
/// or part).
pub(crate) fn read_units(size: usize) -> usize {
    size.div_ceil(4096).max(1)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use payments_domain::Payment;
    use payments_ports::testkit::fixtures::{
        fingerprint, form3_attributes, form3_attributes_json, idempotency_key, instant,
        organisation, payment_id,
    };

    use super::*;
    use crate::item::{event_item, idempotency_item, live_payment_item, tombstone_item};
    use crate::keys;

    #[test]
    fn sizes_follow_dynamodb_rules() {
        let item = HashMap::from([
            ("PK".to_owned(), AttributeValue::S("abc".into())),
            ("n".to_owned(), AttributeValue::N("1704067200000000".into())),
            ("v".to_owned(), AttributeValue::N("0".into())),
            ("b".to_owned(), AttributeValue::Bool(true)),
            (
                "m".to_owned(),
                AttributeValue::M(HashMap::from([(
                    "k".to_owned(),
                    AttributeValue::S("xy".into()),
                )])),
            ),
        ]);

        // PK+abc 5; n + 8 significant digits -> 5; v + 1; b + 1; m + 3 + 1 + k + xy
        assert_eq!(item_size(&item), 5 + 6 + 2 + 2 + (1 + 3 + 1 + 1 + 2));
    }

    /// The attributes as a DynamoDB map of strings (numbers kept as
    /// strings too), the alternative to one JSON string.
    fn as_map(value: &serde_json::Value) -> AttributeValue {
        match value {
            serde_json::Value::Object(members) => AttributeValue::M(
                members
                    .iter()
                    .map(|(name, v)| (name.clone(), as_map(v)))
                    .collect(),
            ),
            serde_json::Value::Array(values) => {
                AttributeValue::L(values.iter().map(as_map).collect())
            }
            serde_json::Value::String(text) => AttributeValue::S(text.clone()),
            other => AttributeValue::N(other.to_string()),
        }
    }

    #[test]
    fn item_sizes() {
        let created = Payment::create(
            payment_id(),
            organisation(),
            form3_attributes(),
            instant(0, 123_456),
        );
        let updated = created
            .payment
            .update(
                &payments_ports::testkit::fixtures::reference_patch("Em's piano, February"),
                instant(60, 0),
            )
            .expect("valid");
        let payment = live_payment_item(&created.payment).expect("encodes");
        let event = event_item(&created).expect("encodes");
        let key = idempotency_key();
        let idempotency = idempotency_item(
            created.payment.organisation_id,
            &key,
            &fingerprint(&"f".repeat(64)),
            created.payment.id,
            created.occurred_on,
            instant(86_400, 123_456),
        );
        let tombstone = tombstone_item(&updated.payment.delete(instant(120, 0)).payment);
        let mut as_map_item = payment.clone();
        as_map_item.insert(
            keys::ATTRIBUTES.to_owned(),
            as_map(&form3_attributes_json()),
        );

        let sizes = [
            ("payment item (Form3 sample)", item_size(&payment)),
            (
                "  the same with attributes as a map",
                item_size(&as_map_item),
            ),
            ("creation event item", item_size(&event)),
            (
                "update event item",
                item_size(&event_item(&updated).expect("encodes")),
            ),
            (
                "idempotency item (64-char fingerprint, 40-char key)",
                item_size(&idempotency),
            ),
            ("tombstone item", item_size(&tombstone)),
            (
                "  of the payment item: the attributes JSON",
                keys::ATTRIBUTES.len() + value_size(&payment[keys::ATTRIBUTES]),
            ),
        ];
        for (what, size) in sizes {
            println!(
                "{what:55} {size:5} bytes  {} WCU/write  {} RCU/consistent read",
                write_units(size),
                read_units(size)
            );
        }

        // The figures the crate docs quote (ids and the key have fixed
        // lengths, so they do not vary); a change to the item layout must
        // update them there.
        assert_eq!(key.as_str().len(), 40);
        assert_eq!(
            sizes.map(|(_, size)| size),
            [1635, 1432, 1504, 1489, 263, 164, 1282],
            "item sizes changed: update the crate docs"
        );
        assert_eq!(
            write_units(item_size(&payment)),
            write_units(item_size(&as_map_item)),
            "the attributes as a map would now bill fewer units than as JSON"
        );
    }
}
