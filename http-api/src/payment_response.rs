//! The responses both contracts give about payments, whatever the view:
//! one payment (with its `ETag`), a created one (with `Location` and
//! `Idempotent-Replayed`), and a page of a listing. Each contract brings
//! only its view of a payment.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, CONTENT_TYPE, ETAG, LOCATION};
use http::StatusCode;
use payments_domain::{Payment, PaymentId, Version};
use payments_ports::CreatedPayment;
use serde::Serialize;

use crate::base_path::Links;
use crate::errors;
use crate::filters::Names;
use crate::idempotency::IDEMPOTENT_REPLAYED_NAME;
use crate::keys::Caller;
use crate::pagination::{self, ListLinks};
use crate::problem::Problem;
use crate::ApiState;

/// The caller's payment `id`, for a read in either view.
///
/// # Errors
/// 404 when the caller's organisation has no such payment; the store's
/// failures.
pub async fn read(state: &ApiState, caller: Caller, id: PaymentId) -> Result<Payment, Problem> {
    state
        .service
        .fetch_payment(caller.organisation_id, id)
        .await
        .map_err(|error| errors::fetch(&error))
}

/// `status` with `body` as JSON ([`crate::json`]), serialised into one
/// buffer sized for a payment document (axum's `Json` starts at 128 bytes
/// and grows, copying a Form3 payment several times over).
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut buffer = Vec::with_capacity(JSON_CAPACITY);
    match crate::json::to_vec(&mut buffer, body) {
        Ok(()) => (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            buffer,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(error = %error, "a response body does not serialise");
            Problem::internal().into_response()
        }
    }
}

/// Bytes reserved for a JSON body: a Form3 payment document with every
/// attribute is about 1.6 KiB; a page of them grows from there.
const JSON_CAPACITY: usize = 2 * 1024;

/// `status` with `body` (a view of one payment) as JSON, and `ETag` set
/// to the payment's version, the value an update or delete must name.
pub fn one(status: StatusCode, body: impl Serialize, version: Version) -> Response {
    let mut response = json(status, &body);
    // `"7"`: the number's digits in quotes, with no `String` on the way.
    let mut digits = itoa::Buffer::new();
    let number = digits.format(version.number()).as_bytes();
    let mut tag = [b'"'; 22];
    tag[1..=number.len()].copy_from_slice(number);
    if let Ok(etag) = HeaderValue::from_bytes(&tag[..number.len() + 2]) {
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
        headers.insert(IDEMPOTENT_REPLAYED_NAME, HeaderValue::from_static("true"));
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

/// A contract's view of a payment in its listings, and where the
/// collection it lists is. Implemented by the view's `'static` form; what
/// it shows of a payment borrows from the payment ([`PaymentView::Of`]).
pub trait PaymentView {
    /// The collection's path below the API's base path (`/v1/payments`).
    const COLLECTION: &'static str;
    /// The names of the collection's filters.
    const FILTERS: Names;
    /// The view of one payment, borrowing from it.
    type Of<'a>: Serialize;

    /// `payment` as this contract shows it.
    ///
    /// # Errors
    /// A 500 problem when a stored payment cannot be shown: a broken
    /// invariant, logged where it is found.
    fn of(payment: &Payment) -> Result<Self::Of<'_>, Problem>;
}

/// `GET` of a collection of payments in the view `V`: one page of the
/// caller's payments, as the query's `page[size]`, `page[after]` and `sort`
/// ask, with the links to this page and the next.
///
/// # Errors
/// 400 for bad query parameters; the service's failures and the view's as
/// problems.
pub async fn list<V: PaymentView>(
    State(state): State<ApiState>,
    caller: Caller,
    links: Links,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (request, page) = pagination::fetch(&state, caller, query.as_deref(), V::FILTERS).await?;
    let data = page
        .payments
        .iter()
        .map(V::of)
        .collect::<Result<Vec<_>, _>>()?;
    let document = ListDocument {
        data,
        links: pagination::links(&links.href(V::COLLECTION), &request, &page),
    };
    Ok(json(StatusCode::OK, &document))
}
