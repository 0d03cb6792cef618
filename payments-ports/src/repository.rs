//! The storage port: what the service needs from a store of payments.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use payments_domain::filter::PaymentFilter;
use payments_domain::report::{TotalOverflow, Totals};
use payments_domain::{
    Bounds, IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Timestamp, Version,
};

/// A boxed error from a storage driver, kept as the source of a
/// [`StoreError`] so logs can show the cause.
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error and every cause under it on one line (`a: b: c`), for the log:
/// a store's error keeps its driver's error as its source, and the log
/// should show both.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A failure of the store itself, whatever was asked of it. Adapters map
/// their driver's errors onto these; no driver type crosses the port.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or is overloaded; the same call may
    /// succeed later. (HTTP 503 with `Retry-After`)
    ///
    /// For a write, the outcome is unknown: the connection may have dropped
    /// after the store committed and before it answered. A caller that must
    /// not create twice retries a create with the same idempotency key,
    /// which then replays what was stored.
    #[error("the payment store is unavailable")]
    Unavailable(#[source] DriverError),
    /// Something stored cannot be read back. (HTTP 500)
    #[error("stored payment data is corrupt: {detail}")]
    Corrupt {
        /// What is damaged and where: ids and member names, never values
        /// (they may be personal data, and this reaches logs).
        detail: String,
        /// The decoder's error, when there is one.
        #[source]
        source: Option<DriverError>,
    },
    /// Any other failure of the store. (HTTP 500)
    #[error("unexpected payment store failure")]
    Unexpected(#[source] DriverError),
}

impl StoreError {
    /// A [`StoreError::Corrupt`] with no decoder error behind it.
    pub fn corrupt(detail: impl Into<String>) -> Self {
        Self::Corrupt {
            detail: detail.into(),
            source: None,
        }
    }

    /// A [`StoreError::Corrupt`] caused by `source`.
    pub fn corrupt_because(
        detail: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Corrupt {
            detail: detail.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Why a create stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A payment with that id exists, or existed and was deleted: ids are
    /// never reused. (HTTP 409)
    #[error("a payment with this id already exists")]
    AlreadyExists,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an idempotent create stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IdempotentCreateError {
    /// The payment's id is taken, and the key was not stored. (HTTP 409)
    #[error("a payment with this id already exists")]
    AlreadyExists,
    /// The key is in force: it was used before, within its retention. The
    /// caller decides between a replay and a refusal from what it holds.
    #[error("the idempotency key is in use")]
    KeyInUse(UsedKey),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A plain create's failures are an idempotent create's too.
impl From<CreateError> for IdempotentCreateError {
    fn from(error: CreateError) -> Self {
        match error {
            CreateError::AlreadyExists => Self::AlreadyExists,
            CreateError::Store(error) => Self::Store(error),
        }
    }
}

/// Why an update or a delete changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// No live payment has that id in that organisation. (HTTP 404)
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
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a store holds of a payment a conditional change did not match:
/// enough to say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredVersion {
    /// Its organisation.
    pub organisation_id: OrganisationId,
    /// Its version now.
    pub version: Version,
    /// `false` once it is deleted.
    pub live: bool,
}

/// Why a change of a payment of `organisation`, expecting `expected`,
/// matched nothing, from what the store holds under its id now (`None`:
/// nothing). The one rule every adapter applies:
///
/// - nothing stored, a deleted payment, or another organisation's payment:
///   [`ChangeError::NotFound`] (existence does not leak across
///   organisations);
/// - a live payment of the organisation at another version:
///   [`ChangeError::VersionConflict`] with the stored version;
/// - a live payment at `expected`: `None`, because the change could apply
///   now (the payment reached that version after the write was tried);
///   the caller tries again or reports an inconsistency.
pub fn refused_change(
    expected: Version,
    organisation: OrganisationId,
    found: Option<StoredVersion>,
) -> Option<ChangeError> {
    match found {
        Some(stored) if stored.live && stored.organisation_id == organisation => {
            (stored.version != expected).then_some(ChangeError::VersionConflict {
                expected,
                actual: stored.version,
            })
        }
        _ => Some(ChangeError::NotFound),
    }
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

/// How long an idempotency key stays in force after its first use. After
/// that it is expired: a new key, free to create again. Stripe keeps keys
/// for 24 hours, the default here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyRetention(Duration);

impl KeyRetention {
    /// 24 hours.
    pub const DEFAULT: KeyRetention = KeyRetention(Duration::from_secs(24 * 60 * 60));
    /// The longest retention accepted: ten years.
    pub const MAX: KeyRetention = KeyRetention(Duration::from_secs(10 * 366 * 24 * 60 * 60));

    /// Checks a retention: at least a second, at most [`KeyRetention::MAX`].
    ///
    /// # Errors
    /// A message when it is outside those bounds.
    pub fn new(retention: Duration) -> Result<Self, String> {
        if retention < Duration::from_secs(1) || retention > Self::MAX.0 {
            Err(format!(
                "must be between 1 second and {} days, got {retention:?}",
                Self::MAX.0.as_secs() / 86_400
            ))
        } else {
            Ok(Self(retention))
        }
    }

    /// The retention.
    pub fn get(self) -> Duration {
        self.0
    }

    /// The latest first use of a key that is expired at `now`: a key first
    /// used at or before this instant is expired, one used after it is in
    /// force. The one expiry rule every store applies.
    pub fn expired_up_to(self, now: Timestamp) -> Timestamp {
        // Ten years back from any instant a clock gives is in range.
        now.checked_sub(self.0).unwrap_or(now)
    }

    /// When a key first used at `first_used_on` expires (for stores that
    /// delete expired items themselves, such as DynamoDB's time to live).
    pub fn expires_on(self, first_used_on: Timestamp) -> Timestamp {
        first_used_on.checked_add(self.0).unwrap_or(first_used_on)
    }
}

/// What a create with an idempotency key asks the store to keep with the
/// payment, in the same atomic step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The client's key, scoped to the payment's organisation.
    pub key: IdempotencyKey,
    /// The fingerprint of the request that uses it.
    pub fingerprint: RequestFingerprint,
    /// How long the key stays in force.
    pub retention: KeyRetention,
}

/// An idempotency key in force, as stored: the request that first used it
/// and the payment that request created. The payment as first created is
/// that payment's creation event, which a replay reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedKey {
    /// The fingerprint of the request that first used the key.
    pub fingerprint: RequestFingerprint,
    /// The payment it created.
    pub payment_id: PaymentId,
}

/// The most payments (or events) one page may hold.
pub const MAX_PAGE_SIZE: u16 = 100;

/// How many payments (or events) a page holds: 1 to [`MAX_PAGE_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u16);

impl PageSize {
    /// The page size when the client names none.
    pub const DEFAULT: PageSize = PageSize(20);
    /// A page of one.
    pub const ONE: PageSize = PageSize(1);

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

    /// The number of items a look-ahead read asks for: one more than the
    /// page, to learn whether a next page exists.
    pub fn with_lookahead(self) -> usize {
        self.get() + 1
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
    /// Only payments created inside these bounds (`from` inclusive, `to`
    /// exclusive): a range of the listing's own order key, which every
    /// store reads as an index range, never by examining what is outside.
    pub created: Bounds<Timestamp>,
}

impl PageRequest {
    /// The first page of the given size, oldest first, of every payment.
    pub fn first(size: PageSize) -> Self {
        Self {
            size,
            after: None,
            order: ListOrder::OldestFirst,
            created: Bounds::all(),
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
    /// A page with no payments and no next one.
    pub fn empty() -> Self {
        Self {
            payments: Vec::new(),
            next: None,
        }
    }

    /// The page from a look-ahead read: adapters read up to
    /// [`PageSize::with_lookahead`] payments in listing order; one more
    /// than `size` means a next page exists, and it starts after the last
    /// payment kept.
    pub fn from_lookahead(payments: Vec<Payment>, size: PageSize) -> Self {
        let (payments, next) = cut_lookahead(payments, size.get(), PageCursor::after);
        Self { payments, next }
    }
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.created_on, self.id)
    }
}

/// The most payments one read of a period returns: reports read a period
/// in reads of this many (a few MB of payments at most).
pub const MAX_PERIOD_READ: usize = 1000;

/// A position in a period: just after this payment, in the order of
/// [`Payment::reported_on`], then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeriodCursor {
    /// `reported_on()` of the last payment read.
    pub reported_on: Timestamp,
    /// Its id, which breaks ties.
    pub id: PaymentId,
}

impl PeriodCursor {
    /// The cursor that continues after `payment`.
    pub fn after(payment: &Payment) -> Self {
        Self {
            reported_on: payment.reported_on(),
            id: payment.id,
        }
    }
}

/// Which payments of a period to read: an organisation's live payments
/// whose [`Payment::reported_on`] is inside `period` (`from` inclusive,
/// `to` exclusive), ordered by `(reported_on, id)`, after `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRequest {
    /// The period.
    pub period: Bounds<Timestamp>,
    /// Start after this position; `None` for the start of the period.
    pub after: Option<PeriodCursor>,
    /// At most this many payments (1 to [`MAX_PERIOD_READ`]; more is read
    /// as [`MAX_PERIOD_READ`]).
    pub size: usize,
}

impl PeriodRequest {
    /// The first read of `period`, of the most payments a read returns.
    pub fn first(period: Bounds<Timestamp>) -> Self {
        Self {
            period,
            after: None,
            size: MAX_PERIOD_READ,
        }
    }

    /// How many payments a store reads: `size` within its bounds.
    pub fn limit(&self) -> usize {
        self.size.clamp(1, MAX_PERIOD_READ)
    }
}

/// One read of a period's payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodPage {
    /// The payments, by `(reported_on, id)`.
    pub payments: Vec<Payment>,
    /// Where the next read starts; `None` at the end of the period.
    pub next: Option<PeriodCursor>,
}

impl PeriodPage {
    /// The page from a look-ahead read of `request.limit() + 1` payments,
    /// as [`Page::from_lookahead`].
    pub fn from_lookahead(payments: Vec<Payment>, request: &PeriodRequest) -> Self {
        let (payments, next) = cut_lookahead(payments, request.limit(), PeriodCursor::after);
        Self { payments, next }
    }
}

/// Why a report has no totals.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// One currency's sum is beyond an exact decimal. (HTTP 422)
    #[error(transparent)]
    Overflow(#[from] TotalOverflow),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The totals of a period by reading it: every payment of `organisation`
/// whose [`Payment::reported_on`] is in `period` and that `filter`
/// matches, read [`MAX_PERIOD_READ`] at a time. What
/// [`PaymentRepository::totals`] does unless a store adds up by itself.
///
/// # Errors
/// See [`ReportError`].
pub async fn read_totals<R: PaymentRepository + ?Sized>(
    repository: &R,
    organisation: OrganisationId,
    period: Bounds<Timestamp>,
    filter: &PaymentFilter,
) -> Result<Totals, ReportError> {
    let mut totals = Totals::default();
    if period.is_empty() || filter.matches_nothing() {
        return Ok(totals);
    }
    let mut request = PeriodRequest::first(period);
    loop {
        let page = repository.list_period(organisation, request).await?;
        for payment in page
            .payments
            .iter()
            .filter(|p| filter.matches(&p.attributes))
        {
            totals.add(&payment.attributes.money)?;
        }
        match page.next {
            Some(next) => request.after = Some(next),
            None => return Ok(totals),
        }
    }
}

/// Which page of a payment's history to read: events in version order,
/// after a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryRequest {
    /// At most this many events.
    pub size: PageSize,
    /// Start after the event of this version; `None` for the first page.
    pub after: Option<Version>,
}

impl HistoryRequest {
    /// The first page of the given size.
    pub fn first(size: PageSize) -> Self {
        Self { size, after: None }
    }
}

/// One page of a payment's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The events, by version.
    pub events: Vec<PaymentEvent>,
    /// The version the next page starts after; `None` on the last page.
    pub next: Option<Version>,
}

impl HistoryPage {
    /// The page from a look-ahead read, as [`Page::from_lookahead`].
    pub fn from_lookahead(events: Vec<PaymentEvent>, size: PageSize) -> Self {
        let (events, next) = cut_lookahead(events, size.get(), PaymentEvent::version);
        Self { events, next }
    }
}

/// Cuts a look-ahead read to `size`, and says where the next page starts
/// when there is one.
fn cut_lookahead<T, C>(
    mut items: Vec<T>,
    size: usize,
    cursor: impl Fn(&T) -> C,
) -> (Vec<T>, Option<C>) {
    let next = if items.len() > size {
        items.truncate(size);
        items.last().map(cursor)
    } else {
        None
    };
    (items, next)
}

/// A store of payments, their histories and the idempotency keys that
/// created them.
///
/// Every change takes the event that records it (from the domain's
/// transitions) and stores change and event in one atomic step. Stores
/// keep attributes in the domain's storage form
/// ([`StoredAttributes`](payments_domain::StoredAttributes)) and read them
/// back by shape, never by today's validation rules. The shared contract
/// suite (`testkit` feature) checks each rule below against every adapter.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Stores a new payment (`created.payment`, version 0) and its creation
    /// event.
    ///
    /// # Errors
    /// Implementations MUST return [`CreateError::AlreadyExists`] when a
    /// payment with that id exists or ever existed (in any organisation),
    /// and MUST NOT change anything stored in that case. Of concurrent
    /// creates with one id, exactly one succeeds.
    async fn create(&self, created: &PaymentEvent) -> Result<(), CreateError>;

    /// Stores a new payment like [`create`](Self::create) and, in the same
    /// atomic step, `claim`'s key (scoped to the payment's organisation)
    /// with its fingerprint, the payment's id and the instant of first use
    /// (`created.occurred_on`). A key whose first use is at or before
    /// `claim.retention.expired_up_to(created.occurred_on)` is expired and
    /// counts as free: it is replaced.
    ///
    /// # Errors
    /// Implementations MUST return [`IdempotentCreateError::KeyInUse`] with
    /// the stored key when the key is in force (whatever its fingerprint),
    /// creating nothing; of concurrent calls with one key exactly one
    /// creates and the others get `KeyInUse`. They MUST return
    /// [`IdempotentCreateError::AlreadyExists`] as `create` does, and then
    /// not store the key either.
    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        claim: &IdempotencyClaim,
    ) -> Result<(), IdempotentCreateError>;

    /// The idempotency key of `organisation`, if it is in force: first used
    /// after `expired_up_to` (see [`KeyRetention::expired_up_to`]).
    ///
    /// # Errors
    /// As for [`get`](Self::get).
    async fn idempotency_key(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        expired_up_to: Timestamp,
    ) -> Result<Option<UsedKey>, StoreError>;

    /// Deletes up to `limit` idempotency keys first used at or before
    /// `expired_up_to`, and says how many it deleted. Expired keys already
    /// count as free; this only returns their space. Stores that delete
    /// expired keys by themselves (DynamoDB's time to live) delete nothing
    /// here.
    ///
    /// # Errors
    /// As for [`get`](Self::get). Implementations MUST NOT block creates
    /// while they run.
    async fn purge_idempotency_keys(
        &self,
        expired_up_to: Timestamp,
        limit: usize,
    ) -> Result<usize, StoreError>;

    /// The live payment with that id in that organisation, if any.
    /// Deleted payments and other organisations' payments are `None`.
    ///
    /// # Errors
    /// Implementations MUST return [`StoreError::Unavailable`] when the
    /// store cannot be reached and [`StoreError::Corrupt`] when the stored
    /// data does not have the shape of a payment.
    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, StoreError>;

    /// One page of an organisation's live payments created inside
    /// `request.created`, ordered by `(created_on, id)` in
    /// `request.order`, starting after `request.after`. Costs O(page
    /// size), not O(payments stored), whatever the bounds.
    ///
    /// A store whose listing index is eventually consistent (DynamoDB's
    /// global secondary index) may miss a payment created, or still show
    /// one deleted, a moment ago; reads by id are always current.
    ///
    /// # Errors
    /// As for [`get`](Self::get).
    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, StoreError>;

    /// Up to `request.limit()` of an organisation's live payments whose
    /// [`Payment::reported_on`] is inside `request.period`, ordered by
    /// `(reported_on, id)`, after `request.after`: an index range on every
    /// store, so a read costs O(what it returns). What exports and reports
    /// read. Eventually consistent where [`list`](Self::list) is.
    ///
    /// # Errors
    /// As for [`get`](Self::get).
    async fn list_period(
        &self,
        organisation: OrganisationId,
        request: PeriodRequest,
    ) -> Result<PeriodPage, StoreError>;

    /// Per currency, the count and exact sum of an organisation's live
    /// payments whose [`Payment::reported_on`] is inside `period` and that
    /// `filter` matches. By default [`read_totals`]: every payment of the
    /// period is read; a store that can add up where the payments are
    /// (PostgreSQL) does so.
    ///
    /// # Errors
    /// [`ReportError::Overflow`] when a currency's sum is beyond an exact
    /// decimal; otherwise as for [`get`](Self::get).
    async fn totals(
        &self,
        organisation: OrganisationId,
        period: Bounds<Timestamp>,
        filter: &PaymentFilter,
    ) -> Result<Totals, ReportError> {
        read_totals(self, organisation, period, filter).await
    }

    /// Replaces the payment with `updated.payment` and appends the event, if
    /// the stored version equals `expected`.
    ///
    /// # Errors
    /// Implementations MUST return what [`refused_change`] says when the
    /// change matches nothing ([`ChangeError::NotFound`] or
    /// [`ChangeError::VersionConflict`] with the stored version), changing
    /// nothing. Of concurrent updates expecting one version, exactly one
    /// succeeds.
    async fn update(&self, expected: Version, updated: &PaymentEvent) -> Result<(), ChangeError>;

    /// Deletes the payment and appends the deletion event, if the stored
    /// version equals `expected`. The payment's events stay readable and
    /// its id is never reused.
    ///
    /// # Errors
    /// As for [`update`](Self::update).
    async fn delete(&self, expected: Version, deleted: &PaymentEvent) -> Result<(), ChangeError>;

    /// One page of a payment's history, in version order, after
    /// `request.after`; also after the payment is deleted. `None` when the
    /// organisation never had a payment with that id. Costs O(page size),
    /// however long the history.
    ///
    /// # Errors
    /// As for [`get`](Self::get).
    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Result<Option<HistoryPage>, StoreError>;

    /// Checks that the store answers (for readiness probes).
    ///
    /// # Errors
    /// Implementations MUST return [`StoreError::Unavailable`] when it does
    /// not.
    async fn ping(&self) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u128) -> OrganisationId {
        OrganisationId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_refused_change_is_explained_by_what_is_stored() {
        let (mine, theirs) = (org(1), org(2));
        let stored = |organisation_id, version, live| {
            Some(StoredVersion {
                organisation_id,
                version: Version::new(version),
                live,
            })
        };
        let expected = Version::new(3);
        let explain = |found| match refused_change(expected, mine, found) {
            None => "could apply".to_owned(),
            Some(error) => error.to_string(),
        };

        assert_eq!(explain(None), "payment not found");
        assert_eq!(explain(stored(mine, 3, false)), "payment not found");
        assert_eq!(explain(stored(theirs, 3, true)), "payment not found");
        assert_eq!(
            explain(stored(mine, 5, true)),
            "version conflict: expected version 3, stored version is 5"
        );
        assert_eq!(explain(stored(mine, 3, true)), "could apply");
    }

    #[test]
    fn a_key_is_expired_once_its_retention_has_passed_since_first_use() {
        let retention = KeyRetention::new(Duration::from_secs(60)).unwrap();
        let now = Timestamp::parse("2024-01-01T00:10:00Z").unwrap();

        assert_eq!(
            retention.expired_up_to(now),
            Timestamp::parse("2024-01-01T00:09:00Z").unwrap()
        );
        assert_eq!(
            retention.expires_on(now),
            Timestamp::parse("2024-01-01T00:11:00Z").unwrap()
        );
        assert!(KeyRetention::new(Duration::ZERO).is_err());
        assert!(KeyRetention::new(Duration::from_secs(11 * 366 * 86_400)).is_err());
    }

    #[test]
    fn a_lookahead_read_is_cut_to_the_page_and_names_the_next_start() {
        let size = PageSize::new(2).unwrap();
        assert_eq!(
            cut_lookahead(vec![1, 2, 3], size.get(), |n| *n),
            (vec![1, 2], Some(2))
        );
        assert_eq!(
            cut_lookahead(vec![1, 2], size.get(), |n| *n),
            (vec![1, 2], None)
        );
    }
}
