//! `governor`'s clock, read through the [`Clock`] port: throttles see the
//! same "now" as the rest of the service, and a test moves them with a
//! manual clock instead of sleeping.

use std::sync::Arc;
use std::time::Duration;

use payments_domain::Timestamp;
use payments_ports::Clock;

/// A [`Clock`] as a `governor` clock whose instants are the time since the
/// Unix epoch.
#[derive(Clone)]
pub(crate) struct PortClock(pub(crate) Arc<dyn Clock>);

/// `now` as the time since the Unix epoch (zero before it: `governor`
/// only compares instants, and no server runs in 1969).
pub(crate) fn since_epoch(now: Timestamp) -> Duration {
    Duration::from_micros(u64::try_from(now.unix_micros()).unwrap_or(0))
}

impl governor::clock::Clock for PortClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        since_epoch(self.0.now())
    }
}
