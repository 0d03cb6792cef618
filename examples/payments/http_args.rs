//! The transport's limits for `payments serve`: every field of
//! `http_hyper::ServeConfig`, as a flag and an environment variable, with
//! the library's defaults.

use std::time::Duration;

use clap::Args;
use http_hyper::{MinDataRate, ServeConfig};

/// How connections and requests are bounded. Durations are seconds, and
/// may have a fraction (`0.5`).
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Seconds a client has to send a request head; also how long an idle
    /// HTTP/1 keep-alive connection is kept.
    #[arg(long = "http-header-read-timeout", env = "PAYMENTS_HTTP_HEADER_READ_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub header_read_timeout: Duration,
    /// Seconds, from its head, a request's body has to arrive whole (408
    /// after that).
    #[arg(long = "http-request-timeout", env = "PAYMENTS_HTTP_REQUEST_TIMEOUT", default_value = "30", value_parser = seconds)]
    pub request_timeout: Duration,
    /// Slowest a request body may arrive, in bytes a second averaged from
    /// its head, once its grace is over (408 below it); 0 turns it off.
    #[arg(
        long = "http-min-body-rate",
        env = "PAYMENTS_HTTP_MIN_BODY_RATE",
        default_value_t = 240
    )]
    pub min_body_rate: u64,
    /// Seconds a body may arrive slower than the minimum rate.
    #[arg(long = "http-min-body-rate-grace", env = "PAYMENTS_HTTP_MIN_BODY_RATE_GRACE", default_value = "5", value_parser = seconds)]
    pub min_body_rate_grace: Duration,
    /// Seconds a connection with no request in flight is kept, HTTP/1 or
    /// HTTP/2, PINGs or not.
    #[arg(long = "http-idle-timeout", env = "PAYMENTS_HTTP_IDLE_TIMEOUT", default_value = "60", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Seconds any connection may live before it is closed gracefully.
    #[arg(long = "http-max-connection-age", env = "PAYMENTS_HTTP_MAX_CONNECTION_AGE", default_value = "3600", value_parser = seconds)]
    pub max_connection_age: Duration,
    /// Connections open at once; at the cap, new clients wait until one
    /// closes. Default: the open-file limit (`ulimit -n`) less 64.
    #[arg(long = "http-max-connections", env = "PAYMENTS_HTTP_MAX_CONNECTIONS", value_parser = clap::value_parser!(usize))]
    pub max_connections: Option<usize>,
    /// Seconds requests in flight may run on after SIGTERM or ctrl-c.
    #[arg(long = "http-shutdown-grace", env = "PAYMENTS_HTTP_SHUTDOWN_GRACE", default_value = "30", value_parser = seconds)]
    pub shutdown_grace: Duration,
}

impl HttpArgs {
    /// The server's configuration, with bodies capped at `body_limit`.
    pub fn config(&self, body_limit: usize) -> ServeConfig {
        let defaults = ServeConfig::default();
        ServeConfig {
            header_read_timeout: self.header_read_timeout,
            request_timeout: self.request_timeout,
            min_request_body_rate: (self.min_body_rate > 0).then_some(MinDataRate {
                bytes_per_second: self.min_body_rate,
                grace: self.min_body_rate_grace,
            }),
            idle_timeout: self.idle_timeout,
            max_connection_age: self.max_connection_age,
            max_connections: self.max_connections.unwrap_or(defaults.max_connections),
            request_body_limit: body_limit,
            shutdown_grace_period: self.shutdown_grace,
        }
    }
}

/// A positive number of seconds, with an optional fraction.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|seconds| *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("must be a positive number of seconds, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::seconds;
    use std::time::Duration;

    #[test]
    fn durations_are_positive_seconds() {
        assert_eq!(seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "ten", "", "NaN", "inf"] {
            assert!(seconds(bad).is_err(), "{bad:?}");
        }
    }
}
