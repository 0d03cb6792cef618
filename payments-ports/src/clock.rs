//! Where time and new ids come from.

use payments_domain::{PaymentId, Timestamp};

/// The source of "now" for every change the service makes.
#[cfg_attr(test, mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant, to the microsecond.
    ///
    /// # Errors
    /// None: a clock always answers. Implementations MUST return instants
    /// that do not go backwards within one process, or list order by
    /// creation time stops matching the order of creation.
    fn now(&self) -> Timestamp;
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the system clock
    fn now(&self) -> Timestamp {
        Timestamp::from_clock(chrono::Utc::now())
    }
}

/// The source of ids for payments the server names (the recorder contract;
/// Form3 clients choose their own).
#[cfg_attr(test, mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh payment id.
    ///
    /// # Errors
    /// None. Implementations MUST NOT return an id twice; random version 4
    /// UUIDs meet that in practice.
    fn payment_id(&self) -> PaymentId;
}

/// Random (version 4) UUIDs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    #[allow(clippy::disallowed_methods)] // the one place that makes random ids
    fn payment_id(&self) -> PaymentId {
        PaymentId::from_uuid(uuid::Uuid::new_v4())
    }
}
