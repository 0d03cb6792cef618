//! The attribute rules, as a table of inputs and the reason each must pass or
//! fail, around the public Form3 sample payment.

#![allow(clippy::unwrap_used)]
use payments_domain::{
    EventKind, OrganisationId, Payment, PaymentAttributesInput, PaymentAttributesView, PaymentId,
    StorageFormat, StoredAttributes, Timestamp, Version,
};
use serde_json::Value;

const SAMPLE: &str = include_str!("../../tests/data/form3-sample-payment.json");

fn sample_attributes_json() -> Value {
    let document: Value = serde_json::from_str(SAMPLE).unwrap();
    document["data"]["attributes"].clone()
}

fn sample_input() -> PaymentAttributesInput {
    serde_json::from_value(sample_attributes_json()).unwrap()
}

/// The sample with one attribute (a JSON Pointer below `attributes`) set.
fn sample_with(pointer: &str, value: Value) -> PaymentAttributesInput {
    let mut json = sample_attributes_json();
    *json
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} is in the sample")) = value;
    serde_json::from_value(json).unwrap()
}

#[test]
fn the_form3_sample_validates_and_serialises_back_string_for_string() {
    let attributes = sample_input()
        .validate()
        .expect("the Form3 sample is valid");

    let written = serde_json::to_value(PaymentAttributesInput::from(&attributes)).unwrap();

    assert_eq!(written, sample_attributes_json());
    assert_eq!(
        written["charges_information"]["sender_charges"][0]["amount"],
        "5.00"
    );
    assert_eq!(written["fx"]["exchange_rate"], "2.00000");
    assert_eq!(written["amount"], "100.21");
}

#[test]
fn the_storage_form_reads_back_into_equal_attributes() {
    let attributes = sample_input().validate().unwrap();
    let json = serde_json::to_string(&StoredAttributes::from(&attributes)).unwrap();

    let read: StoredAttributes = serde_json::from_str(&json).unwrap();

    assert_eq!(read.restore(StorageFormat::CURRENT).unwrap(), attributes);
    // Format 1 has the members of the documents earlier releases wrote.
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        sample_attributes_json()
    );
}

#[test]
fn each_invalid_value_is_rejected_with_an_error_at_its_path() {
    // (attribute, value, expected path, expected words, reason)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("/currency", "Dollars", "attributes.currency", "ISO 4217", "not an ISO 4217 code"),
        ("/amount", "100.123", "attributes.amount", "GBP allows at most 2", "three places in GBP"),
        ("/amount", "-1", "attributes.amount", "greater than zero", "negative"),
        ("/amount", "0", "attributes.amount", "greater than zero", "zero"),
        ("/amount", "ten", "attributes.amount", "decimal number", "not a number"),
        ("/processing_date", "18/01/2017", "attributes.processing_date", "YYYY-MM-DD", "malformed date"),
        ("/processing_date", "2017-02-30", "attributes.processing_date", "YYYY-MM-DD", "no such day"),
        ("/charges_information/bearer_code", "HALF", "attributes.charges_information.bearer_code", "bearer code", "unknown bearer code"),
        ("/charges_information/sender_charges/1/currency", "Dollars", "attributes.charges_information.sender_charges[1].currency", "ISO 4217", "bad charge currency"),
        ("/charges_information/sender_charges/0/amount", "5.001", "attributes.charges_information.sender_charges[0].amount", "GBP allows at most 2", "charge too precise"),
        ("/fx/exchange_rate", "0", "attributes.fx.exchange_rate", "greater than zero", "zero rate"),
        ("/fx/original_currency", "usd", "attributes.fx.original_currency", "ISO 4217", "lower-case code"),
        ("/debtor_party/account_number_code", "SWIFT", "attributes.debtor_party.account_number_code", "IBAN or BBAN", "unknown account number code"),
        ("/beneficiary_party/name", "", "attributes.beneficiary_party.name", "empty", "blank name"),
        ("/numeric_reference", "10O2", "attributes.numeric_reference", "digits", "letter in a numeric reference"),
        ("/reference", "line\nbreak", "attributes.reference", "control", "control character"),
    ];
    for (pointer, value, path, words, reason) in cases {
        let errors = sample_with(pointer, Value::from(*value))
            .validate()
            .expect_err(reason);

        let error = errors.errors().iter().find(|e| e.path.to_string() == *path);
        let error = error.unwrap_or_else(|| panic!("{reason}: no error at {path} in {errors}"));
        assert!(
            error.message.contains(words),
            "{reason}: {:?} lacks {words:?}",
            error.message
        );
        assert_eq!(
            errors.errors().len(),
            1,
            "{reason}: exactly one problem, got {errors}"
        );
    }
}

#[test]
fn amounts_in_each_currency_follow_its_minor_units() {
    let cases = [
        ("1.234", "BHD", true, "BHD has three places"),
        ("1.2345", "BHD", false, "four places in BHD"),
        ("5", "JPY", true, "yen has no places"),
        ("5.5", "JPY", false, "half a yen"),
        ("0.07", "USD", true, "seven cents"),
        ("1234567.89", "USD", true, "a large amount"),
    ];
    for (amount, currency, valid, reason) in cases {
        let input = PaymentAttributesInput {
            amount: Some(amount.into()),
            currency: Some(currency.into()),
            ..Default::default()
        };
        assert_eq!(input.validate().is_ok(), valid, "{reason}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut json = sample_attributes_json();
    json["currency"] = "Dollars".into();
    json["processing_date"] = "someday".into();
    json["charges_information"]["bearer_code"] = "HALF".into();
    json["charges_information"]["sender_charges"][1]["amount"] = "-3".into();
    let input: PaymentAttributesInput = serde_json::from_value(json).unwrap();

    let errors = input.validate().unwrap_err();

    let paths: Vec<String> = errors.errors().iter().map(|e| e.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "attributes.currency",
            "attributes.charges_information.bearer_code",
            "attributes.charges_information.sender_charges[1].amount",
            "attributes.processing_date",
        ]
    );
}

#[test]
fn amount_and_currency_are_required() {
    let errors = PaymentAttributesInput::default().validate().unwrap_err();
    let paths: Vec<String> = errors.errors().iter().map(|e| e.path.to_string()).collect();
    assert_eq!(paths, ["attributes.amount", "attributes.currency"]);
    assert!(errors.errors().iter().all(|e| e.message == "is required"));
}

#[test]
fn half_of_an_optional_amount_pair_is_reported_on_the_missing_half() {
    let input = sample_with(
        "/charges_information/receiver_charges_currency",
        Value::Null,
    );
    let errors = input.validate().unwrap_err();
    assert_eq!(
        errors.errors()[0].path.to_string(),
        "attributes.charges_information.receiver_charges_currency"
    );
    assert!(errors.errors()[0]
        .message
        .contains("receiver_charges_amount"));
}

#[test]
fn names_and_references_in_any_script_are_accepted_unchanged() {
    let mut input = sample_input();
    input.reference = Some("Оплата за уроки фортепиано".into());
    input.beneficiary_party.as_mut().unwrap().name = Some("山田 太郎".into());
    input.description = Some("سداد دروس البيانو 🎹".into());

    let attributes = input.clone().validate().unwrap();

    assert_eq!(PaymentAttributesInput::from(&attributes), input);
}

#[test]
fn the_borrowed_view_writes_the_same_bytes_as_the_input_form() {
    let mut escaped = sample_input();
    escaped.reference = Some("a \"quoted\" \\ back\\slash, and \u{e9}t\u{e9}".into());
    escaped.beneficiary_party.as_mut().unwrap().name = Some("山田 太郎".into());
    let mut bare = PaymentAttributesInput {
        amount: Some("10".into()),
        currency: Some("JPY".into()),
        ..PaymentAttributesInput::default()
    };
    let mut several_charges = sample_input();
    let charges = several_charges.charges_information.as_mut().unwrap();
    let first = charges.sender_charges.as_ref().unwrap()[0].clone();
    charges.sender_charges = Some(vec![first.clone(), first]);
    charges.receiver_charges_amount = None;
    charges.receiver_charges_currency = None;
    bare.sponsor_party = None;
    let cases = [
        (sample_input(), "the Form3 sample"),
        (escaped, "text JSON must escape, and beyond ASCII"),
        (bare, "only what is required"),
        (several_charges, "two sender charges, no receiver charges"),
    ];
    for (input, case) in cases {
        let attributes = input.validate().unwrap();
        let view = serde_json::to_string(&PaymentAttributesView::from(&attributes)).unwrap();
        let owned = serde_json::to_string(&PaymentAttributesInput::from(&attributes)).unwrap();
        assert_eq!(view, owned, "{case}");
    }
}

#[test]
fn unknown_attributes_are_refused_when_reading_json() {
    let mut json = sample_attributes_json();
    json["colour"] = "blue".into();
    let err = serde_json::from_value::<PaymentAttributesInput>(json).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn sample_created() -> payments_domain::PaymentEvent {
    Payment::create(
        PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap(),
        OrganisationId::parse("743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb").unwrap(),
        sample_input().validate().unwrap(),
        at("2024-01-01T00:00:00Z"),
    )
}

#[test]
fn creation_starts_at_version_zero_and_records_a_created_event() {
    let event = sample_created();
    assert_eq!(event.kind, EventKind::Created);
    assert_eq!(event.version(), Version::INITIAL);
    assert_eq!(event.payment.created_on, event.payment.modified_on);
}

#[test]
fn an_update_changes_only_the_attributes_given() {
    let payment = sample_created().payment;
    let patch: PaymentAttributesInput = serde_json::from_value(serde_json::json!({
        "reference": "New reference",
        "beneficiary_party": { "name": "W J Owens" },
        "charges_information": { "sender_charges": [{ "amount": "1.00", "currency": "GBP" }] }
    }))
    .unwrap();

    let event = payment.update(&patch, at("2024-01-02T00:00:00Z")).unwrap();

    let after =
        serde_json::to_value(PaymentAttributesInput::from(&event.payment.attributes)).unwrap();
    let mut expected = sample_attributes_json();
    expected["reference"] = "New reference".into();
    expected["beneficiary_party"]["name"] = "W J Owens".into();
    expected["charges_information"]["sender_charges"] =
        serde_json::json!([{ "amount": "1.00", "currency": "GBP" }]);
    assert_eq!(after, expected);
    assert_eq!(event.kind, EventKind::Updated);
    assert_eq!(event.version(), Version::new(1));
    assert_eq!(
        (event.payment.id, event.payment.organisation_id),
        (payment.id, payment.organisation_id)
    );
    assert_eq!(event.payment.created_on, payment.created_on);
    assert_eq!(event.payment.modified_on, at("2024-01-02T00:00:00Z"));
}

#[test]
fn an_update_is_checked_against_the_attributes_it_keeps() {
    let payment = sample_created().payment; // 100.21 GBP
    let patch = PaymentAttributesInput {
        currency: Some("JPY".into()),
        ..Default::default()
    };
    let errors = payment
        .update(&patch, at("2024-01-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(errors.errors()[0].path.to_string(), "attributes.amount");
    assert!(errors.errors()[0].message.contains("JPY allows at most 0"));
}

/// A payment as an earlier release stored it: in kuna (withdrawn in 2023)
/// with a description longer than today's limit and a bearer code no
/// longer accepted.
fn stored_under_older_rules() -> Payment {
    let document = serde_json::json!({
        "amount": "150.50",
        "currency": "HRK",
        "description": "d".repeat(1_500),
        "charges_information": { "bearer_code": "XXXX" },
        "debtor_party": { "account_number": "31926819", "account_number_code": "BBAN" }
    });
    let stored: StoredAttributes = serde_json::from_value(document).unwrap();
    let attributes = stored.restore(StorageFormat::UNRECORDED).unwrap();
    Payment::create(
        PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap(),
        OrganisationId::parse("743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb").unwrap(),
        attributes,
        at("2022-06-01T00:00:00Z"),
    )
    .payment
}

#[test]
fn a_payment_stored_under_older_rules_reads_back_exactly() {
    let payment = stored_under_older_rules();

    let wire = serde_json::to_value(PaymentAttributesInput::from(&payment.attributes)).unwrap();

    assert_eq!(wire["currency"], "HRK");
    assert_eq!(wire["amount"], "150.50");
    assert_eq!(wire["description"], "d".repeat(1_500));
    assert_eq!(wire["charges_information"]["bearer_code"], "XXXX");
}

#[test]
fn an_update_judges_what_it_changes_not_what_it_leaves_alone() {
    let payment = stored_under_older_rules();
    let patch = PaymentAttributesInput {
        reference: Some("Invoice 12".into()),
        ..Default::default()
    };

    let event = payment.update(&patch, at("2024-01-02T00:00:00Z")).unwrap();

    let mut expected = payment.attributes.clone();
    expected.reference = Some(payments_domain::Text::parse("Invoice 12", 255).unwrap());
    assert_eq!(event.payment.attributes, expected);
}

#[test]
fn an_update_of_what_ties_to_a_stored_member_is_judged_against_it() {
    let payment = stored_under_older_rules(); // 150.50 HRK, a BBAN debtor account
                                              // (patch, path of the one error, message, reason)
    let cases = [
        (
            serde_json::json!({ "amount": "99.00" }),
            "attributes.amount",
            "cannot be written in HRK, which is no longer an ISO 4217 currency in use",
            "a new amount in a withdrawn currency",
        ),
        (
            serde_json::json!({ "currency": "JPY" }),
            "attributes.amount",
            "amount \"150.50\" has 2 decimal places but JPY allows at most 0",
            "the stored amount against a new currency",
        ),
        (
            serde_json::json!({ "debtor_party": { "account_number_code": "IBAN" } }),
            "attributes.debtor_party.account_number_code",
            "the stored account number is not shaped like an IBAN (country code, two check digits, 11 to 30 letters or digits)",
            "a new code against the stored number",
        ),
        (
            serde_json::json!({ "description": "d".repeat(1_001) }),
            "attributes.description",
            "must be at most 1000 characters, got 1001",
            "a description sent is held to today's limit",
        ),
    ];
    for (patch, path, message, reason) in cases {
        let patch: PaymentAttributesInput = serde_json::from_value(patch).unwrap();

        let errors = payment
            .update(&patch, at("2024-01-02T00:00:00Z"))
            .expect_err(reason);

        let found: Vec<(String, &str)> = errors
            .errors()
            .iter()
            .map(|e| (e.path.to_string(), e.message.as_str()))
            .collect();
        assert_eq!(found, [(path.to_owned(), message)], "{reason}");
    }
    let euro: PaymentAttributesInput =
        serde_json::from_value(serde_json::json!({ "currency": "EUR" })).unwrap();
    let moved = payment.update(&euro, at("2024-01-02T00:00:00Z")).unwrap();
    assert_eq!(moved.payment.attributes.money.to_string(), "150.50 EUR");
}

#[test]
fn stored_documents_are_read_by_shape_and_problems_name_members_not_values() {
    // (document, message, reason)
    let cases = [
        (
            serde_json::json!({ "amount": "1O0", "currency": "GBP" }),
            "stored attributes cannot be read: amount is not a decimal number",
            "an amount that is no number",
        ),
        (
            serde_json::json!({ "amount": "100", "currency": "pounds" }),
            "stored attributes cannot be read: currency is not three upper-case letters",
            "a currency without the ISO 4217 form",
        ),
        (
            serde_json::json!({ "amount": "100", "currency": "GBP", "fx": { "original_amount": "5" } }),
            "stored attributes cannot be read: fx.original_amount and original_currency must be stored together",
            "half a pair",
        ),
        (
            serde_json::json!({ "amount": "100", "currency": "GBP", "payment_timestamp": "Jane Doe" }),
            "stored attributes cannot be read: payment_timestamp does not have its stored shape",
            "a timestamp that is not one, without quoting it",
        ),
    ];
    for (document, message, reason) in cases {
        let stored: StoredAttributes = serde_json::from_value(document).unwrap();

        let error = stored.restore(StorageFormat::CURRENT).expect_err(reason);

        assert_eq!(error.to_string(), message, "{reason}");
    }
    let unknown = serde_json::json!({ "amount": "100", "currency": "GBP", "colour": "red" });
    assert!(serde_json::from_value::<StoredAttributes>(unknown).is_err());
    assert_eq!(
        StorageFormat::from_number(2).unwrap_err().to_string(),
        "stored attributes cannot be read: storage format 2 is newer than this release reads (up to 1)"
    );
}

#[test]
fn deletion_records_the_payment_at_the_next_version() {
    let payment = sample_created().payment;
    let event = payment.delete(at("2024-01-03T00:00:00Z"));
    assert_eq!(event.kind, EventKind::Deleted);
    assert_eq!(event.version(), Version::new(1));
    assert_eq!(event.payment.attributes, payment.attributes);
}
