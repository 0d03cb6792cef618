//! sqlx errors mapped onto the port's [`StoreError`] at the boundary:
//! nothing of sqlx crosses the port except as a boxed source for logs.

use payments_ports::StoreError;

/// SQLSTATE of `unique_violation`.
pub(crate) const UNIQUE_VIOLATION: &str = "23505";

/// Maps a driver error onto the port: retryable faults of the connection or
/// the server become [`StoreError::Unavailable`], values that do not
/// decode become [`StoreError::Corrupt`], and the rest
/// [`StoreError::Unexpected`].
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        // The pool could not hand out a working connection in time, or is
        // shutting down: the database is down, unreachable or saturated,
        // and the same call can succeed once it is back.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        // The connection broke under the call (reset, refused, closed by a
        // terminated backend, failed TLS handshake, garbled stream): a new
        // connection may well work.
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(Box::new(error)),
        sqlx::Error::Database(database)
            if database.code().is_some_and(|code| is_transient_sqlstate(&code)) =>
        {
            StoreError::Unavailable(Box::new(error))
        }
        // A stored value does not read back as its Rust type. The message
        // names the column only: the value itself may be personal data.
        sqlx::Error::ColumnDecode { index, .. } => {
            StoreError::corrupt(format!("column {index} does not decode as expected"))
        }
        sqlx::Error::Decode(_) => {
            StoreError::corrupt("a stored value does not decode as expected")
        }
        // Constraint violations, SQL errors, a schema that does not match
        // the code: none is cured by retrying, so none is "unavailable".
        _ => StoreError::Unexpected(Box::new(error)),
    }
}

/// Whether a SQLSTATE says the server could not serve the call right now
/// rather than that the call is wrong.
fn is_transient_sqlstate(code: &str) -> bool {
    // Class 08, connection exception: the connection failed or was refused.
    code.starts_with("08")
        || matches!(
            code,
            // admin_shutdown (what pg_terminate_backend sends), crash_shutdown,
            // cannot_connect_now (the server is starting or shutting down).
            "57P01" | "57P02" | "57P03"
            // too_many_connections: the server is full for the moment.
            | "53300"
            // serialization_failure and deadlock_detected: the transaction
            // lost a race and may simply be run again.
            | "40001" | "40P01"
        )
}

/// Whether `error` is `deadlock_detected`: the server failed this call to
/// break a cycle of waits.
pub(crate) fn is_deadlock(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|code| code == "40P01")
}

/// Whether `error` is a unique violation: an insert met an existing key.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|code| code == UNIQUE_VIOLATION)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::fmt;

    use sqlx::error::{DatabaseError, ErrorKind};

    use super::*;

    /// A server error carrying only a SQLSTATE, as sqlx would report it.
    #[derive(Debug)]
    struct ServerError(&'static str);

    impl fmt::Display for ServerError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "server error {}", self.0)
        }
    }

    impl std::error::Error for ServerError {}

    impl DatabaseError for ServerError {
        fn message(&self) -> &'static str {
            "server error"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    fn server(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(ServerError(code)))
    }

    #[test]
    fn faults_a_retry_can_cure_are_unavailable() {
        let cases = [
            (
                sqlx::Error::PoolTimedOut,
                "no connection within the acquire timeout",
            ),
            (sqlx::Error::PoolClosed, "the pool is shutting down"),
            (
                sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
                "the connection was reset",
            ),
            (
                sqlx::Error::Protocol("unexpected end".into()),
                "a garbled stream",
            ),
            (sqlx::Error::Tls("handshake failed".into()), "TLS failed"),
            (server("08006"), "connection failure"),
            (server("08001"), "the client could not connect"),
            (server("57P01"), "pg_terminate_backend / admin shutdown"),
            (server("57P02"), "crash shutdown"),
            (server("57P03"), "the server is starting up"),
            (server("53300"), "too many connections"),
            (server("40001"), "serialization failure"),
            (server("40P01"), "deadlock"),
        ];
        for (error, reason) in cases {
            let mapped = store_error(error);

            assert!(
                matches!(mapped, StoreError::Unavailable(_)),
                "{reason}: {mapped:?}"
            );
        }
    }

    #[test]
    fn faults_a_retry_cannot_cure_are_unexpected() {
        let cases = [
            (
                server("23505"),
                "a unique violation the caller did not expect",
            ),
            (
                server("42P01"),
                "a missing table: the schema is not migrated",
            ),
            (server("42601"), "a syntax error"),
            (server("22003"), "a numeric overflow"),
            (sqlx::Error::RowNotFound, "a row the code relied on"),
            (
                sqlx::Error::ColumnNotFound("version".into()),
                "schema and code disagree",
            ),
        ];
        for (error, reason) in cases {
            let mapped = store_error(error);

            assert!(
                matches!(mapped, StoreError::Unexpected(_)),
                "{reason}: {mapped:?}"
            );
        }
    }

    #[test]
    fn undecodable_values_are_corrupt_without_the_value_in_the_message() {
        let error = sqlx::Error::ColumnDecode {
            index: "\"attributes\"".into(),
            source: "invalid value \"Jane Doe\"".into(),
        };

        let mapped = store_error(error);

        assert_eq!(
            payments_ports::error_chain(&mapped),
            "stored payment data is corrupt: column \"attributes\" does not decode as expected"
        );
    }

    #[test]
    fn the_sqlx_error_is_kept_as_the_source() {
        let mapped = store_error(server("57P01"));

        let source = std::error::Error::source(&mapped).expect("a source");

        assert_eq!(
            source.to_string(),
            "error returned from database: server error 57P01"
        );
    }

    #[test]
    fn only_sqlstate_23505_is_a_unique_violation() {
        assert!(is_unique_violation(&server("23505")));
        assert!(!is_unique_violation(&server("23503")));
        assert!(!is_unique_violation(&sqlx::Error::PoolTimedOut));
    }
}
