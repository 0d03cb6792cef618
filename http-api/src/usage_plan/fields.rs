//! The `RateLimit-Policy` and `RateLimit` response fields of the IETF
//! httpapi draft "RateLimit header fields for HTTP"
//! (draft-ietf-httpapi-ratelimit-headers, revisions 08 to 11): structured
//! field lists (RFC 9651) of named policies.
//!
//! - `RateLimit-Policy: "burst";q=10;w=1, "daily";q=1000;w=86400` — each
//!   policy's quota `q` over a window of `w` seconds. The throttle is
//!   advertised as its burst over the whole seconds an emptied burst takes
//!   to refill; the daily quota over a day (it resets at 00:00 UTC).
//! - `RateLimit: "burst";r=2, "daily";r=997;t=3600` — what is left: `r`
//!   requests, and `t` the seconds within which no more than that may be
//!   used. The burst carries `t` only when it is empty (then `t` is the
//!   `Retry-After`); the daily quota always does (the seconds to 00:00
//!   UTC, rounded up).

use std::fmt::Write as _;
use std::num::NonZeroU64;

use http::HeaderValue;

use super::plan::Throttle;

/// The response field naming the policies a request was held to.
pub const RATELIMIT_POLICY: &str = "ratelimit-policy";

/// The response field with what is left of each policy.
pub const RATELIMIT: &str = "ratelimit";

/// The name of the throttle's policy.
pub(crate) const BURST: &str = "burst";

/// The name of the daily quota's policy.
pub(crate) const DAILY: &str = "daily";

const SECONDS_PER_DAY: u64 = 86_400;

/// The `RateLimit-Policy` value of a plan; `None` when it limits nothing.
pub(crate) fn policy(throttle: Option<Throttle>, quota: Option<NonZeroU64>) -> Option<HeaderValue> {
    let mut items = Vec::new();
    if let Some(throttle) = throttle {
        items.push(format!(
            "\"{BURST}\";q={};w={}",
            throttle.burst(),
            throttle.window_seconds()
        ));
    }
    if let Some(quota) = quota {
        items.push(format!("\"{DAILY}\";q={quota};w={SECONDS_PER_DAY}"));
    }
    value(&items)
}

/// The `RateLimit` value being built for one response.
#[derive(Debug, Default)]
pub(crate) struct ServiceLimits(Vec<String>);

impl ServiceLimits {
    /// Adds `remaining` requests of `policy`, with the seconds `window`
    /// within which no more than those may be used, when known.
    pub(crate) fn push(&mut self, policy: &str, remaining: u64, window: Option<u64>) {
        let mut item = format!("\"{policy}\";r={remaining}");
        if let Some(window) = window {
            // Writing to a String cannot fail.
            let _ = write!(item, ";t={window}");
        }
        self.0.push(item);
    }

    /// The field value; `None` when no policy was added.
    pub(crate) fn value(&self) -> Option<HeaderValue> {
        value(&self.0)
    }
}

fn value(items: &[String]) -> Option<HeaderValue> {
    if items.is_empty() {
        return None;
    }
    // Only digits, letters, quotes, `;`, `=`, `,` and spaces: always a
    // valid header value.
    HeaderValue::from_str(&items.join(", ")).ok()
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[test]
    fn the_policy_lists_the_burst_and_the_daily_quota() {
        let throttle = Throttle::new(1.0, NonZeroU32::new(3).unwrap()).unwrap();
        let quota = NonZeroU64::new(1000);

        assert_eq!(
            policy(Some(throttle), quota).unwrap(),
            r#""burst";q=3;w=3, "daily";q=1000;w=86400"#
        );
        assert_eq!(policy(Some(throttle), None).unwrap(), r#""burst";q=3;w=3"#);
        assert_eq!(policy(None, quota).unwrap(), r#""daily";q=1000;w=86400"#);
        assert_eq!(policy(None, None), None);
    }

    #[test]
    fn service_limits_carry_a_window_only_when_one_is_given() {
        let mut limits = ServiceLimits::default();
        assert_eq!(limits.value(), None);

        limits.push(BURST, 0, Some(1));
        limits.push(DAILY, 997, Some(3600));

        assert_eq!(
            limits.value().unwrap(),
            r#""burst";r=0;t=1, "daily";r=997;t=3600"#
        );
    }
}
