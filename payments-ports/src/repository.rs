//! The storage port: what the service needs from a store of payments.

use std::fmt;

use async_trait::async_trait;
use payments_domain::{
    IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Timestamp, Version,
};

/// A boxed error from a storage driver, kept as the source of a
/// [`RepositoryError`] so logs can show the cause.
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a repository call failed. Adapters map their driver's errors onto
/// these; no driver type crosses the port.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A payment with that id exists, or existed and was deleted: ids are
    /// never reused. (HTTP 409)
    #[error("a payment with this id already exists")]
    AlreadyExists,
    /// No live payment with that id in that organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The stored version is not the one the caller expected. (HTTP 409)
    #[error("version conflict: expected version {expected}, stored version is {actual}")]
    VersionConflict {
        /// The version the caller sent.
        expected: Version,
        /// The version stored now.
        actual: Version,
    },
    /// The idempotency key was used before with a different request.
    /// (HTTP 422)
    #[error("the idempotency key was used with a different request")]
    IdempotencyKeyReused,
    /// The store cannot be reached or is overloaded; the same call may
    /// succeed later. (HTTP 503 with `Retry-After`)
    ///
    /// For a write, the outcome is unknown: the connection may have dropped
    /// after the store committed and before it answered. A caller that must
    /// not create twice retries a create with the same idempotency key,
    /// which then replays what was stored.
    #[error("the payment store is unavailable")]
    Unavailable(#[source] DriverError),
    /// Something stored cannot be read back as a payment. (HTTP 500)
    #[error("stored payment data is corrupt: {0}")]
    Corrupt(String),
    /// Any other failure of the store. (HTTP 500)
    #[error("unexpected payment store failure")]
    Unexpected(#[source] DriverError),
}

/// A digest of the request that came with an idempotency key, so a retry
/// can be told from a different request reusing the key. Opaque to the
/// store: compared for equality only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// Wraps a digest computed by the caller (for HTTP: a hash of the route
    /// and the body).
    pub fn new(digest: impl Into<String>) -> Self {
        Self(digest.into())
    }

    /// The digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an idempotent create did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotentOutcome {
    /// The key was new: the payment was created and the key stored with it.
    Created,
    /// The key was used before with the same fingerprint: nothing was
    /// created; this is the payment as the first call created it.
    Replayed(Box<Payment>),
}

/// The most payments one page may hold.
pub const MAX_PAGE_SIZE: u16 = 100;

/// How many payments a page holds: 1 to [`MAX_PAGE_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u16);

impl PageSize {
    /// The page size when the client names none.
    pub const DEFAULT: PageSize = PageSize(20);

    /// Checks a page size.
    ///
    /// # Errors
    /// A message when `size` is 0 or above [`MAX_PAGE_SIZE`].
    pub fn new(size: u64) -> Result<Self, String> {
        match u16::try_from(size) {
            Ok(size @ 1..=MAX_PAGE_SIZE) => Ok(Self(size)),
            _ => Err(format!("must be between 1 and {MAX_PAGE_SIZE}, got {size}")),
        }
    }

    /// The size.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

/// The order of a listing. Payments are ordered by creation time, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Oldest first: new payments appear at the end, so a client paging
    /// through while others create sees each existing payment once.
    #[default]
    OldestFirst,
    /// Newest first.
    NewestFirst,
}

/// Where the next page starts: just after this payment in the listing's
/// order. A keyset position, so pages stay stable while others insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageCursor {
    /// `created_on` of the last payment of the previous page.
    pub created_on: Timestamp,
    /// Its id, which breaks ties between equal creation times.
    pub id: PaymentId,
}

impl PageCursor {
    /// The cursor that continues after `payment`.
    pub fn after(payment: &Payment) -> Self {
        Self {
            created_on: payment.created_on,
            id: payment.id,
        }
    }
}

/// Which page of an organisation's payments to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many payments.
    pub size: PageSize,
    /// Start after this position; `None` for the first page.
    pub after: Option<PageCursor>,
    /// Oldest or newest first.
    pub order: ListOrder,
}

impl PageRequest {
    /// The first page of the given size, oldest first.
    pub fn first(size: PageSize) -> Self {
        Self {
            size,
            after: None,
            order: ListOrder::OldestFirst,
        }
    }
}

/// One page of payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The payments, in the requested order.
    pub payments: Vec<Payment>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<PageCursor>,
}

impl Page {
    /// The page from a look-ahead read: adapters read up to `size + 1`
    /// payments in listing order; one more than `size` means a next page
    /// exists, and it starts after the last payment kept.
    pub fn from_lookahead(mut payments: Vec<Payment>, size: PageSize) -> Self {
        let next = if payments.len() > size.get() {
            payments.truncate(size.get());
            payments.last().map(PageCursor::after)
        } else {
            None
        };
        Self { payments, next }
    }
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.created_on, self.id)
    }
}

/// A store of payments and their histories.
///
/// Every change takes the event that records it (from the domain's
/// transitions) and stores change and event in one atomic step. The shared
/// contract suite (`testkit` feature) checks each rule below against every
/// adapter.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Stores a new payment (`created.payment`, version 0) and its creation
    /// event.
    ///
    /// # Errors
    /// Implementations MUST return [`RepositoryError::AlreadyExists`] when a
    /// payment with that id exists or ever existed (in any organisation),
    /// and MUST NOT change anything stored in that case. Of concurrent
    /// creates with one id, exactly one succeeds.
    async fn create(&self, created: &PaymentEvent) -> Result<(), RepositoryError>;

    /// Stores a new payment like [`create`](Self::create), and in the same
    /// atomic step the idempotency key (scoped to the payment's
    /// organisation) with `fingerprint` and the payment as created.
    ///
    /// Returns [`IdempotentOutcome::Replayed`] with the payment stored the
    /// first time when the key was already used with an equal fingerprint;
    /// nothing is created then. Of concurrent calls with one key, exactly
    /// one creates.
    ///
    /// # Errors
    /// Implementations MUST return [`RepositoryError::IdempotencyKeyReused`]
    /// when the key was used with another fingerprint, and
    /// [`RepositoryError::AlreadyExists`] as `create` does, in which case
    /// the key is not stored either.
    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> Result<IdempotentOutcome, RepositoryError>;

    /// The live payment with that id in that organisation, if any.
    /// Deleted payments and other organisations' payments are `None`.
    ///
    /// # Errors
    /// Implementations MUST return [`RepositoryError::Unavailable`] when the
    /// store cannot be reached and [`RepositoryError::Corrupt`] when the
    /// stored data does not read back as a payment.
    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, RepositoryError>;

    /// One page of an organisation's live payments, ordered by
    /// `(created_on, id)` in `request.order`, starting after
    /// `request.after`. Costs O(page size), not O(payments stored).
    ///
    /// # Errors
    /// As for [`get`](Self::get).
    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, RepositoryError>;

    /// Replaces the payment with `updated.payment` and appends the event, if
    /// the stored version equals `expected`.
    ///
    /// # Errors
    /// Implementations MUST return [`RepositoryError::NotFound`] when no
    /// live payment has that id in that organisation, and
    /// [`RepositoryError::VersionConflict`] with the stored version when it
    /// is not `expected`, changing nothing. Of concurrent updates expecting
    /// one version, exactly one succeeds.
    async fn update(
        &self,
        expected: Version,
        updated: &PaymentEvent,
    ) -> Result<(), RepositoryError>;

    /// Deletes the payment and appends the deletion event, if the stored
    /// version equals `expected`. The payment's events stay readable and
    /// its id is never reused.
    ///
    /// # Errors
    /// As for [`update`](Self::update).
    async fn delete(
        &self,
        expected: Version,
        deleted: &PaymentEvent,
    ) -> Result<(), RepositoryError>;

    /// The history of a payment, oldest first, including after deletion.
    ///
    /// # Errors
    /// Implementations MUST return [`RepositoryError::NotFound`] when the
    /// organisation never had a payment with that id.
    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Vec<PaymentEvent>, RepositoryError>;

    /// Checks that the store answers (for readiness probes).
    ///
    /// # Errors
    /// Implementations MUST return [`RepositoryError::Unavailable`] when it
    /// does not.
    async fn ping(&self) -> Result<(), RepositoryError>;
}
