//! Records and reads payments through the service, on the in-memory store:
//! the library without any HTTP.
//!
//! Run with `cargo run --example embedded`.

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_domain::{OrganisationId, PaymentAttributesInput, PaymentId};
use payments_ports::{CreatePayment, HistoryRequest, PageRequest, PageSize, PaymentService};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
    let organisation = OrganisationId::parse("743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb")
        .map_err(anyhow::Error::msg)?;

    // Attributes are judged where they come in, once, by today's rules;
    // the service stores what was judged.
    let attributes = PaymentAttributesInput {
        amount: Some("500".into()),
        currency: Some("USD".into()),
        description: Some("Gym".into()),
        payment_timestamp: Some("2024-08-01T12:34:56Z".into()),
        ..Default::default()
    }
    .validate()?;
    // Record a payment the way the recorder contract does: the id is generated.
    let gym = service
        .create_payment(CreatePayment {
            organisation_id: organisation,
            id: None,
            attributes,
            idempotency: None,
        })
        .await?
        .payment;
    println!(
        "recorded {} at {} as {}",
        gym.attributes.money, gym.created_on, gym.id
    );

    // Create a Form3-style payment with a client-chosen id.
    let id =
        PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").map_err(anyhow::Error::msg)?;
    let attributes = PaymentAttributesInput {
        amount: Some("100.21".into()),
        currency: Some("GBP".into()),
        reference: Some("Payment for Em's piano lessons".into()),
        ..Default::default()
    }
    .validate()?;
    let piano = service
        .create_payment(CreatePayment {
            organisation_id: organisation,
            id: Some(id),
            attributes,
            idempotency: None,
        })
        .await?
        .payment;

    // Update it at its current version; the history keeps both versions.
    let patch = PaymentAttributesInput {
        reference: Some("Piano lessons, January".into()),
        ..Default::default()
    };
    let updated = service
        .update_payment(organisation, piano.id, piano.version, patch)
        .await?;
    let history = service
        .payment_history(
            organisation,
            piano.id,
            HistoryRequest::first(PageSize::DEFAULT),
        )
        .await?;
    println!(
        "payment {} is at version {}, history has {} events",
        updated.id,
        updated.version,
        history.events.len()
    );

    // Bad input is refused with every problem named, before anything is
    // stored.
    let bad = PaymentAttributesInput {
        amount: Some("5.5".into()),
        currency: Some("Dollars".into()),
        ..Default::default()
    };
    if let Err(errors) = bad.validate() {
        for error in errors.errors() {
            println!("refused: {}: {}", error.path, error.message);
        }
    }

    // List the organisation's payments, oldest first.
    let page = service
        .list_payments(organisation, PageRequest::first(PageSize::DEFAULT))
        .await?;
    for payment in &page.payments {
        println!(
            "{} v{} {}",
            payment.id, payment.version, payment.attributes.money
        );
    }
    Ok(())
}
