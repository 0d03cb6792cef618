//! The use cases: what a client can do with payments, whatever the
//! transport and whatever the store.

use std::sync::Arc;

use payments_domain::report::{TotalOverflow, Totals};
use payments_domain::{
    Bounds, EventKind, IdempotencyKey, OrganisationId, Payment, PaymentAttributes,
    PaymentAttributesInput, PaymentEvent, PaymentFilter, PaymentId, Timestamp, ValidationErrors,
    Version,
};

use crate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use crate::repository::{
    refused_change, ChangeError, CreateError, HistoryPage, HistoryRequest, IdempotencyClaim,
    IdempotentCreateError, KeyRetention, Page, PageCursor, PageRequest, PageSize,
    PaymentRepository, PeriodPage, PeriodRequest, ReportError, RequestFingerprint, StoreError,
    StoredVersion, UsedKey, MAX_PAGE_SIZE,
};

/// The most stored payments one filtered listing examines
/// ([`PaymentService::find_payments`]): what bounds its cost on every
/// store, whatever the filter and however many payments are stored.
pub const SEARCH_BUDGET: usize = 1000;

/// A client's idempotency key and the fingerprint of the request that
/// carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    /// The key, scoped to the caller's organisation.
    pub key: IdempotencyKey,
    /// The fingerprint of this request.
    pub fingerprint: RequestFingerprint,
}

/// A request to create a payment. Its attributes are judged already, where
/// they came in (see [`PaymentAttributesInput::validate`]), so creating
/// judges nothing twice.
#[derive(Debug, Clone)]
pub struct CreatePayment {
    /// The organisation the payment belongs to (from the caller's API key).
    pub organisation_id: OrganisationId,
    /// The id the client chose, or `None` to have one generated.
    pub id: Option<PaymentId>,
    /// The attributes, judged by today's rules.
    pub attributes: PaymentAttributes,
    /// The client's idempotency key, if it sent one.
    pub idempotency: Option<IdempotencyRequest>,
}

/// A created payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPayment {
    /// The payment as created (for a replay: as the first call created it).
    pub payment: Payment,
    /// Whether this answers a retry with a known idempotency key, in which
    /// case nothing new was created.
    pub replayed: bool,
}

/// Why a payment could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreatePaymentError {
    /// The id is taken, now or by a deleted payment. (HTTP 409)
    #[error("a payment with this id already exists")]
    AlreadyExists,
    /// The idempotency key came with a different request before, within
    /// its retention. (HTTP 422)
    #[error("the idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    /// The store is unavailable; retry later, with the same idempotency key
    /// to be safe. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure creating a payment")]
    Unexpected(#[source] StoreError),
}

/// Why a payment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FetchPaymentError {
    /// No such payment in the caller's organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure reading a payment")]
    Unexpected(#[source] StoreError),
}

/// Why payments could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListPaymentsError {
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure listing payments")]
    Unexpected(#[source] StoreError),
}

/// Why a payment could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum UpdatePaymentError {
    /// No such payment in the caller's organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The payment changed since the client read it. (HTTP 409)
    #[error("expected version {expected} but the payment is at version {actual}")]
    VersionConflict {
        /// The version the client sent.
        expected: Version,
        /// The version stored.
        actual: Version,
    },
    /// What the update changes breaks the rules. (HTTP 422)
    #[error("invalid payment: {0}")]
    Invalid(ValidationErrors),
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure updating a payment")]
    Unexpected(#[source] StoreError),
}

/// Why a payment could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeletePaymentError {
    /// No such payment in the caller's organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The payment changed since the client read it. (HTTP 409)
    #[error("expected version {expected} but the payment is at version {actual}")]
    VersionConflict {
        /// The version the client sent.
        expected: Version,
        /// The version stored.
        actual: Version,
    },
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure deleting a payment")]
    Unexpected(#[source] StoreError),
}

/// Why a payment's history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PaymentHistoryError {
    /// The caller's organisation never had such a payment. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure reading a payment's history")]
    Unexpected(#[source] StoreError),
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportPaymentsError {
    /// One currency's sum is beyond an exact decimal (about 7.9 × 10²⁸);
    /// a shorter period, or a filter, may fit. (HTTP 422)
    #[error(transparent)]
    Overflow(TotalOverflow),
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure reporting payments")]
    Unexpected(#[source] StoreError),
}

/// Splits the failures every use case shares: retryable or not.
macro_rules! store_failure {
    ($error:ident, $source:expr) => {
        match $source {
            source @ StoreError::Unavailable(_) => $error::Unavailable(source),
            source => $error::Unexpected(source),
        }
    };
}

/// A change the store refused, as the error of the use case `$error` (an
/// update or a delete, whose errors have the same variants).
macro_rules! refused_change_of {
    ($error:ident) => {
        impl From<ChangeError> for $error {
            fn from(refused: ChangeError) -> Self {
                match refused {
                    ChangeError::NotFound => $error::NotFound,
                    ChangeError::VersionConflict { expected, actual } => {
                        $error::VersionConflict { expected, actual }
                    }
                    ChangeError::Store(error) => store_failure!($error, error),
                }
            }
        }
    };
}

refused_change_of!(UpdatePaymentError);
refused_change_of!(DeletePaymentError);

impl From<ReportError> for ReportPaymentsError {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Overflow(overflow) => Self::Overflow(overflow),
            ReportError::Store(error) => store_failure!(ReportPaymentsError, error),
        }
    }
}

/// The payments use cases over a store, a clock and an id generator.
/// Cheap to clone; share one between tasks.
#[derive(Clone)]
pub struct PaymentService {
    repository: Arc<dyn PaymentRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    key_retention: KeyRetention,
}

impl PaymentService {
    /// A service over the given ports, keeping idempotency keys for
    /// [`KeyRetention::DEFAULT`].
    pub fn new(
        repository: Arc<dyn PaymentRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repository,
            clock,
            ids,
            key_retention: KeyRetention::DEFAULT,
        }
    }

    /// A service with the system clock and random ids.
    pub fn with_system_clock(repository: Arc<dyn PaymentRepository>) -> Self {
        Self::new(repository, Arc::new(SystemClock), Arc::new(RandomIds))
    }

    /// This service, keeping idempotency keys in force for `retention`
    /// after their first use.
    #[must_use]
    pub fn with_key_retention(mut self, retention: KeyRetention) -> Self {
        self.key_retention = retention;
        self
    }

    /// How long idempotency keys stay in force.
    pub fn key_retention(&self) -> KeyRetention {
        self.key_retention
    }

    /// Stores a new payment. With an idempotency key, a retry of the same
    /// request returns the payment as first created and creates nothing.
    ///
    /// # Errors
    /// See [`CreatePaymentError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "create_payment",
        skip_all
    )]
    pub async fn create_payment(
        &self,
        request: CreatePayment,
    ) -> Result<CreatedPayment, CreatePaymentError> {
        let id = request.id.unwrap_or_else(|| self.ids.payment_id());
        let organisation = request.organisation_id;
        let created = Payment::create(id, organisation, request.attributes, self.clock.now());
        let Some(idempotency) = request.idempotency else {
            return match self.repository.create(&created).await {
                Ok(()) => Ok(CreatedPayment {
                    payment: created.payment,
                    replayed: false,
                }),
                Err(CreateError::AlreadyExists) => Err(CreatePaymentError::AlreadyExists),
                Err(CreateError::Store(error)) => Err(store_failure!(CreatePaymentError, error)),
            };
        };
        let claim = IdempotencyClaim {
            key: idempotency.key,
            fingerprint: idempotency.fingerprint,
            retention: self.key_retention,
        };
        match self.repository.create_idempotent(&created, &claim).await {
            Ok(()) => Ok(CreatedPayment {
                payment: created.payment,
                replayed: false,
            }),
            Err(IdempotentCreateError::KeyInUse(used)) => {
                self.replay(organisation, &used, &claim.fingerprint).await
            }
            Err(IdempotentCreateError::AlreadyExists) => Err(CreatePaymentError::AlreadyExists),
            Err(IdempotentCreateError::Store(error)) => {
                Err(store_failure!(CreatePaymentError, error))
            }
        }
    }

    /// The answer to a create that carries `idempotency`, when its key is in
    /// force: the payment as first created (the same request again) or
    /// [`CreatePaymentError::IdempotencyKeyReused`] (another request).
    /// `None` when the key is new or expired. Front ends ask this when
    /// today's rules refuse a create's body, so a retry replays even if
    /// what was accepted the first time would be refused now; a create
    /// that passes needs no look-up ([`Self::create_payment`] replays when
    /// the store reports the key in force).
    ///
    /// # Errors
    /// See [`CreatePaymentError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "replay_create",
        skip_all
    )]
    pub async fn replay_create(
        &self,
        organisation: OrganisationId,
        idempotency: &IdempotencyRequest,
    ) -> Result<Option<CreatedPayment>, CreatePaymentError> {
        let expired_up_to = self.key_retention.expired_up_to(self.clock.now());
        let used = self
            .repository
            .idempotency_key(organisation, &idempotency.key, expired_up_to)
            .await
            .map_err(|error| store_failure!(CreatePaymentError, error))?;
        match used {
            None => Ok(None),
            Some(used) => self
                .replay(organisation, &used, &idempotency.fingerprint)
                .await
                .map(Some),
        }
    }

    /// The one replay rule: the same request gets the payment as first
    /// created, read from its creation event; another request is refused.
    async fn replay(
        &self,
        organisation: OrganisationId,
        used: &UsedKey,
        fingerprint: &RequestFingerprint,
    ) -> Result<CreatedPayment, CreatePaymentError> {
        if used.fingerprint != *fingerprint {
            return Err(CreatePaymentError::IdempotencyKeyReused);
        }
        let first = self
            .repository
            .events(
                organisation,
                used.payment_id,
                HistoryRequest::first(PageSize::ONE),
            )
            .await
            .map_err(|error| store_failure!(CreatePaymentError, error))?
            .and_then(|page| page.events.into_iter().next());
        match first {
            Some(event) if event.kind == EventKind::Created => Ok(CreatedPayment {
                payment: event.payment,
                replayed: true,
            }),
            _ => Err(CreatePaymentError::Unexpected(StoreError::corrupt(format!(
                "an idempotency key names payment {}, which has no creation event in its organisation",
                used.payment_id
            )))),
        }
    }

    /// The caller's payment with that id.
    ///
    /// # Errors
    /// See [`FetchPaymentError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "fetch_payment",
        skip_all
    )]
    pub async fn fetch_payment(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Payment, FetchPaymentError> {
        match self.repository.get(organisation, id).await {
            Ok(Some(payment)) => Ok(payment),
            Ok(None) => Err(FetchPaymentError::NotFound),
            Err(error) => Err(store_failure!(FetchPaymentError, error)),
        }
    }

    /// One page of the caller's payments.
    ///
    /// # Errors
    /// See [`ListPaymentsError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "list_payments",
        skip_all
    )]
    pub async fn list_payments(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, ListPaymentsError> {
        self.repository
            .list(organisation, request)
            .await
            .map_err(|error| store_failure!(ListPaymentsError, error))
    }

    /// One page of the caller's payments that match `filter`, found by
    /// examining at most [`SEARCH_BUDGET`] stored payments in the
    /// listing's order (inside `request.created`, an index range on every
    /// store). When the budget runs out first, the page holds what was
    /// found (perhaps nothing) and `next` continues the search after the
    /// last payment examined; so a page may hold fewer than
    /// `request.size` payments and still have a next one. Without
    /// conditions this is [`list_payments`](Self::list_payments).
    ///
    /// # Errors
    /// See [`ListPaymentsError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "find_payments",
        skip_all
    )]
    pub async fn find_payments(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
        filter: &PaymentFilter,
    ) -> Result<Page, ListPaymentsError> {
        if filter.is_empty() {
            return self.list_payments(organisation, request).await;
        }
        let mut found = Page::empty();
        if filter.matches_nothing() {
            return Ok(found);
        }
        let mut read = request;
        let mut examined = 0;
        loop {
            let chunk = (SEARCH_BUDGET - examined).min(usize::from(MAX_PAGE_SIZE));
            read.size = u64::try_from(chunk)
                .ok()
                .and_then(|chunk| PageSize::new(chunk).ok())
                .unwrap_or(PageSize::DEFAULT);
            let page = self.list_payments(organisation, read).await?;
            examined += page.payments.len();
            let mut payments = page.payments.into_iter();
            while let Some(payment) = payments.next() {
                if !filter.matches(&payment.attributes) {
                    continue;
                }
                let last = PageCursor::after(&payment);
                found.payments.push(payment);
                if found.payments.len() == request.size.get() {
                    // More may match after this one if this read held
                    // more, or a next read would.
                    let more = payments.len() > 0 || page.next.is_some();
                    found.next = more.then_some(last);
                    return Ok(found);
                }
            }
            match page.next {
                Some(next) if examined < SEARCH_BUDGET => read.after = Some(next),
                next => {
                    found.next = next;
                    return Ok(found);
                }
            }
        }
    }

    /// Per currency, how many of the caller's payments fall in `period` and
    /// their exact sum, counting each payment at
    /// [`Payment::reported_on`] (its payment timestamp, else its creation)
    /// and only those `filter` matches. Amounts in different currencies are
    /// never added together.
    ///
    /// # Errors
    /// See [`ReportPaymentsError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "report_payments",
        skip_all
    )]
    pub async fn report_payments(
        &self,
        organisation: OrganisationId,
        period: Bounds<Timestamp>,
        filter: &PaymentFilter,
    ) -> Result<Totals, ReportPaymentsError> {
        Ok(self.repository.totals(organisation, period, filter).await?)
    }

    /// One read of the caller's payments in a period, by
    /// [`Payment::reported_on`] then id: what an export writes, read after
    /// read, so it holds one read in memory however long the period.
    ///
    /// # Errors
    /// See [`ListPaymentsError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "payments_in_period",
        skip_all
    )]
    pub async fn payments_in_period(
        &self,
        organisation: OrganisationId,
        request: PeriodRequest,
    ) -> Result<PeriodPage, ListPaymentsError> {
        self.repository
            .list_period(organisation, request)
            .await
            .map_err(|error| store_failure!(ListPaymentsError, error))
    }

    /// Changes the attributes `patch` gives, if the payment is still at
    /// `expected`. The patch is judged against the stored payment (see
    /// [`Payment::update`]): it can only be judged once that is read.
    ///
    /// # Errors
    /// See [`UpdatePaymentError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "update_payment",
        skip_all
    )]
    pub async fn update_payment(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        expected: Version,
        patch: PaymentAttributesInput,
    ) -> Result<Payment, UpdatePaymentError> {
        let current = self.current(organisation, id, expected).await?;
        let updated = current
            .update(&patch, self.clock.now())
            .map_err(UpdatePaymentError::Invalid)?;
        self.repository.update(expected, &updated).await?;
        Ok(updated.payment)
    }

    /// Deletes the payment, if it is still at `expected`. Its history stays.
    ///
    /// # Errors
    /// See [`DeletePaymentError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "delete_payment",
        skip_all
    )]
    pub async fn delete_payment(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        expected: Version,
    ) -> Result<PaymentEvent, DeletePaymentError> {
        let current = self.current(organisation, id, expected).await?;
        let deleted = current.delete(self.clock.now());
        self.repository.delete(expected, &deleted).await?;
        Ok(deleted)
    }

    /// One page of the payment's history, oldest first; readable after
    /// deletion.
    ///
    /// # Errors
    /// See [`PaymentHistoryError`].
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "payment_history",
        skip_all
    )]
    pub async fn payment_history(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Result<HistoryPage, PaymentHistoryError> {
        match self.repository.events(organisation, id, request).await {
            Ok(Some(page)) => Ok(page),
            Ok(None) => Err(PaymentHistoryError::NotFound),
            Err(error) => Err(store_failure!(PaymentHistoryError, error)),
        }
    }

    /// Deletes up to `limit` expired idempotency keys (see
    /// [`PaymentRepository::purge_idempotency_keys`]); a housekeeping task
    /// calls it now and then. Returns how many were deleted.
    ///
    /// # Errors
    /// The store's error.
    #[tracing::instrument(
        target = "payments::trace",
        level = "debug",
        name = "purge_expired_idempotency_keys",
        skip_all
    )]
    pub async fn purge_expired_idempotency_keys(&self, limit: usize) -> Result<usize, StoreError> {
        let expired_up_to = self.key_retention.expired_up_to(self.clock.now());
        self.repository
            .purge_idempotency_keys(expired_up_to, limit)
            .await
    }

    /// Whether the store answers.
    ///
    /// # Errors
    /// The store's error when it does not.
    #[tracing::instrument(target = "payments::trace", level = "debug", name = "ready", skip_all)]
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.repository.ping().await
    }

    /// The payment to change, if it exists and is at the expected version,
    /// by the same rule the stores apply ([`refused_change`]). Checking here
    /// first spares the transition's work for stale requests; the store's
    /// conditional write still decides races.
    async fn current(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        expected: Version,
    ) -> Result<Payment, ChangeError> {
        let found = self.repository.get(organisation, id).await?;
        let state = found.as_ref().map(|payment| StoredVersion {
            organisation_id: payment.organisation_id,
            version: payment.version,
            live: true,
        });
        match refused_change(expected, organisation, state) {
            Some(refusal) => Err(refusal),
            // The rule lets only a payment that was found through.
            None => found.ok_or(ChangeError::NotFound),
        }
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
