//! What one usage plan allows: a throttle (a steady rate with a burst) and
//! a quota of requests per UTC day, each of them optional.

use std::num::{NonZeroU32, NonZeroU64};
use std::time::Duration;

/// Why a usage plan setting was refused. A start-up error, never an HTTP
/// response. Messages name the setting (or its position), never its text:
/// a plan is written beside an API key, and a slip of the separators
/// could put a key where a setting was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsagePlanError {
    /// The rate is not a positive, finite number of requests per second.
    #[error("the rate must be a positive number of requests per second")]
    Rate,
    /// The burst is not a whole number from 1 to 4294967295.
    #[error("the burst must be a positive whole number of requests")]
    Burst,
    /// The quota is not a positive whole number.
    #[error("the quota must be a positive whole number of requests per day")]
    Quota,
    /// A burst is given without a rate: nothing would refill it.
    #[error("a burst needs a rate: without one nothing refills the burst")]
    BurstWithoutRate,
    /// A plan written as text names no setting at all.
    #[error("the usage plan names no setting; write rate=N, burst=N or quota=N")]
    Empty,
    /// A setting of a plan written as text is not `rate=`, `burst=` or
    /// `quota=` followed by a value.
    #[error("usage plan setting {position} is not rate=N, burst=N or quota=N")]
    Malformed {
        /// 1-based position of the setting in the plan.
        position: usize,
    },
    /// A setting of a plan written as text repeats an earlier one.
    #[error("usage plan setting {position} repeats an earlier setting")]
    Repeated {
        /// 1-based position of the repeating setting in the plan.
        position: usize,
    },
}

/// A steady rate of requests per second with a burst: a client may send
/// `burst` requests at once, then one more every `1 / rate` seconds (the
/// generic cell rate algorithm, as in `governor`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    rate: f64,
    burst: NonZeroU32,
}

impl Throttle {
    /// `rate` requests per second, with bursts of up to `burst`.
    ///
    /// # Errors
    /// [`UsagePlanError::Rate`] when `rate` is not a positive finite number
    /// whose interval (`1 / rate`) is between a nanosecond and the largest
    /// [`Duration`].
    pub fn new(rate: f64, burst: NonZeroU32) -> Result<Self, UsagePlanError> {
        let interval = Duration::try_from_secs_f64(1.0 / rate).map_err(|_| UsagePlanError::Rate)?;
        if !(rate.is_finite() && rate > 0.0) || interval.is_zero() {
            return Err(UsagePlanError::Rate);
        }
        Ok(Self { rate, burst })
    }

    /// `rate` requests per second with the burst of one second's worth
    /// (`rate` rounded up, at least 1), as API Gateway and `governor`'s
    /// `Quota::per_second` do when no burst is given.
    ///
    /// # Errors
    /// As [`Throttle::new`].
    pub fn per_second(rate: f64) -> Result<Self, UsagePlanError> {
        Self::new(rate, one_second_of(rate).ok_or(UsagePlanError::Rate)?)
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The most requests let through at once.
    pub fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// The time one request's allowance takes to come back.
    pub(crate) fn interval(&self) -> Duration {
        // Checked in `new`.
        Duration::try_from_secs_f64(1.0 / self.rate).unwrap_or(Duration::MAX)
    }

    /// The whole seconds an emptied burst takes to refill, at least 1:
    /// the window the `RateLimit-Policy` field advertises the burst over.
    pub(crate) fn window_seconds(&self) -> u64 {
        let refill = self.interval().saturating_mul(self.burst.get());
        whole_seconds_up(refill)
    }
}

/// `rate` rounded up to a whole number of requests, when it fits a `u32`.
fn one_second_of(rate: f64) -> Option<NonZeroU32> {
    let whole = rate.ceil();
    if !(whole >= 1.0 && whole <= f64::from(u32::MAX)) {
        return None;
    }
    // In range and whole: checked just above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    NonZeroU32::new(whole as u32)
}

/// `duration` in whole seconds, rounded up, at least 1: the form of
/// `Retry-After` and of the ratelimit fields' windows.
pub(crate) fn whole_seconds_up(duration: Duration) -> u64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    seconds.max(1)
}

/// The limits one client is held to: an optional [`Throttle`] and an
/// optional quota of requests per UTC day (reset at 00:00 UTC, as API
/// Gateway's `DAY` quota period). A limit that is not set is not applied.
///
/// ```
/// use std::num::NonZeroU64;
/// use http_api::{Throttle, UsagePlan};
///
/// let plan = UsagePlan::unlimited()
///     .with_throttle(Throttle::new(5.0, 10.try_into().unwrap()).unwrap())
///     .with_quota_per_day(NonZeroU64::new(1000).unwrap());
/// assert_eq!(UsagePlan::parse("rate=5;burst=10;quota=1000"), Ok(plan));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsagePlan {
    throttle: Option<Throttle>,
    quota_per_day: Option<NonZeroU64>,
}

impl UsagePlan {
    /// No limit at all.
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// The same plan, throttled by `throttle`.
    #[must_use]
    pub fn with_throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// The same plan, allowing `quota` requests per UTC day.
    #[must_use]
    pub fn with_quota_per_day(mut self, quota: NonZeroU64) -> Self {
        self.quota_per_day = Some(quota);
        self
    }

    /// The throttle, if any.
    pub fn throttle(&self) -> Option<Throttle> {
        self.throttle
    }

    /// The requests allowed per UTC day, if limited.
    pub fn quota_per_day(&self) -> Option<NonZeroU64> {
        self.quota_per_day
    }

    /// Whether the plan limits nothing.
    pub fn is_unlimited(&self) -> bool {
        self.throttle.is_none() && self.quota_per_day.is_none()
    }

    /// A plan from the three settings as text, each `None` when unset (so
    /// that limit is off): `rate` in requests per second (a positive
    /// number, `0.5` allowed), `burst` a positive whole number (without
    /// it the burst is `rate` rounded up), `quota` a positive whole number
    /// of requests per UTC day. The `PAYMENTS_THROTTLE_RATE`,
    /// `PAYMENTS_THROTTLE_BURST` and `PAYMENTS_QUOTA_PER_DAY` settings of
    /// `payments serve`, and the parts of a plan written with [`parse`].
    ///
    /// # Errors
    /// The first setting that is not valid, or
    /// [`UsagePlanError::BurstWithoutRate`].
    ///
    /// [`parse`]: UsagePlan::parse
    pub fn from_settings(
        rate: Option<&str>,
        burst: Option<&str>,
        quota: Option<&str>,
    ) -> Result<Self, UsagePlanError> {
        let rate = rate
            .map(|text| text.trim().parse::<f64>().map_err(|_| UsagePlanError::Rate))
            .transpose()?;
        let burst = burst
            .map(|text| {
                text.trim()
                    .parse::<NonZeroU32>()
                    .map_err(|_| UsagePlanError::Burst)
            })
            .transpose()?;
        let quota_per_day = quota
            .map(|text| {
                text.trim()
                    .parse::<NonZeroU64>()
                    .map_err(|_| UsagePlanError::Quota)
            })
            .transpose()?;
        let throttle = match (rate, burst) {
            (None, None) => None,
            (None, Some(_)) => return Err(UsagePlanError::BurstWithoutRate),
            (Some(rate), None) => Some(Throttle::per_second(rate)?),
            (Some(rate), Some(burst)) => Some(Throttle::new(rate, burst)?),
        };
        Ok(Self {
            throttle,
            quota_per_day,
        })
    }

    /// Reads a plan written as `rate=5;burst=10;quota=1000`: settings
    /// separated by `;`, in any order, each at most once, meaning what
    /// they mean in [`from_settings`]. The form a per-key plan takes in
    /// `PAYMENTS_API_KEYS` (`key:organisation-uuid:rate=5;burst=10`).
    ///
    /// # Errors
    /// When the text names no setting, a setting is not one of the three,
    /// is repeated, or its value is not valid.
    ///
    /// [`from_settings`]: UsagePlan::from_settings
    pub fn parse(text: &str) -> Result<Self, UsagePlanError> {
        let mut rate = None;
        let mut burst = None;
        let mut quota = None;
        let settings = text.split(';').map(str::trim).filter(|s| !s.is_empty());
        let mut named = 0;
        for (index, setting) in settings.enumerate() {
            let position = index + 1;
            let (name, value) = setting
                .split_once('=')
                .ok_or(UsagePlanError::Malformed { position })?;
            let slot = match name.trim() {
                "rate" => &mut rate,
                "burst" => &mut burst,
                "quota" => &mut quota,
                _ => return Err(UsagePlanError::Malformed { position }),
            };
            if slot.replace(value).is_some() {
                return Err(UsagePlanError::Repeated { position });
            }
            named = position;
        }
        if named == 0 {
            return Err(UsagePlanError::Empty);
        }
        Self::from_settings(rate, burst, quota)
    }

    /// This plan where it sets a limit, `defaults` where it does not. A
    /// throttle is taken whole: `rate=5` alone bursts to 5, not to the
    /// default burst.
    pub(crate) fn over(self, defaults: UsagePlan) -> UsagePlan {
        UsagePlan {
            throttle: self.throttle.or(defaults.throttle),
            quota_per_day: self.quota_per_day.or(defaults.quota_per_day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(rate: f64, burst: u32) -> Throttle {
        Throttle::new(rate, NonZeroU32::new(burst).unwrap()).unwrap()
    }

    #[test]
    fn settings_left_unset_limit_nothing() {
        let plan = UsagePlan::from_settings(None, None, None).unwrap();

        assert!(plan.is_unlimited());
    }

    #[test]
    fn a_rate_without_a_burst_bursts_to_one_second_of_requests() {
        let cases = [
            ("5", 5, "a whole rate"),
            ("2.5", 3, "a fractional rate rounds up"),
            ("0.5", 1, "a rate below one still lets one through"),
        ];
        for (rate, burst, reason) in cases {
            let plan = UsagePlan::from_settings(Some(rate), None, None).unwrap();

            assert_eq!(plan.throttle().unwrap().burst().get(), burst, "{reason}");
        }
    }

    #[test]
    fn all_three_settings_make_one_plan() {
        let plan = UsagePlan::from_settings(Some("1"), Some("3"), Some("1000")).unwrap();

        assert_eq!(plan.throttle(), Some(throttle(1.0, 3)));
        assert_eq!(plan.quota_per_day().unwrap().get(), 1000);
    }

    #[test]
    fn bad_settings_are_refused_naming_the_setting() {
        let cases = [
            (Some("0"), None, None, UsagePlanError::Rate, "zero rate"),
            (
                Some("-1"),
                None,
                None,
                UsagePlanError::Rate,
                "negative rate",
            ),
            (
                Some("NaN"),
                None,
                None,
                UsagePlanError::Rate,
                "not a number",
            ),
            (
                Some("inf"),
                None,
                None,
                UsagePlanError::Rate,
                "infinite rate",
            ),
            (
                Some("1e-300"),
                None,
                None,
                UsagePlanError::Rate,
                "interval overflows",
            ),
            (Some("fast"), None, None, UsagePlanError::Rate, "words"),
            (
                Some("1"),
                Some("0"),
                None,
                UsagePlanError::Burst,
                "zero burst",
            ),
            (
                Some("1"),
                Some("1.5"),
                None,
                UsagePlanError::Burst,
                "fractional burst",
            ),
            (
                None,
                Some("3"),
                None,
                UsagePlanError::BurstWithoutRate,
                "burst alone",
            ),
            (None, None, Some("0"), UsagePlanError::Quota, "zero quota"),
            (
                None,
                None,
                Some("-5"),
                UsagePlanError::Quota,
                "negative quota",
            ),
        ];
        for (rate, burst, quota, expected, reason) in cases {
            assert_eq!(
                UsagePlan::from_settings(rate, burst, quota),
                Err(expected),
                "{reason}"
            );
        }
    }

    #[test]
    fn a_written_plan_reads_its_settings_in_any_order() {
        let plan = UsagePlan::parse(" quota=1000; burst=10 ;rate=5;").unwrap();

        assert_eq!(plan.throttle(), Some(throttle(5.0, 10)));
        assert_eq!(plan.quota_per_day().unwrap().get(), 1000);
        assert_eq!(
            UsagePlan::parse("quota=7").unwrap().throttle(),
            None,
            "a quota alone sets no throttle"
        );
    }

    #[test]
    fn bad_written_plans_are_refused_by_position_without_echoing_them() {
        let cases = [
            ("", UsagePlanError::Empty),
            (" ; ", UsagePlanError::Empty),
            (
                "rate=1;secret-key-0123456789",
                UsagePlanError::Malformed { position: 2 },
            ),
            ("speed=1", UsagePlanError::Malformed { position: 1 }),
            ("rate=1;rate=2", UsagePlanError::Repeated { position: 2 }),
            ("rate=1;burst=x", UsagePlanError::Burst),
        ];
        for (text, expected) in cases {
            let error = UsagePlan::parse(text).unwrap_err();

            assert_eq!(error, expected, "{text:?}");
            assert!(!error.to_string().contains("secret"), "{error}");
        }
    }

    #[test]
    fn a_key_plan_overrides_the_defaults_limit_by_limit() {
        let defaults = UsagePlan::parse("rate=1;burst=3;quota=1000").unwrap();

        let quota_only = UsagePlan::parse("quota=5").unwrap().over(defaults);
        let rate_only = UsagePlan::parse("rate=10").unwrap().over(defaults);

        assert_eq!(quota_only.throttle(), Some(throttle(1.0, 3)));
        assert_eq!(quota_only.quota_per_day().unwrap().get(), 5);
        assert_eq!(rate_only.throttle(), Some(throttle(10.0, 10)));
        assert_eq!(rate_only.quota_per_day().unwrap().get(), 1000);
    }

    #[test]
    fn the_advertised_window_is_the_time_an_empty_burst_takes_to_refill() {
        let cases = [
            (throttle(10.0, 10), 1, "ten a second"),
            (throttle(1.0, 3), 3, "one a second, three at once"),
            (throttle(0.5, 1), 2, "one every two seconds"),
            (throttle(5.0, 2), 1, "under a second rounds up to one"),
        ];
        for (throttle, window, reason) in cases {
            assert_eq!(throttle.window_seconds(), window, "{reason}");
        }
    }
}
