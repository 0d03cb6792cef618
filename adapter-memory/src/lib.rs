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
//! costs O(log n + page size); a page of history is a slice of the
//! payment's events. A second ordered index per organisation, by
//! `(reported_on, id)`, serves reports and exports the same way: a report
//! walks its period there, reading every payment in it. Idempotency keys are kept in order of first use and
//! evicted once expired: each idempotent create evicts up to two, and
//! [`PaymentRepository::purge_idempotency_keys`] any number, so memory
//! does not grow with keys no one can use any more.
//!
//! It keeps the domain's values as they are, not their storage form:
//! nothing here outlives the process, so there is no stored format to keep
//! readable across releases. Each payment is held once, as the last event
//! of its history (about 1.2 KiB for a recorded payment, with the
//! indexes).

use std::collections::BTreeSet;

// Seeded per process like std's (so ids a client chooses cannot be made to
// collide), and much cheaper per lookup than SipHash.
use foldhash::HashMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use payments_domain::{
    Bounds, IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Timestamp, Version,
};
use payments_ports::{
    refused_change, ChangeError, CreateError, HistoryPage, HistoryRequest, IdempotencyClaim,
    IdempotentCreateError, ListOrder, Page, PageRequest, PaymentRepository, PeriodPage,
    PeriodRequest, StoreError, StoredVersion, UsedKey,
};

/// An in-memory payment store. Clones share the same payments.
#[derive(Clone, Default)]
pub struct MemoryRepository {
    // Reads share the lock, so they run on every core at once; writes,
    // which check then change, hold it alone.
    state: Arc<RwLock<State>>,
}

impl std::fmt::Debug for MemoryRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRepository").finish_non_exhaustive()
    }
}

/// A payment's record: its history, and whether the history ends in a
/// deletion (a tombstone that keeps its id taken). The live payment is
/// the last event's, held once: a copy beside the history was as large
/// again as everything else kept per payment.
struct Record {
    /// Every event but the last, oldest first.
    earlier: Vec<PaymentEvent>,
    /// The last event: the payment as it stands, or as it was deleted.
    last: PaymentEvent,
    deleted: bool,
}

impl Record {
    fn new(created: &PaymentEvent) -> Self {
        Self {
            earlier: Vec::new(),
            last: created.clone(),
            deleted: false,
        }
    }

    /// The payment, unless deleted.
    fn live(&self) -> Option<&Payment> {
        (!self.deleted).then_some(&self.last.payment)
    }

    fn organisation(&self) -> OrganisationId {
        self.last.payment.organisation_id
    }

    fn state(&self) -> StoredVersion {
        StoredVersion {
            organisation_id: self.last.payment.organisation_id,
            version: self.last.payment.version,
            live: !self.deleted,
        }
    }

    /// The history, oldest first: the event of version v is the v-th.
    fn events(&self) -> impl Iterator<Item = &PaymentEvent> {
        self.earlier.iter().chain(std::iter::once(&self.last))
    }

    /// Adds `event` to the history, deleting the payment if `deletes`.
    fn append(&mut self, event: &PaymentEvent, deletes: bool) {
        let previous = std::mem::replace(&mut self.last, event.clone());
        self.earlier.push(previous);
        self.deleted = deletes;
    }
}

/// An idempotency key's scope: keys are per organisation.
type KeyScope = (OrganisationId, IdempotencyKey);

/// A stored idempotency key.
struct StoredKey {
    used: UsedKey,
    first_used_on: Timestamp,
}

/// A position in an organisation's listing index.
type ListingKey = (Timestamp, PaymentId);

/// The keys of an index (listing or period) a read may come from: inside
/// `bounds` and past the cursor `after` in `order`. `None` when no key can
/// be (which `BTreeSet::range` would refuse).
fn key_range(
    bounds: Bounds<Timestamp>,
    after: Option<ListingKey>,
    order: ListOrder,
) -> Option<(Bound<ListingKey>, Bound<ListingKey>)> {
    // The nil id sorts before every other, so `(t, nil)` is the first key
    // at `t`.
    let first_at = |at: Timestamp| (at, PaymentId::from_uuid(uuid::Uuid::nil()));
    let mut lower = bounds
        .from
        .map_or(Bound::Unbounded, |from| Bound::Included(first_at(from)));
    let mut upper = bounds
        .to
        .map_or(Bound::Unbounded, |to| Bound::Excluded(first_at(to)));
    if let Some(after) = after {
        match order {
            ListOrder::OldestFirst => lower = tighter(lower, after, |a, b| a >= b),
            ListOrder::NewestFirst => upper = tighter(upper, after, |a, b| a <= b),
        }
    }
    let nonempty = match (&lower, &upper) {
        (Bound::Included(low), Bound::Included(high)) => low <= high,
        (
            Bound::Included(low) | Bound::Excluded(low),
            Bound::Included(high) | Bound::Excluded(high),
        ) => low < high,
        _ => true,
    };
    nonempty.then_some((lower, upper))
}

/// The stricter of `bound` and "excluding `cursor`": `beyond(a, b)` says
/// whether `a` lies at or past `b` in the direction of the bound.
fn tighter(
    bound: Bound<ListingKey>,
    cursor: ListingKey,
    beyond: impl Fn(&ListingKey, &ListingKey) -> bool,
) -> Bound<ListingKey> {
    match bound {
        Bound::Included(key) if beyond(&cursor, &key) => Bound::Excluded(cursor),
        Bound::Excluded(key) if beyond(&cursor, &key) => Bound::Excluded(cursor),
        Bound::Unbounded => Bound::Excluded(cursor),
        kept => kept,
    }
}

#[derive(Default)]
struct State {
    /// Boxed, so the table moves pointers when it grows, not payments.
    records: HashMap<PaymentId, Box<Record>>,
    /// Live payments per organisation, in listing order.
    by_organisation: HashMap<OrganisationId, BTreeSet<ListingKey>>,
    /// Live payments per organisation by `(reported_on, id)`: the periods
    /// of reports and exports.
    by_reported_on: HashMap<OrganisationId, BTreeSet<ListingKey>>,
    keys: HashMap<KeyScope, StoredKey>,
    /// The keys by first use, oldest first, so expired ones are evicted
    /// from the front without a scan.
    keys_by_first_use: BTreeSet<(Timestamp, KeyScope)>,
}

impl State {
    fn insert(&mut self, created: &PaymentEvent) -> Result<(), CreateError> {
        let payment = &created.payment;
        if self.records.contains_key(&payment.id) {
            return Err(CreateError::AlreadyExists);
        }
        self.records
            .insert(payment.id, Box::new(Record::new(created)));
        self.by_organisation
            .entry(payment.organisation_id)
            .or_default()
            .insert((payment.created_on, payment.id));
        self.by_reported_on
            .entry(payment.organisation_id)
            .or_default()
            .insert((payment.reported_on(), payment.id));
        Ok(())
    }

    /// Moves a payment of `organisation` in the period index from
    /// `before` to `after` (`None`: out of it, deleted).
    fn move_reported(
        &mut self,
        organisation: OrganisationId,
        before: ListingKey,
        after: Option<ListingKey>,
    ) {
        let index = self.by_reported_on.entry(organisation).or_default();
        index.remove(&before);
        if let Some(after) = after {
            index.insert(after);
        }
    }

    /// The live payment `change` applies to, if it is at `expected`.
    fn current(&self, expected: Version, change: &PaymentEvent) -> Result<&Payment, ChangeError> {
        let target = &change.payment;
        let record = self.records.get(&target.id);
        if let Some(refusal) =
            refused_change(expected, target.organisation_id, record.map(|r| r.state()))
        {
            return Err(refusal);
        }
        // `refused_change` lets only a live payment through.
        record
            .and_then(|record| record.live())
            .ok_or(ChangeError::NotFound)
    }

    /// Adds `event` to its payment's history; `deletes` if it is a deletion.
    fn append(&mut self, event: &PaymentEvent, deletes: bool) {
        if let Some(record) = self.records.get_mut(&event.payment.id) {
            record.append(event, deletes);
        }
    }

    /// Copies of the live payments of the first `limit` index keys.
    fn live<'a>(&self, keys: impl Iterator<Item = &'a ListingKey>, limit: usize) -> Vec<Payment> {
        keys.take(limit)
            .filter_map(|(_, id)| self.records.get(id)?.live().cloned())
            .collect()
    }

    /// Forgets up to `limit` keys first used at or before `expired_up_to`.
    fn evict_keys(&mut self, expired_up_to: Timestamp, limit: usize) -> usize {
        let mut evicted = 0;
        while evicted < limit {
            match self.keys_by_first_use.first() {
                Some((first_used_on, _)) if *first_used_on <= expired_up_to => {}
                _ => break,
            }
            if let Some((_, scope)) = self.keys_by_first_use.pop_first() {
                self.keys.remove(&scope);
                evicted += 1;
            }
        }
        evicted
    }
}

impl MemoryRepository {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // A panic while holding the lock leaves no half-made change: every
    // method checks before it mutates. So a poisoned lock is still
    // consistent and can be used.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl PaymentRepository for MemoryRepository {
    async fn create(&self, created: &PaymentEvent) -> Result<(), CreateError> {
        self.write().insert(created)
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        claim: &IdempotencyClaim,
    ) -> Result<(), IdempotentCreateError> {
        let mut state = self.write();
        let now = created.occurred_on;
        let expired_up_to = claim.retention.expired_up_to(now);
        // Expired keys go first, a few at a time: each create pays for
        // evicting at most as many keys as it could have added.
        state.evict_keys(expired_up_to, 2);
        let organisation = created.payment.organisation_id;
        let scope = (organisation, claim.key.clone());
        if let Some(stored) = state.keys.get(&scope) {
            if stored.first_used_on > expired_up_to {
                return Err(IdempotentCreateError::KeyInUse(stored.used.clone()));
            }
        }
        state.insert(created)?;
        if let Some(replaced) = state.keys.remove(&scope) {
            state
                .keys_by_first_use
                .remove(&(replaced.first_used_on, scope.clone()));
        }
        state.keys_by_first_use.insert((now, scope.clone()));
        state.keys.insert(
            scope,
            StoredKey {
                used: UsedKey {
                    fingerprint: claim.fingerprint.clone(),
                    payment_id: created.payment.id,
                },
                first_used_on: now,
            },
        );
        Ok(())
    }

    async fn idempotency_key(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        expired_up_to: Timestamp,
    ) -> Result<Option<UsedKey>, StoreError> {
        Ok(self
            .read()
            .keys
            .get(&(organisation, key.clone()))
            .filter(|stored| stored.first_used_on > expired_up_to)
            .map(|stored| stored.used.clone()))
    }

    async fn purge_idempotency_keys(
        &self,
        expired_up_to: Timestamp,
        limit: usize,
    ) -> Result<usize, StoreError> {
        Ok(self.write().evict_keys(expired_up_to, limit))
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, StoreError> {
        Ok(self
            .read()
            .records
            .get(&id)
            .and_then(|record| record.live())
            .filter(|payment| payment.organisation_id == organisation)
            .cloned())
    }

    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, StoreError> {
        let state = self.read();
        let after = request.after.map(|cursor| (cursor.created_on, cursor.id));
        let (Some(index), Some((lower, upper))) = (
            state.by_organisation.get(&organisation),
            key_range(request.created, after, request.order),
        ) else {
            return Ok(Page::empty());
        };
        let keys: Box<dyn Iterator<Item = &ListingKey>> = match request.order {
            ListOrder::OldestFirst => Box::new(index.range((lower, upper))),
            ListOrder::NewestFirst => Box::new(index.range((lower, upper)).rev()),
        };
        let payments = state.live(keys, request.size.with_lookahead());
        Ok(Page::from_lookahead(payments, request.size))
    }

    async fn list_period(
        &self,
        organisation: OrganisationId,
        request: PeriodRequest,
    ) -> Result<PeriodPage, StoreError> {
        let state = self.read();
        let after = request.after.map(|cursor| (cursor.reported_on, cursor.id));
        let (Some(index), Some(range)) = (
            state.by_reported_on.get(&organisation),
            key_range(request.period, after, ListOrder::OldestFirst),
        ) else {
            return Ok(PeriodPage::from_lookahead(Vec::new(), &request));
        };
        let payments = state.live(index.range(range), request.limit() + 1);
        Ok(PeriodPage::from_lookahead(payments, &request))
    }

    async fn update(&self, expected: Version, updated: &PaymentEvent) -> Result<(), ChangeError> {
        let mut state = self.write();
        let stored = state.current(expected, updated)?;
        let (organisation, before) = (stored.organisation_id, (stored.reported_on(), stored.id));
        let after = (updated.payment.reported_on(), updated.payment.id);
        state.move_reported(organisation, before, Some(after));
        state.append(updated, false);
        Ok(())
    }

    async fn delete(&self, expected: Version, deleted: &PaymentEvent) -> Result<(), ChangeError> {
        let mut state = self.write();
        let stored = state.current(expected, deleted)?;
        let key = (stored.created_on, stored.id);
        let reported = (stored.reported_on(), stored.id);
        let organisation = stored.organisation_id;
        if let Some(index) = state.by_organisation.get_mut(&organisation) {
            index.remove(&key);
        }
        state.move_reported(organisation, reported, None);
        state.append(deleted, true);
        Ok(())
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Result<Option<HistoryPage>, StoreError> {
        let state = self.read();
        match state.records.get(&id) {
            Some(record) if record.organisation() == organisation => {
                // Versions count up from 0 with no gap: the event of
                // version v is the v-th.
                let start = request.after.map_or(0, |after| {
                    usize::try_from(after.number()).map_or(usize::MAX, |v| v.saturating_add(1))
                });
                let page = record
                    .events()
                    .skip(start)
                    .take(request.size.with_lookahead())
                    .cloned()
                    .collect();
                Ok(Some(HistoryPage::from_lookahead(page, request.size)))
            }
            _ => Ok(None),
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
