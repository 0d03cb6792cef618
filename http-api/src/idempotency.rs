//! The `Idempotency-Key` header of the POST routes.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName};
use payments_domain::{IdempotencyKey, PaymentAttributes, PaymentId};
use payments_ports::{CreatePayment, CreatedPayment, IdempotencyRequest, RequestFingerprint};
use sha2::{Digest, Sha256};

use crate::base_path::Links;
use crate::body;
use crate::errors;
use crate::keys::Caller;
use crate::problem::Problem;
use crate::ApiState;

/// The request header carrying the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The same, parsed once (a `&str` name is parsed on every use).
const IDEMPOTENCY_KEY_NAME: HeaderName = HeaderName::from_static(IDEMPOTENCY_KEY);
/// The response header set to `true` on a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// The same, parsed once (a `&str` name is parsed on every use).
pub(crate) const IDEMPOTENT_REPLAYED_NAME: HeaderName =
    HeaderName::from_static(IDEMPOTENT_REPLAYED);

/// The fingerprint of a create sent to `route` with `body`: a digest of the
/// route and the exact body bytes. A retry sends the same bytes; anything
/// else is a different request. Exposed for services that take creates
/// over another transport and want the Router's replays to match theirs.
pub fn request_fingerprint(route: &str, body: &[u8]) -> RequestFingerprint {
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    RequestFingerprint::new(URL_SAFE_NO_PAD.encode(hash.finalize()))
}

/// The key and the request's fingerprint, when the client sent a key.
///
/// # Errors
/// 400 when the header is present but not a valid key (1 to 255 visible
/// ASCII characters).
fn from_headers(
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
) -> Result<Option<IdempotencyRequest>, Problem> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_NAME) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| "must be visible ASCII characters".to_owned())
        .and_then(IdempotencyKey::parse)
        .map_err(|message| Problem::bad_request(format!("the Idempotency-Key header {message}")))?;
    Ok(Some(IdempotencyRequest {
        key,
        fingerprint: request_fingerprint(route, body),
    }))
}

/// A create as both contracts receive it: who asks, how links are
/// written for them, the headers and the body. The caller is known before
/// the body is read, so a request without a key is a 401 whatever it sends.
pub struct CreateRequest {
    /// The organisation asking.
    pub caller: Caller,
    /// How links are written for this client.
    pub links: Links,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
}

impl FromRequest<ApiState> for CreateRequest {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, Problem> {
        let (mut parts, body) = request.into_parts();
        let caller = Caller::from_request_parts(&mut parts, state).await?;
        let Ok(links) = Links::from_request_parts(&mut parts, state).await;
        // Moved out, not copied: reading the body needs only the body and
        // its limit (an extension).
        let headers = std::mem::take(&mut parts.headers);
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await;
        Ok(Self {
            caller,
            links,
            headers,
            body,
        })
    }
}

/// What a contract makes of a create body judged by today's rules: the id
/// the client chose (if any) and the attributes, or the problem.
pub type Judged = Result<(Option<PaymentId>, PaymentAttributes), Problem>;

/// The create both contracts make of `request` to `route`: its body is
/// read, its `Idempotency-Key` header with it, and the payment `judge`
/// makes of the headers and body is created, or replayed when its key is
/// in force. When today's rules refuse the body (`judge` answers a
/// problem), the key is looked up: in force for this very request, the
/// payment as first created answers, so a retry of a create accepted under
/// older rules replays; otherwise the problem stands. A body that passes
/// needs no look-up: the store reports a key in force as it writes, and
/// the service replays then.
///
/// # Errors
/// 400 for an unreadable body or a bad key; the body's problem; 409 for a
/// taken id; 422 when the key came with another request; the store's
/// failures.
pub async fn create(
    state: &ApiState,
    route: &str,
    request: CreateRequest,
    judge: impl FnOnce(&HeaderMap, &Bytes) -> Judged,
) -> Result<CreatedPayment, Problem> {
    let CreateRequest {
        caller,
        headers,
        body,
        ..
    } = request;
    let organisation = caller.organisation_id;
    let body = body::bytes(body)?;
    let idempotency = from_headers(&headers, route, &body)?;
    let judged = judge(&headers, &body);
    let (id, attributes) = match (judged, &idempotency) {
        (Ok(judged), _) => judged,
        (Err(refused), None) => return Err(refused),
        (Err(refused), Some(idempotency)) => {
            return state
                .service
                .replay_create(organisation, idempotency)
                .await
                .map_err(|error| errors::create(&error))?
                .ok_or(refused)
        }
    };
    state
        .service
        .create_payment(CreatePayment {
            organisation_id: organisation,
            id,
            attributes,
            idempotency,
        })
        .await
        .map_err(|error| errors::create(&error))
}
