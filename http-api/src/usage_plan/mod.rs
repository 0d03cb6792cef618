//! Usage plans: per-API-key limits, as API Gateway's usage plans give the
//! Lambda front end, for Routers served on their own (`payments serve`).
//!
//! - a **throttle** per API key: a steady rate of requests per second and
//!   a burst (GCRA, from the `governor` crate);
//! - a **quota per day** per API key, reset at 00:00 UTC;
//! - requests without a known key (the operations routes, and requests
//!   that will be 401) are throttled per client address by the default
//!   throttle, read from the `ConnectInfo<SocketAddr>` extension the
//!   transport sets (all requests without one share one bucket).
//!
//! Over a limit the answer is a 429 `/problems/too-many-requests` with
//! `Retry-After`; the request goes no further (no handler runs, nothing is
//! stored). Every response of a limited client, served or refused, carries
//! the `RateLimit-Policy` and `RateLimit` fields (see [`RATELIMIT`]), so
//! a client sees how much is left before it is refused.
//!
//! Time is read through the [`Clock`] port. The counts live in this
//! process: instances behind a load balancer each count on their own.

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use payments_ports::{Clock, SystemClock};

mod client_address;
mod daily_quota;
mod fields;
mod limits;
mod plan;
mod port_clock;

pub(crate) use limits::Limits;

pub use fields::{RATELIMIT, RATELIMIT_POLICY};
pub use plan::{Throttle, UsagePlan, UsagePlanError};

use crate::request_id;
use limits::Decision;

/// The default plan every API key is held to (unless the key has its own,
/// see [`ApiKeys::insert_with_plan`](crate::ApiKeys::insert_with_plan)),
/// whose throttle also limits requests without a key, and the clock the
/// limits read time from.
///
/// ```
/// use http_api::{Throttle, UsagePlan, UsagePlans};
///
/// let plans = UsagePlans::new(
///     UsagePlan::unlimited().with_throttle(Throttle::new(10.0, 20.try_into().unwrap()).unwrap()),
/// );
/// # let _ = plans;
/// ```
#[derive(Clone)]
pub struct UsagePlans {
    defaults: UsagePlan,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for UsagePlans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsagePlans")
            .field("defaults", &self.defaults)
            .finish_non_exhaustive()
    }
}

impl UsagePlans {
    /// Plans with these defaults, on the system clock.
    pub fn new(defaults: UsagePlan) -> Self {
        Self {
            defaults,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same plans, reading time from `clock` (a test's manual clock;
    /// the service's own).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The default plan.
    pub fn defaults(&self) -> UsagePlan {
        self.defaults
    }
}

/// The refusals counter: by scope (`key`, or `address` for requests
/// without a known key) and the limit that refused (the policy's name).
pub const REFUSALS: &str = "payments_rate_limited_total";

/// Middleware: counts the request against its plan, then serves it with
/// the ratelimit fields or answers 429 in its place.
pub(crate) async fn middleware(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    match limits.decide(&request) {
        Decision::Unlimited => next.run(request).await,
        Decision::Admitted(fields) => {
            let mut response = next.run(request).await;
            fields.write(response.headers_mut());
            response
        }
        Decision::Refused(refusal) => {
            let scope = if refusal.organisation.is_some() {
                "key"
            } else {
                "address"
            };
            metrics::counter!(REFUSALS, "scope" => scope, "policy" => refusal.policy).increment(1);
            tracing::info!(
                target: "payments::usage_plan",
                request_id = request_id::current().unwrap_or_default(),
                policy = refusal.policy,
                organisation_id = refusal.organisation.map(|id| id.to_string()),
                "request refused by its usage plan"
            );
            let mut response = refusal.problem.into_response();
            refusal.fields.write(response.headers_mut());
            response
        }
    }
}
