//! The responses both contracts give about payments, whatever the view:
//! one payment (with its `ETag`), a created one (with `Location` and
//! `Idempotent-Replayed`), and a page of a listing. Each contract brings
//! only its view of a payment.

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::{HeaderValue, ETAG, LOCATION};
use http::StatusCode;
use payments_domain::{Payment, Version};
use payments_ports::CreatedPayment;
use serde::Serialize;

use crate::idempotency::IDEMPOTENT_REPLAYED;
use crate::keys::Caller;
use crate::pagination::{self, ListLinks};
use crate::problem::Problem;
use crate::ApiState;

/// `status` with `body` (a view of one payment) as JSON, and `ETag` set
/// to the payment's version, the value an update or delete must name.
pub fn one(status: StatusCode, body: impl Serialize, version: Version) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(ETAG, etag);
    }
    response
}

/// `201 Created` for `created`, shown as `body`: its `ETag`, `Location`
/// (the payment's path as the client reaches it), and
/// `Idempotent-Replayed: true` when it answers a retry.
pub fn created(body: impl Serialize, created: &CreatedPayment, location: &str) -> Response {
    let mut response = one(StatusCode::CREATED, body, created.payment.version);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, value);
    }
    if created.replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// A page of a collection (payments, a payment's history): its items and
/// the links to this page and the next.
#[derive(Serialize)]
pub struct ListDocument<T> {
    /// The page's items, in the collection's order.
    pub data: Vec<T>,
    /// This page, and the next when there is one.
    pub links: ListLinks,
}

/// One page of the caller's payments, as the list `query` asks, each shown
/// through `view`, with the links of the collection at `collection` (its
/// path as the client reaches it).
///
/// # Errors
/// 400 for bad query parameters; the service's failures and `view`'s as
/// problems.
pub async fn list<T: Serialize>(
    state: &ApiState,
    caller: Caller,
    query: Option<&str>,
    collection: &str,
    view: impl Fn(&Payment) -> Result<T, Problem>,
) -> Result<Response, Problem> {
    let (request, page) = pagination::fetch(state, caller, query).await?;
    let data = page.payments.iter().map(view).collect::<Result<_, _>>()?;
    let document = ListDocument {
        data,
        links: pagination::links(collection, &request, &page),
    };
    Ok(Json(document).into_response())
}
