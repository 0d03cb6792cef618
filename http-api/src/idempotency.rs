//! The `Idempotency-Key` header of the POST routes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::HeaderMap;
use payments_domain::IdempotencyKey;
use payments_ports::RequestFingerprint;
use sha2::{Digest, Sha256};

use crate::problem::Problem;

/// The request header carrying the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header set to `true` on a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The key and the request's fingerprint, when the client sent a key. The
/// fingerprint covers the route and the exact body bytes: a retry sends the
/// same bytes, and anything else is a different request.
///
/// # Errors
/// 400 when the header is present but not a valid key (1 to 255 visible
/// ASCII characters).
pub fn from_headers(
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
) -> Result<Option<(IdempotencyKey, RequestFingerprint)>, Problem> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| "must be visible ASCII characters".to_owned())
        .and_then(IdempotencyKey::parse)
        .map_err(|message| Problem::bad_request(format!("the Idempotency-Key header {message}")))?;
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    let fingerprint = URL_SAFE_NO_PAD.encode(hash.finalize());
    Ok(Some((key, RequestFingerprint::new(fingerprint))))
}
