//! Loading a Form3 payment list (`{"data": [...], "links": {...}}`), or one
//! payment document (`{"data": {...}}`).

use std::fmt;
use std::path::Path;

use anyhow::Context as _;
use payments_domain::{OrganisationId, PaymentAttributesInput, PaymentId};
use payments_ports::{CreatePayment, CreatePaymentError, PaymentService};
use serde::Deserialize;

/// A Form3 payment list, or one payment document (`{"data": {...}}`, as
/// `GET /v1/payments/{id}` answers and the public sample is written): a
/// list of one.
#[derive(Deserialize)]
struct PaymentList {
    data: Entries,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entries {
    Many(Vec<serde_json::Value>),
    One(serde_json::Map<String, serde_json::Value>),
}

impl Entries {
    fn into_vec(self) -> Vec<serde_json::Value> {
        match self {
            Entries::Many(entries) => entries,
            Entries::One(entry) => vec![serde_json::Value::Object(entry)],
        }
    }
}

/// One entry of the list, as the Form3 resource writes it.
#[derive(Deserialize)]
struct Entry {
    id: String,
    organisation_id: String,
    attributes: PaymentAttributesInput,
}

/// What loading a list did.
#[derive(Debug, Default)]
pub struct SeedReport {
    /// Payments created now.
    pub created: usize,
    /// Payments whose id was already taken: left as they are.
    pub present: usize,
    /// Entries refused, each with its position, id (if any) and why.
    pub rejected: Vec<String>,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "created {}, already present {}, rejected {}",
            self.created,
            self.present,
            self.rejected.len()
        )?;
        for reason in &self.rejected {
            write!(f, "\n  rejected {reason}")?;
        }
        Ok(())
    }
}

/// Loads every entry of the file the way the API creates payments: each
/// entry's attributes are judged once, here, by today's rules, and the
/// service stores what was judged. Running it twice creates nothing new:
/// every id is then already present.
pub async fn load_file(service: &PaymentService, file: &Path) -> anyhow::Result<SeedReport> {
    let text = tokio::fs::read_to_string(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let list: PaymentList = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a Form3 payment list or payment document",
            file.display()
        )
    })?;
    let mut report = SeedReport::default();
    for (index, value) in list.data.into_vec().into_iter().enumerate() {
        let position = index + 1;
        let entry: Entry = match serde_json::from_value(value) {
            Ok(entry) => entry,
            Err(error) => {
                report.rejected.push(format!("#{position}: {error}"));
                continue;
            }
        };
        let (id, organisation) = match (
            PaymentId::parse(&entry.id),
            OrganisationId::parse(&entry.organisation_id),
        ) {
            (Ok(id), Ok(organisation)) => (id, organisation),
            (Err(error), _) | (_, Err(error)) => {
                report.rejected.push(format!("#{position}: {error}"));
                continue;
            }
        };
        let attributes = match entry.attributes.validate() {
            Ok(attributes) => attributes,
            Err(errors) => {
                report
                    .rejected
                    .push(format!("#{position} ({id}): {errors}"));
                continue;
            }
        };
        let request = CreatePayment {
            organisation_id: organisation,
            id: Some(id),
            attributes,
            idempotency: None,
        };
        match service.create_payment(request).await {
            Ok(_) => report.created += 1,
            Err(CreatePaymentError::AlreadyExists) => report.present += 1,
            Err(error) => {
                return Err(error).with_context(|| format!("storing entry #{position} ({id})"))
            }
        }
    }
    Ok(report)
}
