//! [`MeteredRepository`]: any store, with every call timed and every
//! failure counted in the `metrics` facade (a no-op until a recorder is
//! installed, as the server binary does).
//!
//! - `payments_store_operation_duration_seconds{operation, store}`: a
//!   histogram of each call, successful or not;
//! - `payments_store_errors_total{operation, store, kind}`: the store's own
//!   failures (`unavailable`, `corrupt`, `unexpected`). A refusal the port
//!   defines (a taken id, a version conflict, a key in use) is an answer,
//!   not an error, and is not counted here.
//!
//! Labels are the operation's name and the store's: never an id, a key or
//! an organisation.
//!
//! Each operation's histogram handle is made at its first call and kept,
//! so a call costs no lookup in the recorder's registry: install the
//! recorder before the first call (both binaries do, before they open the
//! store); calls made before it are not measured.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;

use async_trait::async_trait;
use payments_domain::filter::PaymentFilter;
use payments_domain::report::Totals;
use payments_domain::{
    Bounds, IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Timestamp, Version,
};

use crate::repository::{
    ChangeError, CreateError, HistoryPage, HistoryRequest, IdempotencyClaim, IdempotentCreateError,
    Page, PageRequest, PaymentRepository, PeriodPage, PeriodRequest, ReportError, StoreError,
    UsedKey,
};

/// The call-time histogram.
pub const DURATION: &str = "payments_store_operation_duration_seconds";
/// The store-failure counter.
pub const ERRORS: &str = "payments_store_errors_total";

/// `inner`, measured under the store name `store` (`memory`, `postgres`,
/// `dynamodb`).
pub struct MeteredRepository<R> {
    inner: R,
    store: &'static str,
    /// Each operation's [`DURATION`] handle, by [`Operation`].
    durations: [OnceLock<metrics::Histogram>; Operation::COUNT],
}

impl<R> MeteredRepository<R> {
    /// Measures `inner` as `store`.
    pub fn new(inner: R, store: &'static str) -> Self {
        Self {
            inner,
            store,
            durations: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

/// The port's operations, as their metrics name them.
#[derive(Debug, Clone, Copy)]
enum Operation {
    Create,
    CreateIdempotent,
    IdempotencyKey,
    PurgeIdempotencyKeys,
    Get,
    List,
    ListPeriod,
    Totals,
    Update,
    Delete,
    Events,
    Ping,
}

impl Operation {
    const COUNT: usize = Self::Ping as usize + 1;

    /// Its `operation` label: the port method's name.
    fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::CreateIdempotent => "create_idempotent",
            Self::IdempotencyKey => "idempotency_key",
            Self::PurgeIdempotencyKeys => "purge_idempotency_keys",
            Self::Get => "get",
            Self::List => "list",
            Self::ListPeriod => "list_period",
            Self::Totals => "totals",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Events => "events",
            Self::Ping => "ping",
        }
    }
}

/// What a call's result says of the store.
trait StoreFailure {
    /// The store's own failure, if the call ended in one.
    fn failure(&self) -> Option<&StoreError>;
}

impl<T> StoreFailure for Result<T, StoreError> {
    fn failure(&self) -> Option<&StoreError> {
        self.as_ref().err()
    }
}

impl StoreFailure for Result<(), CreateError> {
    fn failure(&self) -> Option<&StoreError> {
        match self {
            Err(CreateError::Store(error)) => Some(error),
            _ => None,
        }
    }
}

impl StoreFailure for Result<(), IdempotentCreateError> {
    fn failure(&self) -> Option<&StoreError> {
        match self {
            Err(IdempotentCreateError::Store(error)) => Some(error),
            _ => None,
        }
    }
}

impl StoreFailure for Result<(), ChangeError> {
    fn failure(&self) -> Option<&StoreError> {
        match self {
            Err(ChangeError::Store(error)) => Some(error),
            _ => None,
        }
    }
}

impl StoreFailure for Result<Totals, ReportError> {
    fn failure(&self) -> Option<&StoreError> {
        match self {
            Err(ReportError::Store(error)) => Some(error),
            _ => None,
        }
    }
}

impl<R> MeteredRepository<R> {
    /// Runs `call` as `operation`, timing it and counting its failure.
    async fn measure<T: StoreFailure>(
        &self,
        operation: Operation,
        call: impl Future<Output = T>,
    ) -> T {
        let started = Instant::now();
        let name = operation.name();
        let span = tracing::debug_span!(
            target: crate::TRACE_TARGET,
            "store",
            otel.name = name,
            db.operation.name = name,
            db.system.name = self.store,
        );
        let result = tracing::Instrument::instrument(call, span).await;
        self.durations[operation as usize]
            .get_or_init(
                || metrics::histogram!(DURATION, "operation" => name, "store" => self.store),
            )
            .record(started.elapsed().as_secs_f64());
        if let Some(error) = result.failure() {
            let kind = match error {
                StoreError::Unavailable(_) => "unavailable",
                StoreError::Corrupt { .. } => "corrupt",
                StoreError::Unexpected(_) => "unexpected",
            };
            metrics::counter!(ERRORS, "operation" => name, "store" => self.store, "kind" => kind)
                .increment(1);
        }
        result
    }
}

#[async_trait]
impl<R: PaymentRepository> PaymentRepository for MeteredRepository<R> {
    async fn create(&self, created: &PaymentEvent) -> Result<(), CreateError> {
        self.measure(Operation::Create, self.inner.create(created))
            .await
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        claim: &IdempotencyClaim,
    ) -> Result<(), IdempotentCreateError> {
        self.measure(
            Operation::CreateIdempotent,
            self.inner.create_idempotent(created, claim),
        )
        .await
    }

    async fn idempotency_key(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        expired_up_to: Timestamp,
    ) -> Result<Option<UsedKey>, StoreError> {
        self.measure(
            Operation::IdempotencyKey,
            self.inner.idempotency_key(organisation, key, expired_up_to),
        )
        .await
    }

    async fn purge_idempotency_keys(
        &self,
        expired_up_to: Timestamp,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.measure(
            Operation::PurgeIdempotencyKeys,
            self.inner.purge_idempotency_keys(expired_up_to, limit),
        )
        .await
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, StoreError> {
        self.measure(Operation::Get, self.inner.get(organisation, id))
            .await
    }

    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, StoreError> {
        self.measure(Operation::List, self.inner.list(organisation, request))
            .await
    }

    async fn list_period(
        &self,
        organisation: OrganisationId,
        request: PeriodRequest,
    ) -> Result<PeriodPage, StoreError> {
        self.measure(
            Operation::ListPeriod,
            self.inner.list_period(organisation, request),
        )
        .await
    }

    async fn totals(
        &self,
        organisation: OrganisationId,
        period: Bounds<Timestamp>,
        filter: &PaymentFilter,
    ) -> Result<Totals, ReportError> {
        self.measure(
            Operation::Totals,
            self.inner.totals(organisation, period, filter),
        )
        .await
    }

    async fn update(&self, expected: Version, updated: &PaymentEvent) -> Result<(), ChangeError> {
        self.measure(Operation::Update, self.inner.update(expected, updated))
            .await
    }

    async fn delete(&self, expected: Version, deleted: &PaymentEvent) -> Result<(), ChangeError> {
        self.measure(Operation::Delete, self.inner.delete(expected, deleted))
            .await
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Result<Option<HistoryPage>, StoreError> {
        self.measure(
            Operation::Events,
            self.inner.events(organisation, id, request),
        )
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.measure(Operation::Ping, self.inner.ping()).await
    }
}
