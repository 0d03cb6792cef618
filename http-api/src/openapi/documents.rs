//! The schemas of the bodies the API reads and writes, each on the type
//! that reads or writes it. The request types are deliberately lax (every
//! problem is reported with its pointer, not refused by serde), so their
//! schemas state the rules the handlers and the domain apply.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

use super::attributes::{Attributes, AttributesPatch};
use super::rules::{self, reference, schema, CurrencyCode};
use crate::form3::{CreateDocument, Document, EventResource, PaymentResource, UpdateDocument};
use crate::pagination::ListLinks;
use crate::payment_response::ListDocument;
use crate::problem::{Problem, PROBLEM_TYPES, TYPE_PREFIX};
use crate::recorder::{Record, RecordBody};
use crate::reports::ReportDocument;

/// The example ids: the Form3 sample payment's.
pub(crate) const EXAMPLE_ID: &str = "4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43";
/// The Form3 sample payment's organisation.
pub(crate) const EXAMPLE_ORGANISATION: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";

component!(PaymentResource<'static>, "PaymentResource", |generator| {
    schema(json!({
        "type": "object",
        "required": ["type", "id", "version", "organisation_id", "created_on", "modified_on", "attributes"],
        "properties": {
            "type": { "const": crate::form3::RESOURCE_TYPE },
            "id": rules::uuid(),
            "version": rules::version(),
            "organisation_id": rules::uuid(),
            "created_on": rules::date_time(),
            "modified_on": rules::date_time(),
            "attributes": reference::<Attributes>(generator),
        },
    }))
});

component!(ListLinks, "Links", |_generator| {
    schema(json!({
        "type": "object",
        "required": ["self"],
        "properties": { "self": { "type": "string" }, "next": { "type": "string" } },
    }))
});

component!(
    Document<PaymentResource<'static>>,
    "PaymentDocument",
    |generator| {
        schema(json!({
            "type": "object",
            "properties": {
                "data": reference::<PaymentResource<'static>>(generator),
                "links": reference::<ListLinks>(generator),
            },
        }))
    }
);

/// A page of `T`.
fn page_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    schema(json!({
        "type": "object",
        "properties": {
            "data": { "type": "array", "items": reference::<T>(generator) },
            "links": reference::<ListLinks>(generator),
        },
    }))
}

component!(
    ListDocument<PaymentResource<'static>>,
    "PaymentList",
    |generator| { page_of::<PaymentResource<'static>>(generator) }
);

component!(
    ListDocument<EventResource<'static>>,
    "EventList",
    |generator| { page_of::<EventResource<'static>>(generator) }
);

component!(ListDocument<Record<'static>>, "RecordList", |generator| {
    page_of::<Record<'static>>(generator)
});

/// The `data` of a posted payment document: `required` members, the
/// version's schema and the attributes'.
fn posted_data(required: &[&str], version: &Value, attributes: &Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": {
            "type": { "const": crate::form3::RESOURCE_TYPE },
            "id": { "type": "string", "format": "uuid", "examples": [EXAMPLE_ID] },
            "organisation_id": { "type": "string", "format": "uuid", "examples": [EXAMPLE_ORGANISATION] },
            "version": version,
            "attributes": attributes,
        },
    })
}

component!(CreateDocument, "NewPaymentDocument", |generator| {
    let data = posted_data(
        &["id", "organisation_id", "attributes"],
        &json!({ "const": 0 }),
        &reference::<Attributes>(generator),
    );
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["data"],
        "properties": {
            "data": data,
            "links": {
                "type": "object",
                "additionalProperties": { "type": "string" },
                "description": "Accepted so a fetched document can be posted back; not kept.",
            },
        },
    }))
});

component!(UpdateDocument, "PatchPaymentDocument", |generator| {
    let data = posted_data(
        &["id", "version", "attributes"],
        &rules::version(),
        &reference::<AttributesPatch>(generator),
    );
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["data"],
        "properties": { "data": data },
    }))
});

component!(EventResource<'static>, "PaymentEvent", |generator| {
    let kinds: Vec<&str> = payments_domain::EventKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    schema(json!({
        "type": "object",
        "required": ["type", "event", "version", "occurred_on", "payment"],
        "properties": {
            "type": { "const": crate::form3::EVENT_TYPE },
            "event": { "enum": kinds },
            "version": { "type": "integer" },
            "occurred_on": rules::date_time(),
            "payment": reference::<PaymentResource<'static>>(generator),
        },
    }))
});

component!(RecordBody, "RecordRequest", |generator| {
    schema(json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["paymentTimestamp", "paymentDescription", "currency", "amount"],
        "properties": {
            "paymentTimestamp": {
                "type": "string",
                "format": "date-time",
                "description": "RFC 3339, at most microsecond precision",
            },
            "paymentDescription": rules::description(),
            "currency": reference::<CurrencyCode>(generator),
            "amount": {
                "oneOf": [{ "type": "number", "exclusiveMinimum": 0 }, rules::amount()],
                "description": "A JSON number or a decimal string; read as an exact decimal, never a float",
            },
        },
        "anyOf": rules::places_by_currency("amount", "currency"),
    }))
});

component!(Record<'static>, "Record", |generator| {
    schema(json!({
        "type": "object",
        "required": ["id", "currency", "amount", "version", "createdOn"],
        "properties": {
            "id": rules::uuid(),
            "paymentTimestamp": rules::date_time(),
            "paymentDescription": { "type": "string" },
            "currency": reference::<CurrencyCode>(generator),
            "amount": { "type": "number", "description": "Exactly the digits stored" },
            "version": { "type": "integer" },
            "createdOn": rules::date_time(),
        },
    }))
});

component!(Problem, "Problem", |_generator| {
    let types: Vec<String> = PROBLEM_TYPES
        .iter()
        .map(|kind| format!("{TYPE_PREFIX}{kind}"))
        .collect();
    schema(json!({
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {
                "type": "string",
                "enum": types,
                "description": "Stable: clients may switch on it.",
            },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "request_id": { "type": "string" },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["pointer", "detail"],
                    "properties": {
                        "pointer": { "type": "string", "description": "JSON Pointer into the request body" },
                        "detail": { "type": "string" },
                    },
                },
            },
        },
    }))
});

component!(ReportDocument, "ReportDocument", |generator| {
    schema(json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["from", "to", "totals"],
                "properties": {
                    "from": { "type": "string", "format": "date-time", "description": "The period's first instant, in UTC" },
                    "to": { "type": "string", "format": "date-time", "description": "The first instant after the period, in UTC" },
                    "totals": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["currency", "count", "amount"],
                            "properties": {
                                "currency": reference::<CurrencyCode>(generator),
                                "count": { "type": "integer", "minimum": 1 },
                                "amount": {
                                    "type": "string",
                                    "pattern": r"^[0-9]+(\.[0-9]+)?(?!\n)$",
                                    "description": "The exact sum, with at least the currency's minor units (1234.50 for GBP, 7 for JPY)",
                                },
                            },
                        },
                    },
                },
            },
        },
    }))
});
