//! A count of one client's requests per UTC day, reset at 00:00 UTC as
//! API Gateway's `DAY` quota period is.
//!
//! Only the current day's count is kept: the first request of a new day
//! drops the old one, so memory stays one counter per client whatever the
//! uptime.

use std::num::NonZeroU64;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use payments_domain::Timestamp;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// The UTC day an instant falls on, as days since 1970-01-01. Unix time
/// has no leap seconds, so every day is 86 400 s long.
fn utc_day(now: Timestamp) -> i64 {
    now.unix_micros().div_euclid(MICROS_PER_DAY)
}

/// The time from `now` to the next 00:00 UTC (a full day at midnight).
pub(crate) fn until_next_utc_midnight(now: Timestamp) -> Duration {
    let left = MICROS_PER_DAY - now.unix_micros().rem_euclid(MICROS_PER_DAY);
    Duration::from_micros(left.unsigned_abs())
}

/// One client's daily quota and what is used of it today.
#[derive(Debug)]
pub(crate) struct DailyQuota {
    limit: NonZeroU64,
    today: Mutex<Today>,
}

#[derive(Debug, Clone, Copy)]
struct Today {
    day: i64,
    used: u64,
}

/// A request counted against today's quota; holding it keeps others of
/// the same client waiting, so a request refused by a later limit can be
/// left uncounted ([`Reservation::commit`] is then not called).
pub(crate) struct Reservation<'a> {
    limit: NonZeroU64,
    today: MutexGuard<'a, Today>,
}

impl DailyQuota {
    /// `limit` requests per UTC day, none used yet.
    pub(crate) fn new(limit: NonZeroU64) -> Self {
        Self {
            limit,
            today: Mutex::new(Today {
                day: i64::MIN,
                used: 0,
            }),
        }
    }

    /// The requests allowed per day.
    pub(crate) fn limit(&self) -> NonZeroU64 {
        self.limit
    }

    /// Room for one more request today, held until committed or dropped;
    /// `None` when today's quota is used up.
    pub(crate) fn reserve(&self, now: Timestamp) -> Option<Reservation<'_>> {
        // A panic elsewhere while counting leaves a count that is still a
        // number: keep counting rather than refuse every request.
        let mut today = self.today.lock().unwrap_or_else(PoisonError::into_inner);
        let day = utc_day(now);
        // Clocks do not go backwards (the Clock port's contract); if one
        // did, counting on into the later day is the safe side.
        if day > today.day {
            *today = Today { day, used: 0 };
        }
        (today.used < self.limit.get()).then_some(Reservation {
            limit: self.limit,
            today,
        })
    }
}

impl Reservation<'_> {
    /// How many requests are left today, this one not counted.
    pub(crate) fn remaining(&self) -> u64 {
        self.limit.get() - self.today.used
    }

    /// Counts the request; returns how many are left today.
    pub(crate) fn commit(mut self) -> u64 {
        self.today.used += 1;
        self.limit.get() - self.today.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn the_quota_is_used_up_then_refused_for_the_rest_of_the_day() {
        let quota = DailyQuota::new(NonZeroU64::new(2).unwrap());

        let first = quota.reserve(at("2024-08-01T00:00:00Z")).unwrap().commit();
        let second = quota.reserve(at("2024-08-01T12:00:00Z")).unwrap().commit();
        let third = quota.reserve(at("2024-08-01T23:59:59.999999Z"));

        assert_eq!((first, second), (1, 0));
        assert!(third.is_none());
    }

    #[test]
    fn the_count_starts_again_at_midnight_utc() {
        let quota = DailyQuota::new(NonZeroU64::new(1).unwrap());
        quota.reserve(at("2024-08-01T23:59:59Z")).unwrap().commit();

        let before_midnight = quota.reserve(at("2024-08-01T23:59:59.999999Z")).is_some();
        let after_midnight = quota
            .reserve(at("2024-08-02T00:00:00Z"))
            .map(Reservation::commit);

        assert!(!before_midnight);
        assert_eq!(after_midnight, Some(0));
    }

    #[test]
    fn midnight_in_another_time_zone_does_not_reset_the_count() {
        let quota = DailyQuota::new(NonZeroU64::new(1).unwrap());
        quota
            .reserve(at("2024-08-01T23:59:00+02:00"))
            .unwrap()
            .commit();

        // Midnight in Paris is 22:00 UTC: the same UTC day.
        let paris_midnight = quota.reserve(at("2024-08-02T00:00:00+02:00"));

        assert!(paris_midnight.is_none());
    }

    #[test]
    fn a_reservation_not_committed_uses_nothing() {
        let quota = DailyQuota::new(NonZeroU64::new(1).unwrap());

        drop(quota.reserve(at("2024-08-01T10:00:00Z")));
        let left = quota
            .reserve(at("2024-08-01T10:00:01Z"))
            .map(Reservation::commit);

        assert_eq!(left, Some(0));
    }

    #[test]
    fn the_time_to_midnight_is_counted_to_the_microsecond() {
        let cases = [
            ("2024-08-01T23:59:30Z", Duration::from_secs(30)),
            ("2024-08-01T23:59:59.999999Z", Duration::from_micros(1)),
            ("2024-08-01T00:00:00Z", Duration::from_secs(86_400)),
            ("1969-12-31T23:00:00Z", Duration::from_secs(3_600)),
        ];
        for (now, expected) in cases {
            assert_eq!(until_next_utc_midnight(at(now)), expected, "{now}");
        }
    }
}
