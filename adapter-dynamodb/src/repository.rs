//! [`DynamoRepository`]: the repository port on one DynamoDB table. Every
//! call is a key lookup, a query, or a transaction; nothing scans.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use payments_domain::{IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Version};
use payments_ports::{
    IdempotentOutcome, ListOrder, Page, PageRequest, PaymentRepository, RepositoryError,
    RequestFingerprint,
};

use crate::config::DynamoConfig;
use crate::errors::{self, Cancelled};
use crate::item::{self, EncodeError, Item, StoredIdempotency, StoredPayment};
use crate::keys;
use crate::table::{create_table_if_missing, TableSetupError};

/// How often a transaction that clashed with a concurrent one is sent
/// again before the call gives up as `Unavailable`. Each retry re-checks
/// every condition, so it returns the real outcome (say, a version
/// conflict) once the other transaction has settled.
const TRANSACTION_ATTEMPTS: u32 = 4;
/// The first pause before such a retry; it doubles each time, with jitter.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(20);

/// The condition of a write that must not overwrite anything.
const IS_NEW: &str = "attribute_not_exists(#pk)";
/// The condition of an update or delete: the live payment of the caller's
/// organisation, at the version the caller read.
const IS_CURRENT: &str = "#org = :org AND #version = :expected AND #status = :live";

/// The payment repository on DynamoDB. Cheap to clone: clones share one
/// SDK client (and its connection pool).
#[derive(Clone)]
pub struct DynamoRepository {
    client: Client,
    table: Arc<str>,
}

impl std::fmt::Debug for DynamoRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoRepository")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl DynamoRepository {
    /// A repository on `table_name`, through a client built elsewhere.
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table: Arc::from(table_name.into()),
        }
    }

    /// Builds the SDK client from `config` (see [`DynamoConfig::client`])
    /// and a repository on its table. Call once per process. Nothing is
    /// sent yet: credentials and the table are first used by the first
    /// call ([`PaymentRepository::ping`] checks both).
    pub async fn connect(config: &DynamoConfig) -> Self {
        Self::new(config.client().await, config.table_name.clone())
    }

    /// The table this repository uses.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The SDK client, for [`crate::create_table_if_missing`].
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates this repository's table unless it exists (the `migrate`
    /// step): [`crate::create_table_if_missing`] on its client and table.
    ///
    /// # Errors
    /// As for [`crate::create_table_if_missing`].
    pub async fn migrate(&self) -> Result<(), TableSetupError> {
        create_table_if_missing(&self.client, &self.table).await
    }

    /// A `Put` of an item that must not exist yet. `return_old` asks
    /// DynamoDB to hand back the existing item when the condition fails,
    /// which saves a read when the caller needs it.
    fn put_new(&self, item: Item, return_old: bool) -> Result<TransactWriteItem, RepositoryError> {
        let mut put = Put::builder()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression(IS_NEW)
            .expression_attribute_names("#pk", keys::PK);
        if return_old {
            put = put.return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );
        }
        let put = put.build().map_err(errors::unexpected)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A `Put` replacing the live payment of `organisation` at `expected`.
    /// The stored item comes back when the condition fails, so telling "not
    /// found" from "version conflict" needs no second read.
    fn put_current(
        &self,
        item: Item,
        organisation: OrganisationId,
        expected: Version,
    ) -> Result<TransactWriteItem, RepositoryError> {
        let put = Put::builder()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression(IS_CURRENT)
            .expression_attribute_names("#org", keys::ORGANISATION_ID)
            .expression_attribute_names("#version", keys::VERSION)
            .expression_attribute_names("#status", keys::STATUS)
            .expression_attribute_values(":org", item::s(organisation.to_string()))
            .expression_attribute_values(":expected", item::n(expected))
            .expression_attribute_values(":live", item::s(keys::LIVE))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(errors::unexpected)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Sends a transaction; `Ok(Some(_))` when DynamoDB cancelled it.
    /// A clash with a concurrent transaction is retried with backoff, so the
    /// caller sees a decided outcome, or `Unavailable` if the clash lasts.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Cancelled>, RepositoryError> {
        let mut delay = FIRST_RETRY_DELAY;
        let mut attempt = 1;
        loop {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let Err(error) = sent else {
                return Ok(None);
            };
            let cancelled = Cancelled::from_error(error)?;
            if !cancelled.conflicted() || attempt == TRANSACTION_ATTEMPTS {
                return Ok(Some(cancelled));
            }
            tokio::time::sleep(with_jitter(delay)).await;
            delay *= 2;
            attempt += 1;
        }
    }

    /// A strongly consistent GetItem: right after a write, and when a failed
    /// condition must be explained, an eventually consistent read could
    /// show the state before.
    async fn read(&self, key: Item) -> Result<Option<Item>, RepositoryError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(errors::from_sdk)?;
        Ok(output.item)
    }

    /// Replaces the payment item and appends the event, atomically, if the
    /// payment is live, the caller's, and at `expected`.
    async fn change(
        &self,
        expected: Version,
        change: &PaymentEvent,
        payment_item: Item,
    ) -> Result<(), RepositoryError> {
        let payment = &change.payment;
        let items = vec![
            self.put_current(payment_item, payment.organisation_id, expected)?,
            self.put_new(item::event_item(change).map_err(encoding)?, false)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(cancelled) if cancelled.failed_condition(0) => Err(self
                .explain_refused_change(expected, payment, cancelled.item(0).cloned())
                .await),
            Some(cancelled) if cancelled.failed_condition(1) => Err(history_clash(payment)),
            Some(cancelled) => Err(cancelled.into_error()),
        }
    }

    /// Why the condition on a payment failed: it is not there (or deleted,
    /// or another organisation's), or it is at another version.
    async fn explain_refused_change(
        &self,
        expected: Version,
        payment: &Payment,
        returned: Option<Item>,
    ) -> RepositoryError {
        // DynamoDB returns the item with the cancellation when it exists;
        // the read covers a store that does not (the item is then absent
        // anyway, so this costs a read only on "not found").
        let stored = match returned {
            Some(item) => Some(item),
            None => match self.read(item::payment_key(payment.id)).await {
                Ok(item) => item,
                Err(error) => return error,
            },
        };
        let Some(stored) = stored else {
            return RepositoryError::NotFound;
        };
        match StoredPayment::decode(&stored) {
            Err(reason) => corrupt(&stored, &reason),
            Ok(StoredPayment::Live(current))
                if current.organisation_id == payment.organisation_id =>
            {
                if current.version == expected {
                    errors::unexpected(Inconsistency(format!(
                        "the update of payment {} was refused, yet it is live at version {expected}",
                        payment.id
                    )))
                } else {
                    RepositoryError::VersionConflict {
                        expected,
                        actual: current.version,
                    }
                }
            }
            Ok(_) => RepositoryError::NotFound,
        }
    }

    /// The answer to an idempotent create whose key was taken: the payment
    /// that key created, if the request is the same one.
    async fn replay(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        returned: Option<Item>,
    ) -> Result<IdempotentOutcome, RepositoryError> {
        let stored = match returned {
            Some(item) => item,
            None => self
                .read(item::idempotency_key(organisation, key))
                .await?
                .ok_or_else(|| {
                    errors::unexpected(Inconsistency(format!(
                        "the idempotency key {key:?} was refused as taken, yet is not stored"
                    )))
                })?,
        };
        let used =
            StoredIdempotency::decode(&stored).map_err(|reason| corrupt(&stored, &reason))?;
        if used.fingerprint != *fingerprint {
            return Err(RepositoryError::IdempotencyKeyReused);
        }
        let first = self
            .read(item::event_key(used.payment_id, Version::INITIAL))
            .await?
            .ok_or_else(|| {
                RepositoryError::Corrupt(format!(
                    "idempotency key {key:?} names payment {}, which has no creation event",
                    used.payment_id
                ))
            })?;
        let created = item::decode_event(&first).map_err(|reason| corrupt(&first, &reason))?;
        Ok(IdempotentOutcome::Replayed(Box::new(created.payment)))
    }
}

#[async_trait]
impl PaymentRepository for DynamoRepository {
    async fn create(&self, created: &PaymentEvent) -> Result<(), RepositoryError> {
        let payment = &created.payment;
        let items = vec![
            self.put_new(item::live_payment_item(payment).map_err(encoding)?, false)?,
            self.put_new(item::event_item(created).map_err(encoding)?, false)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(cancelled) if cancelled.failed_condition(0) => Err(RepositoryError::AlreadyExists),
            Some(cancelled) if cancelled.failed_condition(1) => Err(history_clash(payment)),
            Some(cancelled) => Err(cancelled.into_error()),
        }
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> Result<IdempotentOutcome, RepositoryError> {
        let payment = &created.payment;
        let organisation = payment.organisation_id;
        let items = vec![
            self.put_new(
                item::idempotency_item(organisation, key, fingerprint, payment.id),
                true,
            )?,
            self.put_new(item::live_payment_item(payment).map_err(encoding)?, false)?,
            self.put_new(item::event_item(created).map_err(encoding)?, false)?,
        ];
        match self.transact(items).await? {
            None => Ok(IdempotentOutcome::Created),
            // The key first: a client retrying a create that carries its
            // own payment id fails both conditions, and is a replay.
            Some(cancelled) if cancelled.failed_condition(0) => {
                self.replay(organisation, key, fingerprint, cancelled.item(0).cloned())
                    .await
            }
            Some(cancelled) if cancelled.failed_condition(1) => Err(RepositoryError::AlreadyExists),
            Some(cancelled) if cancelled.failed_condition(2) => Err(history_clash(payment)),
            Some(cancelled) => Err(cancelled.into_error()),
        }
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, RepositoryError> {
        let Some(stored) = self.read(item::payment_key(id)).await? else {
            return Ok(None);
        };
        match StoredPayment::decode(&stored).map_err(|reason| corrupt(&stored, &reason))? {
            StoredPayment::Live(payment) if payment.organisation_id == organisation => {
                Ok(Some(*payment))
            }
            _ => Ok(None),
        }
    }

    async fn list(
        &self,
        organisation: OrganisationId,
        request: PageRequest,
    ) -> Result<Page, RepositoryError> {
        let size = request.size.get();
        let oldest_first = request.order == ListOrder::OldestFirst;
        let after = match request.after.map(|cursor| keys::cursor_gsi1sk(&cursor)) {
            None => None,
            Some(Some(position)) => Some(position),
            // A cursor before 1970 comes before every payment.
            Some(None) if oldest_first => None,
            Some(None) => {
                return Ok(Page {
                    payments: Vec::new(),
                    next: None,
                })
            }
        };
        let mut query = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(keys::GSI1)
            .scan_index_forward(oldest_first)
            .expression_attribute_names("#org", keys::GSI1PK)
            .expression_attribute_values(":org", item::s(keys::organisation_gsi1pk(organisation)));
        query = match after {
            None => query.key_condition_expression("#org = :org"),
            Some(position) => query
                .key_condition_expression(if oldest_first {
                    "#org = :org AND #position > :after"
                } else {
                    "#org = :org AND #position < :after"
                })
                .expression_attribute_names("#position", keys::GSI1SK)
                .expression_attribute_values(":after", item::s(position)),
        };

        // One more than the page, to know whether a next page exists. A
        // query stops at 1 MB, so keep reading until that many arrived or
        // the index has no more (payments are a few KB: one request).
        let mut payments = Vec::with_capacity(size + 1);
        let mut start = None;
        loop {
            let wanted = i32::try_from(size + 1 - payments.len()).unwrap_or(i32::MAX);
            let output = query
                .clone()
                .limit(wanted)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(errors::from_sdk)?;
            for listed in output.items() {
                payments.push(listed_payment(listed, organisation)?);
            }
            match output.last_evaluated_key {
                Some(last) if payments.len() <= size => start = Some(last),
                _ => break,
            }
        }
        Ok(Page::from_lookahead(payments, request.size))
    }

    async fn update(
        &self,
        expected: Version,
        updated: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        let item = item::live_payment_item(&updated.payment).map_err(encoding)?;
        self.change(expected, updated, item).await
    }

    async fn delete(
        &self,
        expected: Version,
        deleted: &PaymentEvent,
    ) -> Result<(), RepositoryError> {
        self.change(expected, deleted, item::tombstone_item(&deleted.payment))
            .await
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Vec<PaymentEvent>, RepositoryError> {
        let query = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :events)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", item::s(keys::payment_pk(id)))
            .expression_attribute_values(":events", item::s(keys::EVENT_SK_PREFIX));
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(errors::from_sdk)?;
            for stored in output.items() {
                events.push(item::decode_event(stored).map_err(|reason| corrupt(stored, &reason))?);
            }
            match output.last_evaluated_key {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        match events.first() {
            Some(first) if first.payment.organisation_id == organisation => Ok(events),
            _ => Err(RepositoryError::NotFound),
        }
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        // Any failure means "not ready": a missing table or a denied call
        // will not serve requests either.
        self.client
            .describe_table()
            .table_name(self.table.as_ref())
            .send()
            .await
            .map(|_| ())
            .map_err(|error| RepositoryError::Unavailable(Box::new(error)))
    }
}

/// A payment read from the listing index.
fn listed_payment(listed: &Item, organisation: OrganisationId) -> Result<Payment, RepositoryError> {
    match StoredPayment::decode(listed).map_err(|reason| corrupt(listed, &reason))? {
        StoredPayment::Live(payment) if payment.organisation_id == organisation => Ok(*payment),
        // Tombstones carry no index keys and the index partition is the
        // organisation, so this is a damaged item.
        _ => Err(corrupt(
            listed,
            "listed for an organisation it is not a live payment of",
        )),
    }
}

fn corrupt(stored: &Item, reason: &str) -> RepositoryError {
    RepositoryError::Corrupt(format!("item {}: {reason}", item::describe(stored)))
}

fn encoding(error: EncodeError) -> RepositoryError {
    errors::unexpected(error)
}

/// An event for this version is stored already although the payment's
/// condition held: the history and the payment disagree.
fn history_clash(payment: &Payment) -> RepositoryError {
    RepositoryError::Corrupt(format!(
        "payment {} already has an event for version {}",
        payment.id, payment.version
    ))
}

/// The store contradicted itself; kept as the source of an `Unexpected`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Inconsistency(String);

/// `delay` plus up to half again, so writers that clashed do not retry in
/// step. The randomness of `RandomState` is enough for spreading retries.
fn with_jitter(delay: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let half = u64::try_from(delay.as_micros() / 2)
        .unwrap_or(u64::MAX)
        .max(1);
    delay + Duration::from_micros(random % half)
}
