//! The Form3-style payments resource under `/v1/payments` (snake_case,
//! `{"data": ..., "links": ...}` documents).

use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use payments_domain::{
    FieldPath, OrganisationId, Payment, PaymentAttributes, PaymentAttributesInput,
    PaymentAttributesView, PaymentEvent, PaymentId, Shown, Timestamp, Version,
};
use payments_ports::CreatedPayment;
use serde::{Deserialize, Serialize};

use crate::base_path::Links;
use crate::body;
use crate::errors;
use crate::filters::Names;
use crate::idempotency::{self, CreateRequest};
use crate::keys::Caller;
use crate::objects_only::ObjectsOnly;
use crate::pagination;
use crate::path_id::PathId;
use crate::payment_response::{self, ListDocument, PaymentView};
use crate::problem::{FieldProblem, Problem};
use crate::ApiState;

const COLLECTION: &str = "/v1/payments";
/// The `type` of a payment resource.
pub(crate) const RESOURCE_TYPE: &str = "Payment";
/// The `type` of a history event.
pub(crate) const EVENT_TYPE: &str = "PaymentEvent";

/// A payment as the Form3 resource shows it: the attributes in their wire
/// form, the same shape a client sends, written from the payment as it is
/// held (nothing is copied to show it).
#[derive(Debug, Serialize)]
pub struct PaymentResource<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: PaymentId,
    version: Version,
    organisation_id: OrganisationId,
    created_on: Shown<&'a Timestamp>,
    modified_on: Shown<&'a Timestamp>,
    attributes: PaymentAttributesView<'a>,
}

impl<'a> PaymentResource<'a> {
    /// The resource view of `payment`.
    pub fn new(payment: &'a Payment) -> Self {
        Self {
            kind: RESOURCE_TYPE,
            id: payment.id,
            version: payment.version,
            organisation_id: payment.organisation_id,
            created_on: Shown(&payment.created_on),
            modified_on: Shown(&payment.modified_on),
            attributes: PaymentAttributesView::from(&payment.attributes),
        }
    }
}

#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    this: String,
}

/// One resource and its self link.
#[derive(Serialize)]
pub(crate) struct Document<T> {
    data: T,
    links: SelfLink,
}

/// `GET /v1/payments` lists payments in this view.
impl PaymentView for PaymentResource<'static> {
    const COLLECTION: &'static str = COLLECTION;
    const FILTERS: Names = Names::Form3;
    type Of<'a> = PaymentResource<'a>;

    fn of(payment: &Payment) -> Result<PaymentResource<'_>, Problem> {
        Ok(PaymentResource::new(payment))
    }
}

/// The payment's URL path as the client reaches it.
fn location(links: &Links, id: PaymentId) -> String {
    links.href(&format!("{COLLECTION}/{id}"))
}

/// Where a domain field error points in a Form3 request body.
fn pointer(path: &FieldPath) -> String {
    path.to_json_pointer("/data")
}

/// `status` with the payment document, `ETag` = version.
fn payment_response(status: StatusCode, payment: &Payment, links: &Links) -> Response {
    payment_response::one(status, document(payment, links), payment.version)
}

/// The payment document of `payment`, with its self link.
fn document<'a>(payment: &'a Payment, links: &Links) -> Document<PaymentResource<'a>> {
    Document {
        data: PaymentResource::new(payment),
        links: SelfLink {
            this: location(links, payment.id),
        },
    }
}

/// Request body of a create.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDocument {
    data: CreateData,
    /// Accepted so a fetched document can be posted back (its links are
    /// strings, as the API writes them), and not kept.
    #[serde(default)]
    #[allow(dead_code)]
    links: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateData {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    organisation_id: Option<String>,
    version: Option<u64>,
    attributes: Option<PaymentAttributesInput>,
}

fn check_type(kind: Option<&String>, problems: &mut Vec<FieldProblem>) {
    if let Some(kind) = kind {
        if kind != RESOURCE_TYPE {
            problems.push(FieldProblem::new(
                "/data/type",
                format!("must be \"{RESOURCE_TYPE}\", got {kind:?}"),
            ));
        }
    }
}

fn parse_id<T>(
    value: Option<&String>,
    at: &str,
    parse: fn(&str) -> Result<T, String>,
    problems: &mut Vec<FieldProblem>,
) -> Option<T> {
    match value.map(|text| parse(text)) {
        None => {
            problems.push(FieldProblem::new(at, "is required"));
            None
        }
        Some(Err(message)) => {
            problems.push(FieldProblem::new(at, message));
            None
        }
        Some(Ok(parsed)) => Some(parsed),
    }
}

/// `POST /v1/payments`: create a payment with a client-chosen id.
pub async fn create(
    State(state): State<ApiState>,
    request: CreateRequest,
) -> Result<Response, Problem> {
    let (caller, links) = (request.caller, request.links.clone());
    let created = idempotency::create(&state, COLLECTION, request, |headers, body| {
        judge_create(caller, headers, body).map(|(id, attributes)| (Some(id), attributes))
    })
    .await?;
    Ok(created_response(&created, &links))
}

/// The id and attributes a create document gives, judged by today's rules
/// with its envelope, or the problem with the document.
fn judge_create(
    caller: Caller,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(PaymentId, PaymentAttributes), Problem> {
    let document: CreateDocument = body::json_without_nulls(headers, body)?;
    let data = document.data;

    // The envelope and the attributes are judged in one pass, so one 422
    // lists every problem.
    let mut problems = Vec::new();
    check_type(data.kind.as_ref(), &mut problems);
    let id = parse_id(
        data.id.as_ref(),
        "/data/id",
        PaymentId::parse,
        &mut problems,
    );
    let organisation = parse_id(
        data.organisation_id.as_ref(),
        "/data/organisation_id",
        OrganisationId::parse,
        &mut problems,
    );
    if organisation.is_some_and(|organisation| organisation != caller.organisation_id) {
        return Err(Problem::forbidden(
            "organisation_id is not the organisation of your API key",
        ));
    }
    if data.version.is_some_and(|version| version != 0) {
        problems.push(FieldProblem::new(
            "/data/version",
            "a new payment starts at version 0",
        ));
    }
    let attributes = match data.attributes.map(|attributes| attributes.validate()) {
        None => {
            problems.push(FieldProblem::new("/data/attributes", "is required"));
            None
        }
        Some(Err(invalid)) => {
            problems.extend(errors::invalid(&invalid, &pointer).errors().iter().cloned());
            None
        }
        Some(Ok(attributes)) => Some(attributes),
    };
    match (id, attributes, problems.is_empty()) {
        (Some(id), Some(attributes), true) => Ok((id, attributes)),
        _ => Err(Problem::validation(problems)),
    }
}

/// `201` with the payment document, its `Location`, and whether it replays.
fn created_response(created: &CreatedPayment, links: &Links) -> Response {
    let payment = &created.payment;
    payment_response::created(
        document(payment, links),
        created,
        &location(links, payment.id),
    )
}

/// `GET /v1/payments/{id}`.
pub async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    links: Links,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let payment = payment_response::read(&state, caller, id).await?;
    Ok(payment_response(StatusCode::OK, &payment, &links))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateDocument {
    data: UpdateData,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateData {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    organisation_id: Option<String>,
    version: Option<u64>,
    attributes: Option<serde_json::Value>,
}

/// The patch's attributes, or every problem with them.
fn patch_attributes(
    value: Option<serde_json::Value>,
    problems: &mut Vec<FieldProblem>,
) -> Option<PaymentAttributesInput> {
    let Some(value) = value else {
        problems.push(FieldProblem::new(
            "/data/attributes",
            "is required: give the attributes to change",
        ));
        return None;
    };
    // A null anywhere was refused with the document, member by member.
    match serde_path_to_error::deserialize::<_, PaymentAttributesInput>(ObjectsOnly(value)) {
        Ok(patch) if patch.is_empty() => {
            problems.push(FieldProblem::new(
                "/data/attributes",
                "give at least one attribute to change",
            ));
            None
        }
        Ok(patch) => Some(patch),
        Err(error) => {
            let pointer = format!("/data/attributes{}", body::pointer(error.path()));
            problems.push(FieldProblem::new(pointer, body::message(error.inner())));
            None
        }
    }
}

/// `PATCH /v1/payments/{id}`: change the attributes given, at the version
/// given.
pub async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    links: Links,
    PathId(id): PathId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body::bytes(body)?;
    let document: UpdateDocument = body::json_without_nulls(&headers, &body)?;
    let data = document.data;

    let mut problems = Vec::new();
    check_type(data.kind.as_ref(), &mut problems);
    match data.id.as_deref().map(PaymentId::parse) {
        Some(Ok(body_id)) if body_id == id => {}
        Some(Ok(_)) => problems.push(FieldProblem::new("/data/id", "must be the id in the URL")),
        Some(Err(message)) => problems.push(FieldProblem::new("/data/id", message)),
        None => problems.push(FieldProblem::new("/data/id", "is required")),
    }
    if let Some(organisation) = &data.organisation_id {
        if OrganisationId::parse(organisation).ok() != Some(caller.organisation_id) {
            problems.push(FieldProblem::new(
                "/data/organisation_id",
                "cannot be changed",
            ));
        }
    }
    if data.version.is_none() {
        problems.push(FieldProblem::new(
            "/data/version",
            "is required: send the version you read",
        ));
    }
    let patch = patch_attributes(data.attributes, &mut problems);
    let (Some(version), Some(patch), true) = (data.version, patch, problems.is_empty()) else {
        return Err(Problem::validation(problems));
    };

    let payment = state
        .service
        .update_payment(caller.organisation_id, id, Version::new(version), patch)
        .await
        .map_err(|error| errors::update(&error, &pointer))?;
    Ok(payment_response(StatusCode::OK, &payment, &links))
}

/// `DELETE /v1/payments/{id}?version=N`.
pub async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    PathId(id): PathId,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let mut version = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "version" => {
                let parsed = value.parse::<u64>().map_err(|_| {
                    Problem::bad_request(format!("version must be a whole number, got {value:?}"))
                })?;
                version = Some(Version::new(parsed));
            }
            other => {
                return Err(Problem::bad_request(format!(
                    "unknown query parameter {other:?}; this route takes version"
                )))
            }
        }
    }
    let version = version.ok_or_else(|| {
        Problem::bad_request("the version query parameter is required: send the version you read")
    })?;
    state
        .service
        .delete_payment(caller.organisation_id, id, version)
        .await
        .map_err(|error| errors::delete(&error))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One event of a payment's history.
#[derive(Serialize)]
pub(crate) struct EventResource<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'static str,
    version: Version,
    occurred_on: Shown<&'a Timestamp>,
    payment: PaymentResource<'a>,
}

impl<'a> EventResource<'a> {
    fn new(event: &'a PaymentEvent) -> Self {
        Self {
            kind: EVENT_TYPE,
            event: event.kind.as_str(),
            version: event.version(),
            occurred_on: Shown(&event.occurred_on),
            payment: PaymentResource::new(&event.payment),
        }
    }
}

/// `GET /v1/payments/{id}/events`: one page of the history, oldest first,
/// also after deletion (`page[size]` 1–100, default 20; `page[after]`).
pub async fn events(
    State(state): State<ApiState>,
    caller: Caller,
    links: Links,
    PathId(id): PathId,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let request = pagination::history_request(query.as_deref())?;
    let page = state
        .service
        .payment_history(caller.organisation_id, id, request)
        .await
        .map_err(|error| errors::history(&error))?;
    let path = links.href(&format!("{COLLECTION}/{id}/events"));
    let document = ListDocument {
        data: page.events.iter().map(EventResource::new).collect(),
        links: pagination::history_links(&path, &request, &page),
    };
    Ok(payment_response::json(StatusCode::OK, &document))
}
