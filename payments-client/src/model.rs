//! What the API answers, as the client reads it.

use payments_domain::{Amount, OrganisationId, PaymentAttributesInput, PaymentId};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A payment as the Form3 resource shows it (`GET /v1/payments/{id}`).
///
/// The attributes are kept as the server sent them, so an attribute a
/// newer server adds never breaks an older client;
/// [`attributes`](Self::attributes) reads them into the domain's wire
/// type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Payment {
    /// The payment's id.
    pub id: PaymentId,
    /// Its version: what an update or a delete must name.
    pub version: u64,
    /// The organisation that owns it (the API key's).
    pub organisation_id: OrganisationId,
    /// When it was created (RFC 3339, UTC).
    pub created_on: String,
    /// When it last changed.
    pub modified_on: String,
    /// Its attributes, as sent.
    #[serde(rename = "attributes")]
    pub raw_attributes: serde_json::Map<String, serde_json::Value>,
}

impl Payment {
    /// The attributes in the domain's wire type.
    ///
    /// # Errors
    /// When they hold a member this client's domain types do not know (a
    /// newer server's); [`raw_attributes`](Self::raw_attributes) still has
    /// them.
    pub fn attributes(&self) -> Result<PaymentAttributesInput, serde_json::Error> {
        serde_json::from_value(serde_json::Value::Object(self.raw_attributes.clone()))
    }

    /// `attributes.amount`, exactly as stored.
    pub fn amount(&self) -> Option<&str> {
        self.raw_attributes.get("amount")?.as_str()
    }

    /// `attributes.currency`.
    pub fn currency(&self) -> Option<&str> {
        self.raw_attributes.get("currency")?.as_str()
    }
}

/// A payment as the recorder shows it (`POST /payments`, `GET /payments/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The payment's id.
    pub id: PaymentId,
    /// When the money moved, when recorded.
    #[serde(default)]
    pub payment_timestamp: Option<String>,
    /// What it was for.
    #[serde(default)]
    pub payment_description: Option<String>,
    /// The ISO 4217 code.
    pub currency: String,
    /// The amount, exactly as recorded (the wire's JSON number, never a
    /// float).
    #[serde(deserialize_with = "exact_amount")]
    pub amount: Amount,
    /// Its version.
    pub version: u64,
    /// When it was created.
    pub created_on: String,
}

/// A JSON number read as its digits, never through a float.
fn exact_amount<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    let text = raw.get();
    let digits = text.trim_matches('"');
    Amount::parse(digits).map_err(serde::de::Error::custom)
}

/// What to record: the recorder contract's body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRecord {
    /// When the money moved (RFC 3339).
    pub payment_timestamp: String,
    /// What it was for.
    pub payment_description: String,
    /// An ISO 4217 code.
    pub currency: String,
    /// The amount as a decimal string (`"500"`, `"0.07"`).
    pub amount: String,
}

/// One change of a payment (`GET /v1/payments/{id}/events`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    /// `created`, `updated` or `deleted`.
    #[serde(rename = "event")]
    pub kind: String,
    /// The version the change made.
    pub version: u64,
    /// When it happened.
    pub occurred_on: String,
    /// The payment right after the change.
    pub payment: Payment,
}

/// A page of a listing: its items and the link to the next.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ListPage<T> {
    pub data: Vec<T>,
    pub links: Links,
}

/// `links` of a page.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Links {
    #[serde(default)]
    pub next: Option<String>,
}

/// `{"data": ...}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Document<T> {
    pub data: T,
}

/// A report: per currency, the count and exact sum of a period.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Report {
    /// The period's first instant.
    pub from: String,
    /// The first instant after it.
    pub to: String,
    /// One line per currency, by code.
    pub totals: Vec<TotalLine>,
}

/// One currency's line of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TotalLine {
    /// The ISO 4217 code.
    pub currency: String,
    /// How many payments.
    pub count: u64,
    /// Their exact sum, as a decimal string.
    pub amount: String,
}
