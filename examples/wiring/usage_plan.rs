//! The usage plans of `payments serve`: the default throttle and daily
//! quota every API key is held to, from `PAYMENTS_THROTTLE_RATE`,
//! `PAYMENTS_THROTTLE_BURST` and `PAYMENTS_QUOTA_PER_DAY` (or their
//! flags); each unset is that limit off. A key's own plan rides in
//! `PAYMENTS_API_KEYS` (`key:org-uuid:rate=5;burst=10;quota=1000`).
//!
//! The Lambda front end has none of this: API Gateway's usage plan
//! (deploy/template.yaml) limits it before the function runs.

use http_api::{UsagePlan, UsagePlanError, UsagePlans};

/// Steady requests per second per API key (a positive number).
pub const THROTTLE_RATE: &str = "PAYMENTS_THROTTLE_RATE";

/// Requests let through at once (a positive whole number; needs a rate).
pub const THROTTLE_BURST: &str = "PAYMENTS_THROTTLE_BURST";

/// Requests per API key per UTC day (a positive whole number).
pub const QUOTA_PER_DAY: &str = "PAYMENTS_QUOTA_PER_DAY";

/// The three settings as given, from a flag or its variable; `None` (or
/// blank) when unset.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// [`THROTTLE_RATE`] (`--throttle-rate`).
    pub throttle_rate: Option<String>,
    /// [`THROTTLE_BURST`] (`--throttle-burst`).
    pub throttle_burst: Option<String>,
    /// [`QUOTA_PER_DAY`] (`--quota-per-day`).
    pub quota_per_day: Option<String>,
}

fn given(setting: Option<&String>) -> Option<&str> {
    setting
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
}

/// The plans the settings describe, on the system clock.
///
/// # Errors
/// When a setting is not valid, or a burst is given without a rate; the
/// message names the variable and its flag.
pub fn plans(settings: &Settings) -> anyhow::Result<UsagePlans> {
    let defaults = UsagePlan::from_settings(
        given(settings.throttle_rate.as_ref()),
        given(settings.throttle_burst.as_ref()),
        given(settings.quota_per_day.as_ref()),
    )
    .map_err(|error| match error {
        UsagePlanError::Rate => anyhow::anyhow!("{THROTTLE_RATE} (--throttle-rate): {error}"),
        UsagePlanError::Burst => anyhow::anyhow!("{THROTTLE_BURST} (--throttle-burst): {error}"),
        UsagePlanError::Quota => anyhow::anyhow!("{QUOTA_PER_DAY} (--quota-per-day): {error}"),
        UsagePlanError::BurstWithoutRate => anyhow::anyhow!(
            "{THROTTLE_BURST} (--throttle-burst) is set without {THROTTLE_RATE} (--throttle-rate): {error}"
        ),
        other => anyhow::anyhow!("usage plan: {other}"),
    })?;
    if let Some(throttle) = defaults.throttle() {
        tracing::info!(
            rate = throttle.rate(),
            burst = throttle.burst().get(),
            "throttle per API key and per client address"
        );
    }
    if let Some(quota) = defaults.quota_per_day() {
        tracing::info!(quota = quota.get(), "quota per API key per UTC day");
    }
    Ok(UsagePlans::new(defaults))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(rate: Option<&str>, burst: Option<&str>, quota: Option<&str>) -> Settings {
        Settings {
            throttle_rate: rate.map(str::to_owned),
            throttle_burst: burst.map(str::to_owned),
            quota_per_day: quota.map(str::to_owned),
        }
    }

    #[test]
    fn settings_become_the_default_plan() {
        let plans = plans(&settings(Some("1"), Some("3"), Some("1000"))).unwrap();

        let defaults = plans.defaults();
        assert_eq!(
            defaults.throttle().map(|t| (t.rate(), t.burst().get())),
            Some((1.0, 3))
        );
        assert_eq!(
            defaults.quota_per_day().map(std::num::NonZeroU64::get),
            Some(1000)
        );
    }

    #[test]
    fn unset_or_blank_settings_limit_nothing() {
        let unset = plans(&Settings::default()).unwrap();
        let blank = plans(&settings(Some(""), Some(" "), Some(""))).unwrap();

        assert!(unset.defaults().is_unlimited());
        assert!(blank.defaults().is_unlimited());
    }

    #[test]
    fn a_bad_setting_is_refused_naming_its_variable_and_flag() {
        let cases = [
            (
                settings(Some("0"), None, None),
                "PAYMENTS_THROTTLE_RATE (--throttle-rate): the rate must be a positive number of requests per second",
            ),
            (
                settings(Some("1"), Some("many"), None),
                "PAYMENTS_THROTTLE_BURST (--throttle-burst): the burst must be a positive whole number of requests",
            ),
            (
                settings(None, None, Some("-3")),
                "PAYMENTS_QUOTA_PER_DAY (--quota-per-day): the quota must be a positive whole number of requests per day",
            ),
            (
                settings(None, Some("3"), None),
                "PAYMENTS_THROTTLE_BURST (--throttle-burst) is set without PAYMENTS_THROTTLE_RATE (--throttle-rate): a burst needs a rate: without one nothing refills the burst",
            ),
        ];
        for (settings, expected) in cases {
            assert_eq!(plans(&settings).unwrap_err().to_string(), expected);
        }
    }
}
