//! A request body that must arrive in time: whole within the request
//! timeout, and no slower than the minimum data rate once its grace period
//! is over. A body that breaks either makes its next read fail with a
//! `TimedOut` I/O error, so the service answers (408) and the connection
//! closes with the rest of the body unread.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Limited;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};
use tower::BoxError;

use crate::config::MinDataRate;

/// Body of the requests the served service receives: hyper's streaming body,
/// held to [`ServeConfig::request_timeout`](crate::ServeConfig) and
/// [`ServeConfig::min_request_body_rate`](crate::ServeConfig), and capped
/// at [`ServeConfig::request_body_limit`](crate::ServeConfig). Reading past
/// the cap yields an error that wraps [`http_body_util::LengthLimitError`],
/// which axum's body extractors answer with 413; reading too late or too
/// slowly yields one that wraps an [`io::Error`] of kind
/// [`io::ErrorKind::TimedOut`].
///
/// Every request reaches the service, even one whose `Content-Length`
/// already exceeds the cap: the service answers the 413 itself (for the
/// payments Router: problem+json with a request id, and an access-log
/// line), and the cap still bounds what one request can make the server
/// hold.
///
/// [`http_body_util::LengthLimitError`]: https://docs.rs/http-body-util/0.1/http_body_util/struct.LengthLimitError.html
pub type RequestBody = Limited<TimedBody>;

/// A request body held to a deadline and a minimum rate; see
/// [`RequestBody`].
#[derive(Debug)]
pub struct TimedBody {
    inner: Incoming,
    started: Instant,
    deadline: Instant,
    min_rate: Option<MinDataRate>,
    received: u64,
    /// Made the first time the body has to wait for the client: most
    /// bodies arrive with their head and never need one.
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    /// `inner`, whose head arrived now, to be whole within `timeout`.
    pub(crate) fn new(inner: Incoming, timeout: Duration, min_rate: Option<MinDataRate>) -> Self {
        let started = Instant::now();
        let deadline = started + timeout;
        Self {
            inner,
            started,
            deadline,
            min_rate,
            received: 0,
            timer: None,
        }
    }

    /// Why the body is too late at `now`, if it is.
    fn too_late(&self, now: Instant) -> Option<String> {
        if now >= self.deadline {
            return Some(format!(
                "the request body did not arrive within {:?}",
                self.deadline - self.started
            ));
        }
        let rate = self.min_rate?;
        let elapsed = now - self.started;
        (elapsed >= rate.grace && self.received < owed(rate, elapsed)).then(|| {
            format!(
                "the request body arrived slower than {} bytes a second",
                rate.bytes_per_second
            )
        })
    }

    /// The next instant at which the body, with no more data, is too late.
    fn next_check(&self) -> Instant {
        let Some(rate) = self.min_rate.filter(|rate| rate.bytes_per_second > 0) else {
            return self.deadline;
        };
        // The rate is broken once bytes_per_second * elapsed > received.
        let micros =
            (u128::from(self.received) + 1) * 1_000_000 / u128::from(rate.bytes_per_second);
        let starved = Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX));
        (self.started + starved.max(rate.grace)).min(self.deadline)
    }
}

/// Bytes a body at exactly `rate` has delivered after `elapsed`.
fn owed(rate: MinDataRate, elapsed: Duration) -> u64 {
    let owed = u128::from(rate.bytes_per_second) * elapsed.as_micros() / 1_000_000;
    u64::try_from(owed).unwrap_or(u64::MAX)
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        // Waiting on the client: is it already too late, and if not, when
        // would it be, were nothing more to come?
        loop {
            if let Some(reason) = this.too_late(Instant::now()) {
                let error = io::Error::new(io::ErrorKind::TimedOut, reason);
                return Poll::Ready(Some(Err(error.into())));
            }
            let next = this.next_check();
            let timer = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(next)));
            timer.as_mut().reset(next);
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_owes_the_rate_times_the_time_since_its_head() {
        let rate = MinDataRate {
            bytes_per_second: 240,
            grace: Duration::from_secs(5),
        };
        assert_eq!(owed(rate, Duration::from_secs(5)), 1_200);
        assert_eq!(owed(rate, Duration::from_millis(2_500)), 600);
        assert_eq!(owed(rate, Duration::ZERO), 0);
    }
}
