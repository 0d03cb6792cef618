//! The `Idempotency-Key` header of the POST routes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::HeaderMap;
use payments_domain::{IdempotencyKey, OrganisationId, PaymentAttributes, PaymentId};
use payments_ports::{CreatePayment, CreatedPayment, IdempotencyRequest, RequestFingerprint};
use sha2::{Digest, Sha256};

use crate::errors;
use crate::problem::Problem;
use crate::ApiState;

/// The request header carrying the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header set to `true` on a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

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
pub fn from_headers(
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
) -> Result<Option<IdempotencyRequest>, Problem> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
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

/// The create both contracts make of a request: the payment `judged`
/// from its body (the id the client chose, if any, and the attributes) is
/// created, or replayed when its key is in force. When today's rules
/// refused the body (`judged` is the problem), the key is looked up: in
/// force for this very request, the payment as first created answers, so
/// a retry of a create accepted under older rules replays; otherwise the
/// problem stands. A body that passes needs no look-up: the store reports
/// a key in force as it writes, and the service replays then.
///
/// # Errors
/// The body's problem; 409 for a taken id; 422 when the key came with
/// another request; the store's failures.
pub async fn create(
    state: &ApiState,
    organisation: OrganisationId,
    idempotency: Option<IdempotencyRequest>,
    judged: Result<(Option<PaymentId>, PaymentAttributes), Problem>,
) -> Result<CreatedPayment, Problem> {
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
