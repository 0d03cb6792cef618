//! What judging and storing a payment's attributes costs: the work every
//! create and every read of a stored payment does.
//!
//! `cargo bench -p payments-domain --bench validation`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use payments_domain::{PaymentAttributesInput, StorageFormat, StoredAttributes};

const SAMPLE: &str = include_str!("../../tests/data/form3-sample-payment.json");

fn sample_attributes_json() -> String {
    let document: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    document["data"]["attributes"].to_string()
}

fn validation(c: &mut Criterion) {
    let json = sample_attributes_json();
    let input: PaymentAttributesInput = serde_json::from_str(&json).unwrap();
    let attributes = input.validate().unwrap();

    c.bench_function("validate the Form3 sample's attributes", |b| {
        b.iter(|| black_box(&input).validate().unwrap());
    });
    c.bench_function(
        "read stored attributes JSON (parse and restore by shape)",
        |b| {
            b.iter(|| {
                serde_json::from_str::<StoredAttributes>(black_box(&json))
                    .unwrap()
                    .restore(StorageFormat::CURRENT)
                    .unwrap()
            });
        },
    );
    c.bench_function("write attributes JSON (storage form)", |b| {
        b.iter(|| serde_json::to_string(&StoredAttributes::from(black_box(&attributes))).unwrap());
    });
}

criterion_group!(benches, validation);
criterion_main!(benches);
