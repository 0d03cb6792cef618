//! The limits in force on one Router, and the decision for each request:
//! let it through (saying what is left) or refuse it with a 429.
//!
//! A request with a known API key is held to that key's plan; any other
//! request (the operations routes, which need no key, and requests that
//! will be refused as 401) to the default throttle of its client address.
//! The daily quota is per key only: it is a client's allowance, and a
//! count per address would grow with every address that ever called.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use http::{HeaderMap, HeaderValue};
use payments_domain::{OrganisationId, Timestamp};
use payments_ports::Clock;

use super::client_address::ClientAddress;
use super::daily_quota::{until_next_utc_midnight, DailyQuota};
use super::fields::{self, ServiceLimits, BURST, DAILY};
use super::plan::{whole_seconds_up, Throttle};
use super::port_clock::{since_epoch, PortClock};
use super::UsagePlans;
use crate::keys::{digest, ApiKeys, API_KEY};
use crate::operations::OPEN_ROUTES;
use crate::problem::Problem;

/// One throttle of one API key.
type KeyThrottle = RateLimiter<NotKeyed, InMemoryState, PortClock, StateInformationMiddleware>;

/// The throttles of every client address, one bucket each.
type AddressThrottles = RateLimiter<
    ClientAddress,
    DashMapStateStore<ClientAddress>,
    PortClock,
    StateInformationMiddleware,
>;

/// How many keyless requests pass between two sweeps of the address
/// buckets: a sweep drops the buckets that are full again (their client
/// has been quiet for a whole refill), so memory follows the addresses
/// seen lately, not every address ever seen.
const SWEEP_EVERY: u64 = 1024;

/// Every limit of one Router.
pub(crate) struct Limits {
    clock: Arc<dyn Clock>,
    keys: HashMap<[u8; 32], KeyAllowance>,
    addresses: Option<AddressAllowance>,
}

/// What one API key may still do.
struct KeyAllowance {
    organisation: OrganisationId,
    throttle: Option<KeyThrottle>,
    quota: Option<DailyQuota>,
    /// `None` when the key's plan limits nothing.
    policy: Option<HeaderValue>,
}

/// The throttle of requests counted by client address.
struct AddressAllowance {
    throttles: AddressThrottles,
    policy: HeaderValue,
    checks: AtomicU64,
}

/// What to do with one request.
pub(crate) enum Decision {
    /// No plan limits it: serve it as if there were no plans.
    Unlimited,
    /// Serve it, and add these fields to its response.
    Admitted(Fields),
    /// Answer this instead; the request goes no further.
    Refused(Refusal),
}

/// The `RateLimit-Policy` and `RateLimit` fields of one response.
pub(crate) struct Fields {
    policy: HeaderValue,
    limits: ServiceLimits,
}

/// A refused request's answer, and what the log says of it.
pub(crate) struct Refusal {
    /// The 429, with its `Retry-After`.
    pub(crate) problem: Problem,
    /// The fields to add to it.
    pub(crate) fields: Fields,
    /// The policy that refused it (`burst` or `daily`).
    pub(crate) policy: &'static str,
    /// The organisation of the key, for requests counted by key.
    pub(crate) organisation: Option<OrganisationId>,
}

fn quota_of(throttle: Throttle) -> Quota {
    // `Throttle` keeps its interval above zero.
    Quota::with_period(throttle.interval())
        .unwrap_or_else(|| Quota::per_second(throttle.burst()))
        .allow_burst(throttle.burst())
}

impl Limits {
    /// The limits of `plans` over `keys`; `None` when nothing is limited,
    /// so the Router is left exactly as without plans.
    pub(crate) fn new(plans: UsagePlans, keys: &ApiKeys) -> Option<Self> {
        let defaults = plans.defaults();
        let clock = PortClock(plans.clock.clone());
        let keys: HashMap<_, _> = keys
            .entries()
            .map(|(digest, organisation, own)| {
                let plan = own.map_or(defaults, |own| own.over(defaults));
                let allowance = KeyAllowance {
                    organisation,
                    throttle: plan.throttle().map(|throttle| {
                        RateLimiter::direct_with_clock(quota_of(throttle), clock.clone())
                            .with_middleware::<StateInformationMiddleware>()
                    }),
                    quota: plan.quota_per_day().map(DailyQuota::new),
                    policy: fields::policy(plan.throttle(), plan.quota_per_day()),
                };
                (digest, allowance)
            })
            .collect();
        let addresses = defaults.throttle().and_then(|throttle| {
            Some(AddressAllowance {
                throttles: RateLimiter::dashmap_with_clock(quota_of(throttle), clock.clone())
                    .with_middleware::<StateInformationMiddleware>(),
                policy: fields::policy(Some(throttle), None)?,
                checks: AtomicU64::new(0),
            })
        });
        let limited = addresses.is_some() || keys.values().any(|key| key.policy.is_some());
        limited.then_some(Self {
            clock: plans.clock,
            keys,
            addresses,
        })
    }

    /// Counts `request` against its plan.
    pub(crate) fn decide(&self, request: &Request) -> Decision {
        let now = self.clock.now();
        let needs_key = !OPEN_ROUTES.contains(&request.uri().path());
        let key = needs_key
            .then(|| request.headers().get(API_KEY))
            .flatten()
            .and_then(|value| value.to_str().ok())
            .and_then(|key| self.keys.get(&digest(key)));
        match (key, &self.addresses) {
            (Some(key), _) => key.decide(now),
            (None, Some(addresses)) => {
                addresses.decide(ClientAddress::of(request.extensions()), now)
            }
            (None, None) => Decision::Unlimited,
        }
    }
}

/// `Retry-After` and the burst's `t` when a throttle says "not until".
fn retry_after(not_until: &governor::NotUntil<std::time::Duration>, now: Timestamp) -> u64 {
    whole_seconds_up(not_until.wait_time_from(since_epoch(now)))
}

impl KeyAllowance {
    fn decide(&self, now: Timestamp) -> Decision {
        let Some(policy) = &self.policy else {
            return Decision::Unlimited;
        };
        let mut limits = ServiceLimits::default();
        let until_midnight = whole_seconds_up(until_next_utc_midnight(now));
        // The quota is looked at first and counted last: a request the
        // throttle refuses uses none of the day's quota.
        let reservation = match &self.quota {
            None => None,
            Some(quota) => {
                let Some(reservation) = quota.reserve(now) else {
                    limits.push(DAILY, 0, Some(until_midnight));
                    return self.refuse(
                        policy,
                        limits,
                        DAILY,
                        format!(
                            "this API key's quota of {} requests per day is used up; it resets at 00:00 UTC",
                            quota.limit()
                        ),
                        until_midnight,
                    );
                };
                Some(reservation)
            }
        };
        if let Some(throttle) = &self.throttle {
            match throttle.check() {
                Ok(state) => limits.push(BURST, state.remaining_burst_capacity().into(), None),
                Err(not_until) => {
                    let wait = retry_after(&not_until, now);
                    limits.push(BURST, 0, Some(wait));
                    if let Some(reservation) = &reservation {
                        limits.push(DAILY, reservation.remaining(), Some(until_midnight));
                    }
                    return self.refuse(
                        policy,
                        limits,
                        BURST,
                        format!(
                            "this API key has used its burst of {} requests; retry after {wait} s",
                            not_until.quota().burst_size()
                        ),
                        wait,
                    );
                }
            }
        }
        if let Some(reservation) = reservation {
            limits.push(DAILY, reservation.commit(), Some(until_midnight));
        }
        Decision::Admitted(Fields {
            policy: policy.clone(),
            limits,
        })
    }

    fn refuse(
        &self,
        policy: &HeaderValue,
        limits: ServiceLimits,
        refused_by: &'static str,
        detail: String,
        retry_after: u64,
    ) -> Decision {
        Decision::Refused(Refusal {
            problem: Problem::too_many_requests(detail, retry_after),
            fields: Fields {
                policy: policy.clone(),
                limits,
            },
            policy: refused_by,
            organisation: Some(self.organisation),
        })
    }
}

impl AddressAllowance {
    fn decide(&self, client: ClientAddress, now: Timestamp) -> Decision {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.throttles.retain_recent();
            self.throttles.shrink_to_fit();
        }
        let mut limits = ServiceLimits::default();
        match self.throttles.check_key(&client) {
            Ok(state) => {
                limits.push(BURST, state.remaining_burst_capacity().into(), None);
                Decision::Admitted(Fields {
                    policy: self.policy.clone(),
                    limits,
                })
            }
            Err(not_until) => {
                let wait = retry_after(&not_until, now);
                limits.push(BURST, 0, Some(wait));
                Decision::Refused(Refusal {
                    problem: Problem::too_many_requests(
                        format!(
                            "this client address has used its burst of {} requests; retry after {wait} s",
                            not_until.quota().burst_size()
                        ),
                        wait,
                    ),
                    fields: Fields {
                        policy: self.policy.clone(),
                        limits,
                    },
                    policy: BURST,
                    organisation: None,
                })
            }
        }
    }
}

impl Fields {
    /// Puts the fields on a response's headers.
    pub(crate) fn write(self, headers: &mut HeaderMap) {
        headers.insert(fields::RATELIMIT_POLICY, self.policy);
        if let Some(value) = self.limits.value() {
            headers.insert(fields::RATELIMIT, value);
        }
    }
}
