//! The payment id in a path (`/v1/payments/{id}`, `/payments/{id}`).

use axum::extract::{FromRequestParts, Path};
use http::request::Parts;
use payments_domain::PaymentId;

use crate::problem::Problem;

/// The payment a path names. Anything that is not a UUID, including a
/// segment whose percent-escapes are not UTF-8 (`%FF`), names no payment:
/// a problem+json 404 like an unknown id, never the framework's plain-text
/// 400.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub PaymentId);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let no_such_payment = || Problem::not_found("no such payment");
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| no_such_payment())?;
        PaymentId::parse(&id)
            .map(Self)
            .map_err(|_| no_such_payment())
    }
}
