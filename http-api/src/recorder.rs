//! The payment recorder under `/payments` (camelCase): record a payment
//! with a timestamp, a description, a currency and an amount.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use payments_domain::{
    Amount, Currency, FieldPath, PathSegment, Payment, PaymentAttributes, PaymentAttributesInput,
    PaymentId, Shown, Text, Timestamp, WireText as _,
};
use payments_ports::CreatedPayment;
use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::base_path::Links;
use crate::body;
use crate::errors;
use crate::filters::Names;
use crate::idempotency::{self, CreateRequest};
use crate::keys::Caller;
use crate::path_id::PathId;
use crate::payment_response::{self, PaymentView};
use crate::problem::{FieldProblem, Problem};
use crate::ApiState;

const COLLECTION: &str = "/payments";

/// The request body. `amount` is kept as raw JSON text so a number such as
/// `0.07` is read as the decimal it spells, never through a float.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RecordBody {
    payment_timestamp: Option<String>,
    payment_description: Option<String>,
    currency: Option<String>,
    amount: Option<Box<RawValue>>,
}

/// A recorded payment as the recorder shows it, written from the payment
/// as it is held.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    id: PaymentId,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_timestamp: Option<Shown<&'a Timestamp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_description: Option<&'a str>,
    currency: Shown<Currency>,
    /// A JSON number with exactly the digits stored (`500`, `0.07`).
    #[serde(serialize_with = "number")]
    amount: Amount,
    version: u64,
    created_on: Shown<&'a Timestamp>,
}

/// `GET /payments` lists payments in this view.
impl PaymentView for Record<'static> {
    const COLLECTION: &'static str = COLLECTION;
    const FILTERS: Names = Names::Recorder;
    type Of<'a> = Record<'a>;

    fn of(payment: &Payment) -> Result<Record<'_>, Problem> {
        let attributes = &payment.attributes;
        Ok(Record {
            id: payment.id,
            payment_timestamp: attributes.payment_timestamp.as_ref().map(Shown),
            payment_description: attributes.description.as_ref().map(Text::as_str),
            currency: Shown(attributes.money.currency()),
            amount: attributes.money.amount(),
            version: payment.version.number(),
            created_on: Shown(&payment.created_on),
        })
    }
}

/// `amount` as a JSON number of exactly its digits. A stored amount is
/// digits with an optional fraction, always a valid JSON number: failing
/// here would mean a broken invariant.
fn number<S: Serializer>(amount: &Amount, serializer: S) -> Result<S::Ok, S::Error> {
    let text = amount.wire_text();
    let raw: &RawValue = serde_json::from_str(text.as_str()).map_err(|error| {
        tracing::error!(error = %error, "a stored amount is not a JSON number");
        S::Error::custom("a stored amount is not a JSON number")
    })?;
    raw.serialize(serializer)
}

/// Where a domain field error points in a recorder body.
fn pointer(path: &FieldPath) -> String {
    let name = match path.segments() {
        [PathSegment::Field("attributes"), PathSegment::Field(name)] => *name,
        _ => "",
    };
    match name {
        "amount" => "/amount",
        "currency" => "/currency",
        "description" => "/paymentDescription",
        "payment_timestamp" => "/paymentTimestamp",
        _ => "",
    }
    .to_owned()
}

/// The amount as decimal text: a JSON number's own digits, or a string.
fn amount_text(raw: &RawValue) -> Result<String, String> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|_| "must be a decimal number".to_owned())
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "must be a decimal number or a string holding one, got {text}"
        ))
    }
}

/// `POST /payments`: record a payment. 201 with the record; 400 without a
/// body or with malformed JSON; 422 with every invalid field.
pub async fn record(
    State(state): State<ApiState>,
    request: CreateRequest,
) -> Result<Response, Problem> {
    let links = request.links.clone();
    // The recorder's ids are made by the service.
    let created = idempotency::create(&state, COLLECTION, request, |headers, body| {
        judge(&state, headers, body).map(|attributes| (None, attributes))
    })
    .await?;
    created_response(&created, &links)
}

/// The attributes a recorder body gives, judged by today's rules, or the
/// problem with the body.
fn judge(
    state: &ApiState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<PaymentAttributes, Problem> {
    let request: RecordBody = body::json(headers, body)?;

    // Missing members, the amount's form and the attributes' own problems
    // are judged in one pass, so one 422 lists every problem.
    let mut problems = Vec::new();
    for (value, at) in [
        (request.payment_timestamp.is_some(), "/paymentTimestamp"),
        (request.payment_description.is_some(), "/paymentDescription"),
        (request.currency.is_some(), "/currency"),
        (request.amount.is_some(), "/amount"),
    ] {
        if !value {
            problems.push(FieldProblem::new(at, "is required"));
        }
    }
    let amount = match request.amount.as_deref().map(amount_text) {
        Some(Err(message)) => {
            problems.push(FieldProblem::new("/amount", message));
            None
        }
        Some(Ok(text)) => Some(text),
        None => None,
    };
    // A legacy name the deployment accepts becomes its code here, so the
    // record holds the code.
    let currency = request.currency.map(|text| {
        state
            .currency_aliases
            .code_for(&text)
            .map_or(text, |currency| currency.code().to_owned())
    });
    let attributes = PaymentAttributesInput {
        amount,
        currency,
        description: request.payment_description,
        payment_timestamp: request.payment_timestamp,
        ..Default::default()
    }
    .validate();
    match attributes {
        Ok(attributes) if problems.is_empty() => Ok(attributes),
        Ok(_) => Err(Problem::validation(problems)),
        Err(invalid) => {
            for problem in errors::invalid(&invalid, &pointer).errors() {
                // A member reported above (missing, or not a number) is not
                // reported twice.
                if !problems
                    .iter()
                    .any(|known| known.pointer == problem.pointer)
                {
                    problems.push(problem.clone());
                }
            }
            Err(Problem::validation(problems))
        }
    }
}

/// `201` with the record, its `Location`, and whether it replays.
fn created_response(created: &CreatedPayment, links: &Links) -> Result<Response, Problem> {
    let payment = &created.payment;
    Ok(payment_response::created(
        Record::of(payment)?,
        created,
        &links.href(&format!("{COLLECTION}/{}", payment.id)),
    ))
}

/// `GET /payments/{id}`: any payment of the caller, in the recorder's view.
pub async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let payment = payment_response::read(&state, caller, id).await?;
    Ok(payment_response::one(
        StatusCode::OK,
        Record::of(&payment)?,
        payment.version,
    ))
}
