//! The use cases: what a client can do with payments, whatever the
//! transport and whatever the store.

use std::sync::Arc;

use payments_domain::{
    IdempotencyKey, OrganisationId, Payment, PaymentAttributesInput, PaymentEvent, PaymentId,
    ValidationErrors, Version,
};

use crate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use crate::repository::{
    IdempotentOutcome, Page, PageRequest, PaymentRepository, RepositoryError, RequestFingerprint,
};

/// Why a write was refused because of what is already stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConflictReason {
    /// The payment id is taken (now or by a deleted payment). (HTTP 409)
    #[error("a payment with this id already exists")]
    AlreadyExists,
    /// The idempotency key came with a different request before. (HTTP 422)
    #[error("the idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    /// The payment changed since the client read it. (HTTP 409)
    #[error("expected version {expected} but the payment is at version {actual}")]
    VersionMismatch {
        /// The version the client sent.
        expected: Version,
        /// The version stored.
        actual: Version,
    },
}

/// A request to create a payment.
#[derive(Debug, Clone)]
pub struct CreatePayment {
    /// The organisation the payment belongs to (from the caller's API key).
    pub organisation_id: OrganisationId,
    /// The id the client chose, or `None` to have one generated.
    pub id: Option<PaymentId>,
    /// The attributes as the client wrote them.
    pub attributes: PaymentAttributesInput,
    /// The client's idempotency key and the fingerprint of its request.
    pub idempotency: Option<(IdempotencyKey, RequestFingerprint)>,
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
    /// The attributes break the rules. (HTTP 422)
    #[error("invalid payment: {0}")]
    Invalid(ValidationErrors),
    /// The id or the idempotency key is taken. (HTTP 409, or 422 for a
    /// reused key)
    #[error("{0}")]
    Conflict(ConflictReason),
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] RepositoryError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure creating a payment")]
    Unexpected(#[source] RepositoryError),
}

/// Why a payment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FetchPaymentError {
    /// No such payment in the caller's organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] RepositoryError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure reading a payment")]
    Unexpected(#[source] RepositoryError),
}

/// Why payments could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListPaymentsError {
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] RepositoryError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure listing payments")]
    Unexpected(#[source] RepositoryError),
}

/// Why a payment could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum UpdatePaymentError {
    /// No such payment in the caller's organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The payment is at another version. (HTTP 409)
    #[error("{0}")]
    Conflict(ConflictReason),
    /// The attributes after the update would break the rules. (HTTP 422)
    #[error("invalid payment: {0}")]
    Invalid(ValidationErrors),
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] RepositoryError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure updating a payment")]
    Unexpected(#[source] RepositoryError),
}

/// Why a payment could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeletePaymentError {
    /// No such payment in the caller's organisation. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The payment is at another version. (HTTP 409)
    #[error("{0}")]
    Conflict(ConflictReason),
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] RepositoryError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure deleting a payment")]
    Unexpected(#[source] RepositoryError),
}

/// Why a payment's history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PaymentHistoryError {
    /// The caller's organisation never had such a payment. (HTTP 404)
    #[error("payment not found")]
    NotFound,
    /// The store is unavailable; retry later. (HTTP 503)
    #[error("payment store unavailable")]
    Unavailable(#[source] RepositoryError),
    /// Anything else. (HTTP 500)
    #[error("unexpected failure reading a payment's history")]
    Unexpected(#[source] RepositoryError),
}

/// Splits the failures every use case shares: retryable or not.
macro_rules! store_failure {
    ($error:ident, $source:expr) => {
        match $source {
            source @ RepositoryError::Unavailable(_) => $error::Unavailable(source),
            source => $error::Unexpected(source),
        }
    };
}

fn version_conflict(error: RepositoryError) -> Result<ConflictReason, RepositoryError> {
    match error {
        RepositoryError::VersionConflict { expected, actual } => {
            Ok(ConflictReason::VersionMismatch { expected, actual })
        }
        other => Err(other),
    }
}

/// The payments use cases over a store, a clock and an id generator.
/// Cheap to clone; share one between tasks.
#[derive(Clone)]
pub struct PaymentService {
    repository: Arc<dyn PaymentRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl PaymentService {
    /// A service over the given ports.
    pub fn new(
        repository: Arc<dyn PaymentRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repository,
            clock,
            ids,
        }
    }

    /// A service with the system clock and random ids.
    pub fn with_system_clock(repository: Arc<dyn PaymentRepository>) -> Self {
        Self::new(repository, Arc::new(SystemClock), Arc::new(RandomIds))
    }

    /// Validates and stores a new payment. With an idempotency key, a retry
    /// of the same request returns the first result and creates nothing.
    ///
    /// # Errors
    /// See [`CreatePaymentError`].
    pub async fn create_payment(
        &self,
        request: CreatePayment,
    ) -> Result<CreatedPayment, CreatePaymentError> {
        let attributes = request
            .attributes
            .validate()
            .map_err(CreatePaymentError::Invalid)?;
        let id = request.id.unwrap_or_else(|| self.ids.payment_id());
        let created = Payment::create(id, request.organisation_id, attributes, self.clock.now());

        let outcome = match &request.idempotency {
            None => self
                .repository
                .create(&created)
                .await
                .map(|()| IdempotentOutcome::Created),
            Some((key, fingerprint)) => {
                self.repository
                    .create_idempotent(&created, key, fingerprint)
                    .await
            }
        };
        match outcome {
            Ok(IdempotentOutcome::Created) => Ok(CreatedPayment {
                payment: created.payment,
                replayed: false,
            }),
            Ok(IdempotentOutcome::Replayed(payment)) => Ok(CreatedPayment {
                payment: *payment,
                replayed: true,
            }),
            Err(RepositoryError::AlreadyExists) => {
                Err(CreatePaymentError::Conflict(ConflictReason::AlreadyExists))
            }
            Err(RepositoryError::IdempotencyKeyReused) => Err(CreatePaymentError::Conflict(
                ConflictReason::IdempotencyKeyReused,
            )),
            Err(other) => Err(store_failure!(CreatePaymentError, other)),
        }
    }

    /// The caller's payment with that id.
    ///
    /// # Errors
    /// See [`FetchPaymentError`].
    pub async fn fetch_payment(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Payment, FetchPaymentError> {
        match self.repository.get(organisation, id).await {
            Ok(Some(payment)) => Ok(payment),
            Ok(None) => Err(FetchPaymentError::NotFound),
            Err(other) => Err(store_failure!(FetchPaymentError, other)),
        }
    }

    /// One page of the caller's payments.
    ///
    /// # Errors
    /// See [`ListPaymentsError`].
    pub async fn list_payments(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, ListPaymentsError> {
        self.repository
            .list(organisation, request)
            .await
            .map_err(|other| store_failure!(ListPaymentsError, other))
    }

    /// Changes the attributes `patch` gives, if the payment is still at
    /// `expected`.
    ///
    /// # Errors
    /// See [`UpdatePaymentError`].
    pub async fn update_payment(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        expected: Version,
        patch: PaymentAttributesInput,
    ) -> Result<Payment, UpdatePaymentError> {
        let current = self
            .current(organisation, id, expected)
            .await
            .map_err(|failure| match failure {
                Current::NotFound => UpdatePaymentError::NotFound,
                Current::Conflict(reason) => UpdatePaymentError::Conflict(reason),
                Current::Store(other) => store_failure!(UpdatePaymentError, other),
            })?;
        let updated = current
            .update(patch, self.clock.now())
            .map_err(UpdatePaymentError::Invalid)?;
        match self.repository.update(expected, &updated).await {
            Ok(()) => Ok(updated.payment),
            Err(RepositoryError::NotFound) => Err(UpdatePaymentError::NotFound),
            Err(error) => Err(match version_conflict(error) {
                Ok(reason) => UpdatePaymentError::Conflict(reason),
                Err(other) => store_failure!(UpdatePaymentError, other),
            }),
        }
    }

    /// Deletes the payment, if it is still at `expected`. Its history stays.
    ///
    /// # Errors
    /// See [`DeletePaymentError`].
    pub async fn delete_payment(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        expected: Version,
    ) -> Result<PaymentEvent, DeletePaymentError> {
        let current = self
            .current(organisation, id, expected)
            .await
            .map_err(|failure| match failure {
                Current::NotFound => DeletePaymentError::NotFound,
                Current::Conflict(reason) => DeletePaymentError::Conflict(reason),
                Current::Store(other) => store_failure!(DeletePaymentError, other),
            })?;
        let deleted = current.delete(self.clock.now());
        match self.repository.delete(expected, &deleted).await {
            Ok(()) => Ok(deleted),
            Err(RepositoryError::NotFound) => Err(DeletePaymentError::NotFound),
            Err(error) => Err(match version_conflict(error) {
                Ok(reason) => DeletePaymentError::Conflict(reason),
                Err(other) => store_failure!(DeletePaymentError, other),
            }),
        }
    }

    /// Every change of the payment, oldest first; readable after deletion.
    ///
    /// # Errors
    /// See [`PaymentHistoryError`].
    pub async fn payment_history(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Vec<PaymentEvent>, PaymentHistoryError> {
        match self.repository.events(organisation, id).await {
            Ok(events) => Ok(events),
            Err(RepositoryError::NotFound) => Err(PaymentHistoryError::NotFound),
            Err(other) => Err(store_failure!(PaymentHistoryError, other)),
        }
    }

    /// Whether the store answers.
    ///
    /// # Errors
    /// The store's error when it does not.
    pub async fn ready(&self) -> Result<(), RepositoryError> {
        self.repository.ping().await
    }

    /// The payment to change, if it exists and is at the expected version.
    /// Checking here first spares the transition's work for stale requests;
    /// the store's conditional write still decides races.
    async fn current(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        expected: Version,
    ) -> Result<Payment, Current> {
        match self.repository.get(organisation, id).await {
            Ok(Some(payment)) if payment.version == expected => Ok(payment),
            Ok(Some(payment)) => Err(Current::Conflict(ConflictReason::VersionMismatch {
                expected,
                actual: payment.version,
            })),
            Ok(None) => Err(Current::NotFound),
            Err(other) => Err(Current::Store(other)),
        }
    }
}

enum Current {
    NotFound,
    Conflict(ConflictReason),
    Store(RepositoryError),
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
