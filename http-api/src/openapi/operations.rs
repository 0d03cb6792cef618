//! What each route's operation says: id, summary, parameters, body,
//! responses and links. The Router takes each of these beside its handler
//! (`lib.rs`), so a route cannot be served undocumented.

use aide::generate::in_context;
use aide::openapi::{
    Example, Header, Link, LinkOperation, MediaType, Operation, Parameter, ReferenceOr,
    RequestBody, Response, SchemaObject, StatusCode,
};
use aide::transform::TransformOperation;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde_json::{json, Value};

use super::documents::EXAMPLE_ID;
use super::rules::{self, schema, CurrencyCode};
use crate::filters::{Names, Target};
use crate::form3::{CreateDocument, Document, EventResource, PaymentResource, UpdateDocument};
use crate::payment_response::ListDocument;
use crate::problem::Problem;
use crate::recorder::{Record, RecordBody};
use crate::reports::ReportDocument;
use crate::PROBLEM_JSON;
use payments_ports::{PageSize, MAX_PAGE_SIZE};

/// What describes one route's operation.
pub(crate) type Describe = for<'a> fn(TransformOperation<'a>) -> TransformOperation<'a>;

/// The description of a route served but not being documented: nothing.
pub(crate) fn undescribed(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op
}

/// `T`'s component, registering it.
fn component<T: JsonSchema>() -> SchemaObject {
    in_context(|context| object(context.schema.subschema_for::<T>()))
}

/// A schema in aide's model.
fn object(json_schema: schemars::Schema) -> SchemaObject {
    SchemaObject {
        json_schema,
        external_docs: None,
        example: None,
    }
}

/// A response with a body of `T` as JSON.
fn json<T: JsonSchema>(description: &str) -> Response {
    json_schema(description, component::<T>())
}

/// A response with a JSON body of `schema`.
fn json_schema(description: &str, schema: SchemaObject) -> Response {
    Response {
        description: description.to_owned(),
        content: IndexMap::from([(
            "application/json".to_owned(),
            MediaType {
                schema: Some(schema),
                ..MediaType::default()
            },
        )]),
        ..Response::default()
    }
}

/// A problem+json response.
pub(super) fn problem(description: &str) -> Response {
    Response {
        description: description.to_owned(),
        content: IndexMap::from([(
            PROBLEM_JSON.to_owned(),
            MediaType {
                schema: Some(component::<Problem>()),
                ..MediaType::default()
            },
        )]),
        ..Response::default()
    }
}

/// Adds `response` at `status`.
fn respond(operation: &mut Operation, status: u16, response: Response) {
    operation
        .responses
        .get_or_insert_with(Default::default)
        .responses
        .insert(StatusCode::Code(status), ReferenceOr::Item(response));
}

/// The responses of every route behind an API key, after its own success.
fn keyed(operation: &mut Operation) {
    respond(
        operation,
        400,
        problem("No body, malformed JSON or a bad parameter"),
    );
    respond(operation, 401, problem("Missing or unknown x-api-key"));
    respond(
        operation,
        500,
        problem("Unexpected failure; the body says nothing of the cause"),
    );
    respond(
        operation,
        503,
        problem("The store is unavailable; see Retry-After"),
    );
}

/// A header of `schema`.
pub(super) fn header(description: Option<&str>, schema: Value) -> ReferenceOr<Header> {
    ReferenceOr::Item(Header {
        description: description.map(str::to_owned),
        style: aide::openapi::HeaderStyle::Simple,
        required: false,
        deprecated: None,
        format: aide::openapi::ParameterSchemaOrContent::Schema(object(rules::schema(schema))),
        example: None,
        examples: IndexMap::new(),
        extensions: IndexMap::new(),
    })
}

/// `ETag`: the version.
fn etag() -> (String, ReferenceOr<Header>) {
    (
        "ETag".to_owned(),
        header(Some("The version, quoted"), json!({ "type": "string" })),
    )
}

/// `Location`: where the new payment is.
fn location() -> (String, ReferenceOr<Header>) {
    (
        "Location".to_owned(),
        header(None, json!({ "type": "string" })),
    )
}

/// `Idempotent-Replayed`: this answer is the first one's, replayed.
fn replayed() -> (String, ReferenceOr<Header>) {
    (
        "Idempotent-Replayed".to_owned(),
        header(
            Some("true when this is the first response to this Idempotency-Key, replayed; absent otherwise"),
            json!({ "const": "true" }),
        ),
    )
}

/// A link to `operation_id`, its parameters taken from the response.
fn link(
    operation_id: &str,
    description: &str,
    parameters: &[(&str, &str)],
    request_body: Option<Value>,
) -> ReferenceOr<Link> {
    ReferenceOr::Item(Link {
        description: Some(description.to_owned()),
        operation: LinkOperation::OperationId(operation_id.to_owned()),
        request_body,
        parameters: parameters
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
            .collect(),
        server: None,
        extensions: IndexMap::new(),
    })
}

const ID: (&str, &str) = ("id", "$response.body#/data/id");
const VERSION: (&str, &str) = ("version", "$response.body#/data/version");

/// Links from a payment document to the operations that take it on.
fn links(verb: &str, to: &[&str]) -> IndexMap<String, ReferenceOr<Link>> {
    to.iter()
        .map(|name| {
            let link = match *name {
                "fetch" => link("fetchPayment", "Read it back", &[ID], None),
                "update" => link(
                    "updatePayment",
                    &format!("Change it at the version {verb}"),
                    &[ID],
                    Some(json!({ "data": {
                        "type": crate::form3::RESOURCE_TYPE,
                        "id": ID.1,
                        "version": VERSION.1,
                        "attributes": { "reference": "Changed after reading" },
                    } })),
                ),
                "delete" => link(
                    "deletePayment",
                    &format!("Delete it at the version {verb}"),
                    &[ID, VERSION],
                    None,
                ),
                "history" => link("paymentHistory", "Its history", &[ID], None),
                other => unreachable!("no link named {other}"),
            };
            ((*name).to_owned(), link)
        })
        .collect()
}

/// A parameter from its JSON form.
pub(super) fn parameter(value: Value) -> ReferenceOr<Parameter> {
    ReferenceOr::Item(serde_json::from_value(value).expect("a parameter in OpenAPI's form"))
}

/// The payment id in the path.
fn path_id(example: bool) -> ReferenceOr<Parameter> {
    let mut value =
        json!({ "name": "id", "in": "path", "required": true, "schema": rules::uuid() });
    if example {
        value["example"] = json!(EXAMPLE_ID);
    }
    parameter(value)
}

/// The `Idempotency-Key` request header.
fn idempotency_key() -> ReferenceOr<Parameter> {
    parameter(json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "schema": {
            "type": "string",
            "pattern": format!("^[!-~]{{1,{}}}(?!\\n)$", payments_domain::IdempotencyKey::MAX_LEN),
        },
        "description": "1 to 255 visible ASCII characters, no spaces. A retry with the same key and body replays the first response (Idempotent-Replayed: true), even if the body would be refused today; the same key with another body is a 422. A key stays in force for the server's retention after its first use (24 hours unless configured), then counts as new.",
    }))
}

/// `page[size]` and `page[after]`.
fn paging(cursor: &str) -> [ReferenceOr<Parameter>; 2] {
    [
        parameter(json!({
            "name": crate::pagination::PAGE_SIZE,
            "in": "query",
            "schema": { "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PageSize::DEFAULT.get() },
        })),
        parameter(json!({
            "name": crate::pagination::PAGE_AFTER,
            "in": "query",
            "schema": { "type": "string", "pattern": "^[A-Za-z0-9_-]+(?!\\n)$" },
            "description": cursor,
        })),
    ]
}

/// The filter parameters of a route, from the filters it parses.
fn filters(names: Names) -> Vec<ReferenceOr<Parameter>> {
    names
        .parameters()
        .map(|(name, target)| {
            let (description, schema) = filter(names, target);
            parameter(json!({ "name": name, "in": "query", "schema": schema, "description": description }))
        })
        .collect()
}

/// What one filter means and what it takes.
fn filter(names: Names, target: Target) -> (&'static str, Value) {
    match target {
        Target::ProcessingDateFrom => ("Only payments whose processing_date is on or after this date.", rules::date()),
        Target::ProcessingDateTo => ("Only payments whose processing_date is before this date (exclusive).", rules::date()),
        Target::PaymentTimestampFrom => ("Only payments whose payment timestamp is at or after this instant.", rules::date_time()),
        Target::PaymentTimestampTo => ("Only payments whose payment timestamp is before this instant (exclusive).", rules::date_time()),
        Target::CreatedOnFrom => ("Only payments created at or after this instant. The listing's order key: an index range on every store.", rules::date_time()),
        Target::CreatedOnTo => ("Only payments created before this instant (exclusive). The listing's order key: an index range on every store.", rules::date_time()),
        Target::Currency => (
            "Only payments in this currency (an active ISO 4217 code).",
            component::<CurrencyCode>().json_schema.to_value(),
        ),
        Target::Amount => (
            "Only payments of this amount, compared as a number: 100.2 matches 100.20.",
            json!({ "type": "string", "pattern": rules::amount_pattern(None) }),
        ),
        Target::Reference => ("Only payments with exactly this reference.", exact()),
        Target::PaymentScheme => ("Only payments of exactly this scheme.", exact()),
        Target::PaymentType => ("Only payments of exactly this type.", exact()),
        Target::BeneficiaryAccountNumber => ("Only payments to exactly this account number.", exact()),
        Target::DebtorAccountNumber => ("Only payments from exactly this account number.", exact()),
        Target::OrganisationId => (
            match names {
                Names::Report => "Form3's clients send their own organisation. The API key's organisation changes nothing; any other answers empty totals (whether it exists is not told).",
                Names::Form3 | Names::Recorder => "The key's own organisation changes nothing; any other finds nothing.",
            },
            rules::uuid(),
        ),
    }
}

/// An exact-match text filter.
fn exact() -> Value {
    json!({ "type": "string", "minLength": 1 })
}

/// A request body of `T`, with named examples.
fn body<T: JsonSchema>(examples: &[(&str, Option<&str>, Value)]) -> ReferenceOr<RequestBody> {
    ReferenceOr::Item(RequestBody {
        description: None,
        content: IndexMap::from([(
            "application/json".to_owned(),
            MediaType {
                schema: Some(component::<T>()),
                examples: examples
                    .iter()
                    .map(|(name, summary, value)| {
                        (
                            (*name).to_owned(),
                            ReferenceOr::Item(Example {
                                summary: summary.map(str::to_owned),
                                value: Some(value.clone()),
                                ..Example::default()
                            }),
                        )
                    })
                    .collect(),
                ..MediaType::default()
            },
        )]),
        required: true,
        extensions: IndexMap::new(),
    })
}

const LIST_DESCRIPTION: &str = "Filters other than the created range examine at most 1,000 stored payments per request: a page may then hold fewer than page[size] payments (even none) and still have links.next, which continues the search. Filters combine with each other and with paging and sort; ranges are half-open (_from inclusive, _to exclusive). An unknown filter is a 400 listing the known ones.";

/// The parameters of a listing: paging, sort and the route's filters.
fn listing(names: Names) -> Vec<ReferenceOr<Parameter>> {
    let mut parameters = Vec::from(paging("Opaque cursor from links.next"));
    parameters.push(parameter(json!({
        "name": crate::pagination::SORT,
        "in": "query",
        "schema": { "enum": ["created_on", "-created_on"], "default": "created_on" },
    })));
    parameters.extend(filters(names));
    parameters
}

/// `POST /v1/payments`.
pub(crate) fn create_payment(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("createPayment")
        .summary("Create a payment with a client-chosen id")
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters.push(idempotency_key());
            operation.request_body = Some(body::<CreateDocument>(&[(
                "form3-sample",
                Some("The public Form3 sample payment"),
                form3_sample(),
            )]));
            let mut created = json::<Document<PaymentResource<'static>>>("Created");
            created.headers.extend([etag(), location(), replayed()]);
            created.links = links("created", &["fetch", "update", "delete", "history"]);
            respond(operation, 201, created);
            keyed(operation);
            respond(
                operation,
                403,
                problem("organisation_id is not the key's organisation"),
            );
            respond(operation, 409, problem("The id is taken"));
            respond(operation, 413, problem("Body too large"));
            respond(operation, 415, problem("Not JSON"));
            respond(
                operation,
                422,
                problem("Invalid fields, or an idempotency key reused with another body"),
            );
            op
        })
}

/// `GET /v1/payments`.
pub(crate) fn list_payments(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("listPayments")
        .summary("One page of the organisation's payments")
        .description(LIST_DESCRIPTION)
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters = listing(Names::Form3);
            respond(
                operation,
                200,
                json::<ListDocument<PaymentResource<'static>>>("A page"),
            );
            keyed(operation);
            op
        })
}

/// `GET /v1/payments/{id}`.
pub(crate) fn fetch_payment(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("fetchPayment")
        .summary("Fetch a payment")
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters.push(path_id(true));
            let mut found = json::<Document<PaymentResource<'static>>>("The payment");
            found.headers.extend([etag()]);
            found.links = links("read", &["update", "delete", "history"]);
            respond(operation, 200, found);
            keyed(operation);
            respond(
                operation,
                404,
                problem("No such payment in this organisation"),
            );
            op
        })
}

/// `PATCH /v1/payments/{id}`.
pub(crate) fn update_payment(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("updatePayment")
        .summary("Change some attributes, at the version read")
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters.push(path_id(true));
            operation.request_body = Some(body::<UpdateDocument>(&[(
                "new-reference",
                None,
                json!({ "data": {
                    "id": EXAMPLE_ID,
                    "version": 0,
                    "attributes": { "reference": "Piano lessons, January" },
                } }),
            )]));
            let mut updated = json::<Document<PaymentResource<'static>>>("The updated payment");
            updated.headers.extend([etag()]);
            updated.links = links("updated", &["fetch", "delete", "history"]);
            respond(operation, 200, updated);
            keyed(operation);
            respond(operation, 404, problem("No such payment"));
            respond(operation, 409, problem("Stale version"));
            respond(operation, 415, problem("Not JSON"));
            respond(operation, 422, problem("Invalid fields"));
            op
        })
}

/// `DELETE /v1/payments/{id}`.
pub(crate) fn delete_payment(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("deletePayment")
        .summary("Delete a payment at the version read; its history stays")
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters.push(path_id(true));
            operation.parameters.push(parameter(json!({
                "name": "version",
                "in": "query",
                "required": true,
                "schema": rules::version(),
            })));
            let mut deleted = Response {
                description: "Deleted".to_owned(),
                ..Response::default()
            };
            deleted.links.insert(
                "history".to_owned(),
                link(
                    "paymentHistory",
                    "Its history, kept after delete",
                    &[("id", "$request.path.id")],
                    None,
                ),
            );
            respond(operation, 204, deleted);
            keyed(operation);
            respond(operation, 404, problem("No such payment"));
            respond(operation, 409, problem("Stale version"));
            op
        })
}

/// `GET /v1/payments/{id}/events`.
pub(crate) fn payment_history(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("paymentHistory")
        .summary("One page of a payment's history, oldest first, also after deletion")
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters.push(path_id(true));
            operation
                .parameters
                .extend(paging("Opaque cursor from links.next of a history page"));
            respond(
                operation,
                200,
                json::<ListDocument<EventResource<'static>>>("The history"),
            );
            keyed(operation);
            respond(operation, 404, problem("No such payment"));
            op
        })
}

/// `POST /payments`.
pub(crate) fn record_payment(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("recordPayment").summary("Record a payment").with(|mut op| {
        let operation = op.inner_mut();
        operation.parameters.push(idempotency_key());
        operation.request_body = Some(body::<RecordBody>(&[
            (
                "gym",
                None,
                json!({ "paymentTimestamp": "2024-08-01T12:34:56Z", "paymentDescription": "Gym", "currency": "USD", "amount": 500 }),
            ),
            (
                "exact-decimal",
                None,
                serde_json::from_str(r#"{"paymentTimestamp": "2024-08-01T12:34:56.123456Z", "paymentDescription": "Coffee", "currency": "EUR", "amount": 0.07}"#)
                    .expect("JSON"),
            ),
        ]));
        let mut recorded = json::<Record<'static>>("Recorded");
        recorded.headers.extend([location(), replayed()]);
        respond(operation, 201, recorded);
        keyed(operation);
        respond(operation, 413, problem("Body too large"));
        respond(operation, 415, problem("Not JSON"));
        respond(
            operation,
            422,
            problem("Well-formed but invalid: each field problem has a pointer such as /currency"),
        );
        op
    })
}

/// `GET /payments`.
pub(crate) fn list_records(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("listRecords")
        .summary("One page of recorded payments")
        .description(LIST_DESCRIPTION)
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters = listing(Names::Recorder);
            respond(
                operation,
                200,
                json::<ListDocument<Record<'static>>>("A page"),
            );
            keyed(operation);
            op
        })
}

/// `GET /payments/{id}`.
pub(crate) fn fetch_record(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("fetchRecord")
        .summary("A payment in the recorder's view")
        .with(|mut op| {
            let operation = op.inner_mut();
            operation.parameters.push(path_id(false));
            respond(operation, 200, json::<Record<'static>>("The record"));
            keyed(operation);
            respond(operation, 404, problem("No such payment"));
            op
        })
}

/// `GET /v1/reports/payments`.
pub(crate) fn report_payments(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("reportPayments")
        .summary("Per currency, the count and exact sum of the organisation's payments in a period")
        .description("The period is from (inclusive) to to (exclusive); each is an RFC 3339 instant or a date, the start of that day in UTC. A payment counts at its payment timestamp when it has one, else at its creation (created_on). Deleted payments and other organisations' payments are never counted. Amounts in different currencies are never added together; a sum is exact and written with at least the currency's minor units. The equality filters of the listings narrow the report. Cost: PostgreSQL adds up an index range in SQL; DynamoDB and the memory store read every payment of the period (see the README).")
        .with(|mut op| {
            let operation = op.inner_mut();
            let instant_or_date = json!({ "oneOf": [rules::date_time(), rules::date()] });
            operation.parameters.push(parameter(json!({
                "name": crate::reports::FROM,
                "in": "query",
                "required": true,
                "schema": instant_or_date,
                "description": "The period's first instant (inclusive): an RFC 3339 instant, or a date meaning 00:00 UTC that day.",
                "example": "2024-01-01",
            })));
            operation.parameters.push(parameter(json!({
                "name": crate::reports::TO,
                "in": "query",
                "required": true,
                "schema": instant_or_date,
                "description": "The first instant after the period (exclusive): an RFC 3339 instant, or a date meaning 00:00 UTC that day. Must be after from.",
                "example": "2024-02-01",
            })));
            operation.parameters.extend(filters(Names::Report));
            let mut report = json::<ReportDocument>(
                "The totals of the period, one line per currency with payments in it, by code",
            );
            if let Some(media) = report.content.get_mut("application/json") {
                media.examples.insert(
                    "august".to_owned(),
                    ReferenceOr::Item(Example {
                        value: Some(json!({ "data": {
                            "from": "2024-08-01T00:00:00Z",
                            "to": "2024-09-01T00:00:00Z",
                            "totals": [
                                { "currency": "GBP", "count": 12, "amount": "1234.50" },
                                { "currency": "USD", "count": 1, "amount": "500.00" },
                            ],
                        } })),
                        ..Example::default()
                    }),
                );
            }
            respond(operation, 200, report);
            keyed(operation);
            // What a 400 means here, in the place keyed gave it.
            respond(operation, 400, problem("A missing or bad from or to, to not after from, an unknown parameter or filter, or a bad filter value (the detail names it)"));
            respond(operation, 422, problem("A currency's sum is beyond an exact decimal (about 7.9 × 10^28): type total-too-large; ask for a shorter period"));
            op
        })
}

/// `GET /health`.
pub(crate) fn health(op: TransformOperation<'_>) -> TransformOperation<'_> {
    status_route(op.id("health").summary("The process is up"), "Up", "ok")
}

/// `GET /ready`.
pub(crate) fn ready(op: TransformOperation<'_>) -> TransformOperation<'_> {
    status_route(
        op.id("ready").summary("The store answers"),
        "Ready",
        "ready",
    )
    .with(|mut op| {
        respond(op.inner_mut(), 503, problem("The store does not answer"));
        op
    })
}

/// A probe answering `{"status": status}`.
fn status_route<'a>(
    op: TransformOperation<'a>,
    description: &str,
    status: &str,
) -> TransformOperation<'a> {
    op.with(|mut op| {
        let body =
            schema(json!({ "type": "object", "properties": { "status": { "const": status } } }));
        respond(op.inner_mut(), 200, json_schema(description, object(body)));
        op
    })
}

/// `GET /openapi.json`.
pub(crate) fn openapi(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id("openapi").summary("This document").with(|mut op| {
        let body = schema(json!({ "type": "object" }));
        respond(
            op.inner_mut(),
            200,
            json_schema("OpenAPI 3.1", object(body)),
        );
        op
    })
}

/// The public Form3 sample payment, as the create example: the file the
/// tests and `make dev` load too.
fn form3_sample() -> Value {
    serde_json::from_str(include_str!(
        "../../../tests/data/form3-sample-payment.json"
    ))
    .expect("the Form3 sample is JSON")
}
