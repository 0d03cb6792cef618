//! Where the repository connects, and how big its connection pool is.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// The variable naming the database to connect to.
const URL_VARIABLE: &str = "DATABASE_URL";
/// The variable holding the pool's size.
const POOL_SIZE_VARIABLE: &str = "PAYMENTS_PG_POOL_SIZE";
/// The variable holding how long a call waits for a pooled connection.
const ACQUIRE_TIMEOUT_VARIABLE: &str = "PAYMENTS_PG_ACQUIRE_TIMEOUT_MS";

/// How to reach PostgreSQL: the database URL and the connection pool's
/// limits.
///
/// `Debug` shows the URL without its password, so a logged configuration
/// leaks no credential.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    /// A libpq-style URL, `postgres://user:password@host:5432/database`
    /// (query parameters such as `sslmode=require` are honoured).
    pub url: String,
    /// The most connections the pool opens at once.
    pub max_connections: u32,
    /// How long a repository call waits for a free connection (or for a new
    /// one to open) before it fails as unavailable.
    pub acquire_timeout: Duration,
}

impl PostgresConfig {
    /// The pool size when `PAYMENTS_PG_POOL_SIZE` is unset.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
    /// The acquire timeout when `PAYMENTS_PG_ACQUIRE_TIMEOUT_MS` is unset.
    pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

    /// A configuration for `url` with the default pool limits.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            acquire_timeout: Self::DEFAULT_ACQUIRE_TIMEOUT,
        }
    }

    /// Reads the configuration from the process environment:
    ///
    /// | variable | meaning | default |
    /// | --- | --- | --- |
    /// | `DATABASE_URL` | the database URL | required |
    /// | `PAYMENTS_PG_POOL_SIZE` | most connections open at once (1 or more) | 10 |
    /// | `PAYMENTS_PG_ACQUIRE_TIMEOUT_MS` | wait for a connection, in ms (1 or more) | 3000 |
    ///
    /// An empty variable counts as unset.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing or invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name).map(std::ffi::OsString::into_string))
    }

    /// [`from_env`](Self::from_env) over any source of variables, so tests
    /// need not change the process environment. `lookup` returns `None`
    /// for an unset variable and `Err` for one that is not UTF-8.
    fn from_lookup(
        lookup: impl Fn(&str) -> Option<Result<String, std::ffi::OsString>>,
    ) -> Result<Self, ConfigError> {
        let read = |variable: &'static str| match lookup(variable) {
            None => Ok(None),
            Some(Ok(value)) if value.is_empty() => Ok(None),
            Some(Ok(value)) => Ok(Some(value)),
            Some(Err(_)) => Err(ConfigError::Invalid {
                variable,
                reason: "it is not valid UTF-8".to_owned(),
            }),
        };

        let url = read(URL_VARIABLE)?.ok_or(ConfigError::Missing {
            variable: URL_VARIABLE,
        })?;
        // Checked here rather than at connect time so the error names the
        // variable. The parser's own message never repeats the URL, so it
        // cannot leak the password.
        PgConnectOptions::from_str(&url).map_err(|error| ConfigError::Invalid {
            variable: URL_VARIABLE,
            reason: error.to_string(),
        })?;
        let max_connections = match read(POOL_SIZE_VARIABLE)? {
            None => Self::DEFAULT_MAX_CONNECTIONS,
            Some(text) => positive(POOL_SIZE_VARIABLE, &text)?,
        };
        let acquire_timeout = match read(ACQUIRE_TIMEOUT_VARIABLE)? {
            None => Self::DEFAULT_ACQUIRE_TIMEOUT,
            Some(text) => Duration::from_millis(positive(ACQUIRE_TIMEOUT_VARIABLE, &text)?),
        };
        Ok(Self {
            url,
            max_connections,
            acquire_timeout,
        })
    }

    /// The URL with every secret in it replaced by `***`, for logs: the
    /// password of the user info, and the value of each query parameter
    /// whose name speaks of a secret (`password`, `sslpassword`, any name
    /// holding `pass`, `secret`, `token` or `key`).
    pub fn redacted_url(&self) -> String {
        redact_password(&self.url)
    }
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &self.redacted_url())
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

/// A whole number of at least 1: a pool of no connections, or a timeout of
/// no time, would make every call fail.
fn positive<N>(variable: &'static str, text: &str) -> Result<N, ConfigError>
where
    N: FromStr + PartialOrd + From<u8>,
{
    match text.trim().parse::<N>() {
        Ok(number) if number >= N::from(1) => Ok(number),
        _ => Err(ConfigError::Invalid {
            variable,
            reason: format!("expected a whole number of at least 1, got {text:?}"),
        }),
    }
}

/// Replaces the secrets of a `scheme://user:password@host/db?name=value`
/// URL with `***`: the user info's password and the values of query
/// parameters named like secrets. What is not a URL is hidden whole.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The last `@` ends the user info: a password may itself hold an `@`.
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut redacted = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        // A fragment has no meaning to libpq; it goes with the query.
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _value)) if names_a_secret(name) => format!("{name}=***"),
                _ => parameter.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&parameters.join("&"));
    }
    redacted
}

/// Whether a query parameter's name says its value is a secret.
fn names_a_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["pass", "secret", "token", "key"]
        .iter()
        .any(|word| name.contains(word))
}

/// Why the configuration cannot be used. Raised at start-up, before any
/// request, so it has no HTTP status: the process should exit with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{variable} is not set: it must name the PostgreSQL database, as in postgres://user:password@localhost:5432/payments")]
    Missing {
        /// The variable's name.
        variable: &'static str,
    },
    /// A variable is set to something unusable.
    #[error("{variable} is not valid: {reason}")]
    Invalid {
        /// The variable's name.
        variable: &'static str,
        /// What is wrong with it (never the value of the URL).
        reason: String,
    },
    /// The URL given to [`PostgresRepository::connect`] does not parse.
    ///
    /// [`PostgresRepository::connect`]: crate::PostgresRepository::connect
    #[error("the PostgreSQL URL is not valid")]
    InvalidUrl(#[source] payments_ports::DriverError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_from(vars: &[(&str, &str)]) -> Result<PostgresConfig, ConfigError> {
        PostgresConfig::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| Ok((*value).to_owned()))
        })
    }

    #[test]
    fn only_the_url_is_required_and_the_pool_has_defaults() {
        let config = config_from(&[("DATABASE_URL", "postgres://app@db:5432/payments")]).unwrap();

        assert_eq!(
            config,
            PostgresConfig::new("postgres://app@db:5432/payments")
        );
        assert_eq!(config.max_connections, 10);
        assert_eq!(config.acquire_timeout, Duration::from_secs(3));
    }

    #[test]
    fn pool_size_and_acquire_timeout_are_read_when_set() {
        let config = config_from(&[
            ("DATABASE_URL", "postgres://app@db/payments"),
            ("PAYMENTS_PG_POOL_SIZE", "25"),
            ("PAYMENTS_PG_ACQUIRE_TIMEOUT_MS", "750"),
        ])
        .unwrap();

        assert_eq!(config.max_connections, 25);
        assert_eq!(config.acquire_timeout, Duration::from_millis(750));
    }

    #[test]
    fn a_missing_or_empty_url_is_an_error_naming_the_variable() {
        for vars in [&[][..], &[("DATABASE_URL", "")][..]] {
            let error = config_from(vars).unwrap_err();

            assert!(
                matches!(
                    error,
                    ConfigError::Missing {
                        variable: "DATABASE_URL"
                    }
                ),
                "{vars:?}: {error:?}"
            );
        }
    }

    #[test]
    fn unusable_values_are_errors_naming_their_variable() {
        let url = ("DATABASE_URL", "postgres://app@db/payments");
        let cases = [
            (("PAYMENTS_PG_POOL_SIZE", "0"), "a pool of no connections"),
            (("PAYMENTS_PG_POOL_SIZE", "ten"), "not a number"),
            (("PAYMENTS_PG_POOL_SIZE", "-1"), "negative"),
            (("PAYMENTS_PG_ACQUIRE_TIMEOUT_MS", "0"), "no time at all"),
            (("PAYMENTS_PG_ACQUIRE_TIMEOUT_MS", "3s"), "a unit"),
            (
                ("DATABASE_URL", "postgres://app@db:notaport/x"),
                "a bad port",
            ),
        ];
        for ((variable, value), reason) in cases {
            let error = config_from(&[(variable, value), url]).unwrap_err();

            assert!(
                matches!(&error, ConfigError::Invalid { variable: named, .. } if *named == variable),
                "{reason}: {error:?}"
            );
            assert!(error.to_string().starts_with(variable), "{reason}: {error}");
        }
    }

    #[test]
    fn a_url_error_does_not_repeat_the_password() {
        let error =
            config_from(&[("DATABASE_URL", "postgres://app:s3cret@db:notaport/x")]).unwrap_err();

        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[test]
    fn debug_output_hides_the_password() {
        let config =
            PostgresConfig::new("postgres://app:p@ss:word@db:5432/payments?sslmode=require");

        let shown = format!("{config:?}");

        assert!(!shown.contains("p@ss:word"), "{shown}");
        assert!(
            shown.contains("postgres://app:***@db:5432/payments?sslmode=require"),
            "{shown}"
        );
    }

    #[test]
    fn secrets_in_the_query_are_hidden_too() {
        let redacted = |url: &str| PostgresConfig::new(url).redacted_url();

        assert_eq!(
            redacted("postgres://app@db/payments?password=S3cret&sslmode=require"),
            "postgres://app@db/payments?password=***&sslmode=require"
        );
        assert_eq!(
            redacted("postgres://db/payments?user=app&PASSWORD=S3cret&sslpassword=k3y&sslkey=/k"),
            "postgres://db/payments?user=app&PASSWORD=***&sslpassword=***&sslkey=***"
        );
        assert_eq!(
            redacted("postgres://app:p@ss@db/payments?password=S3cret"),
            "postgres://app:***@db/payments?password=***"
        );
        assert_eq!(redacted("host=db password=S3cret"), "***");
    }
}
