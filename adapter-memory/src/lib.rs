//! A [`PaymentRepository`] kept in process memory: cheap to construct,
//! `Clone` (clones share one store) and safe to share between tasks. It
//! passes the same storage contract as the database adapters, so test
//! suites can swap it in.
//!
//! ```
//! use std::sync::Arc;
//! use adapter_memory::MemoryRepository;
//! use payments_ports::{PaymentRepository, PaymentService};
//!
//! let store = MemoryRepository::new();
//! let service = PaymentService::with_system_clock(Arc::new(store.clone()));
//! # let _ = service;
//! ```
//!
//! Every operation takes one short lock and does no I/O. A listing walks an
//! ordered index of the organisation's payments from the cursor, so a page
//! costs O(log n + page size). Nothing survives the process.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use payments_domain::{
    IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Timestamp, Version,
};
use payments_ports::{
    IdempotentOutcome, ListOrder, Page, PageRequest, PaymentRepository, RepositoryError,
    RequestFingerprint,
};

/// An in-memory payment store. Clones share the same payments.
#[derive(Clone, Default)]
pub struct MemoryRepository {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MemoryRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRepository").finish_non_exhaustive()
    }
}

/// A payment record: live, or a tombstone that keeps its id taken.
enum Record {
    Live(Box<Payment>),
    Deleted(OrganisationId),
}

impl Record {
    fn organisation(&self) -> OrganisationId {
        match self {
            Record::Live(payment) => payment.organisation_id,
            Record::Deleted(organisation) => *organisation,
        }
    }
}

#[derive(Default)]
struct State {
    records: HashMap<PaymentId, Record>,
    /// Live payments per organisation, in listing order.
    by_organisation: HashMap<OrganisationId, BTreeSet<(Timestamp, PaymentId)>>,
    events: HashMap<PaymentId, Vec<PaymentEvent>>,
    idempotency: HashMap<(OrganisationId, IdempotencyKey), (RequestFingerprint, Payment)>,
}

impl State {
    fn insert(&mut self, created: &PaymentEvent) -> Result<(), RepositoryError> {
        let payment = &created.payment;
        if self.records.contains_key(&payment.id) {
            return Err(RepositoryError::AlreadyExists);
        }
        self.records
            .insert(payment.id, Record::Live(Box::new(payment.clone())));
        self.by_organisation
            .entry(payment.organisation_id)
            .or_default()
            .insert((payment.created_on, payment.id));
        self.events.insert(payment.id, vec![created.clone()]);
        Ok(())
    }

    /// The live payment `change` applies to, if it is at `expected`.
    fn current(
        &self,
        expected: Version,
        change: &PaymentEvent,
    ) -> Result<&Payment, RepositoryError> {
        let target = &change.payment;
        match self.records.get(&target.id) {
            Some(Record::Live(stored)) if stored.organisation_id == target.organisation_id => {
                if stored.version == expected {
                    Ok(stored)
                } else {
                    Err(RepositoryError::VersionConflict {
                        expected,
                        actual: stored.version,
                    })
                }
            }
            _ => Err(RepositoryError::NotFound),
        }
    }

    fn append(&mut self, event: &PaymentEvent) {
        self.events
            .entry(event.payment.id)
            .or_default()
            .push(event.clone());
    }
}

impl MemoryRepository {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves no half-made change: every
        // method checks before it mutates. So a poisoned lock is still
        // consistent and can be used.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl PaymentRepository for MemoryRepository {
    async fn create(&self, created: &PaymentEvent) -> Result<(), RepositoryError> {
        self.lock().insert(created)
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> Result<IdempotentOutcome, RepositoryError> {
        let mut state = self.lock();
        let scope = (created.payment.organisation_id, key.clone());
        if let Some((stored_fingerprint, payment)) = state.idempotency.get(&scope) {
            return if stored_fingerprint == fingerprint {
                Ok(IdempotentOutcome::Replayed(Box::new(payment.clone())))
            } else {
                Err(RepositoryError::IdempotencyKeyReused)
            };
        }
        state.insert(created)?;
        state
            .idempotency
            .insert(scope, (fingerprint.clone(), created.payment.clone()));
        Ok(IdempotentOutcome::Created)
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, RepositoryError> {
        Ok(match self.lock().records.get(&id) {
            Some(Record::Live(payment)) if payment.organisation_id == organisation => {
                Some(Payment::clone(payment))
            }
            _ => None,
        })
    }

    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, RepositoryError> {
        let state = self.lock();
        let Some(index) = state.by_organisation.get(&organisation) else {
            return Ok(Page {
                payments: Vec::new(),
                next: None,
            });
        };
        let after = request.after.map(|cursor| (cursor.created_on, cursor.id));
        let keys: Box<dyn Iterator<Item = &(Timestamp, PaymentId)>> = match (request.order, after) {
            (ListOrder::OldestFirst, None) => Box::new(index.iter()),
            (ListOrder::OldestFirst, Some(after)) => {
                Box::new(index.range((Bound::Excluded(after), Bound::Unbounded)))
            }
            (ListOrder::NewestFirst, None) => Box::new(index.iter().rev()),
            (ListOrder::NewestFirst, Some(after)) => Box::new(
                index
                    .range((Bound::Unbounded, Bound::Excluded(after)))
                    .rev(),
            ),
        };
        let payments: Vec<Payment> = keys
            .take(request.size.get() + 1)
            .filter_map(|(_, id)| match state.records.get(id) {
                Some(Record::Live(payment)) => Some(Payment::clone(payment)),
                _ => None,
            })
            .collect();
        Ok(Page::from_lookahead(payments, request.size))
    }

    async fn update(
        &self,
        expected: Version,
        updated: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        let mut state = self.lock();
        state.current(expected, updated)?;
        state.records.insert(
            updated.payment.id,
            Record::Live(Box::new(updated.payment.clone())),
        );
        state.append(updated);
        Ok(())
    }

    async fn delete(
        &self,
        expected: Version,
        deleted: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        let mut state = self.lock();
        let stored = state.current(expected, deleted)?;
        let key = (stored.created_on, stored.id);
        let organisation = stored.organisation_id;
        if let Some(index) = state.by_organisation.get_mut(&organisation) {
            index.remove(&key);
        }
        state
            .records
            .insert(deleted.payment.id, Record::Deleted(organisation));
        state.append(deleted);
        Ok(())
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Vec<PaymentEvent>, RepositoryError> {
        let state = self.lock();
        match state.records.get(&id) {
            Some(record) if record.organisation() == organisation => {
                Ok(state.events.get(&id).cloned().unwrap_or_default())
            }
            _ => Err(RepositoryError::NotFound),
        }
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}
