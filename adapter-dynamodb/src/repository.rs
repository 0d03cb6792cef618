//! [`DynamoRepository`]: the repository port on one DynamoDB table. Every
//! call is a key lookup, a query, or a transaction; nothing scans.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use payments_domain::{
    IdempotencyKey, OrganisationId, Payment, PaymentEvent, PaymentId, Timestamp, Version,
};
use payments_ports::{
    refused_change, ChangeError, CreateError, HistoryPage, HistoryRequest, IdempotencyClaim,
    IdempotentCreateError, ListOrder, Page, PageRequest, PaymentRepository, PeriodPage,
    PeriodRequest, StoreError, UsedKey,
};

use crate::config::DynamoConfig;
use crate::errors::{self, Cancelled};
use crate::item::{self, EncodeError, Item, StoredIdempotency, StoredPayment};
use crate::keys;
use crate::table::{create_table_if_missing, TableSetup, TableSetupError, UnimplementedSettings};

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
/// The condition of a key claim: no key, or one expired (first used at or
/// before `:expired_up_to`).
const KEY_IS_FREE: &str = "attribute_not_exists(#pk) OR #first_used <= :expired_up_to";
/// [`KEY_IS_FREE`], or exactly the expired key written before first use
/// was recorded, which names `:expired_payment`.
const KEY_IS_FREE_OR_OLD: &str = "attribute_not_exists(#pk) OR #first_used <= :expired_up_to \
     OR (attribute_not_exists(#first_used) AND #payment = :expired_payment)";
/// How often a claim meets an expired key written before first use was
/// recorded, and tries again to replace it, before giving up.
const CLAIM_ATTEMPTS: u32 = 3;

/// The payment repository on DynamoDB. Cheap to clone: clones share one
/// SDK client (and its connection pool).
#[derive(Clone)]
pub struct DynamoRepository {
    client: Client,
    table: Arc<str>,
    unimplemented: UnimplementedSettings,
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
    /// Its [`migrate`](Self::migrate) applies every table setting or fails,
    /// as AWS needs; see [`Self::with_unimplemented_settings`] for an
    /// emulator.
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table: Arc::from(table_name.into()),
            unimplemented: UnimplementedSettings::Fail,
        }
    }

    /// What [`migrate`](Self::migrate) does with a table setting the
    /// endpoint does not implement.
    #[must_use]
    pub fn with_unimplemented_settings(mut self, unimplemented: UnimplementedSettings) -> Self {
        self.unimplemented = unimplemented;
        self
    }

    /// Builds the SDK client from `config` (see [`DynamoConfig::client`])
    /// and a repository on its table. Call once per process. Nothing is
    /// sent yet: credentials and the table are first used by the first
    /// call ([`PaymentRepository::ping`] checks both).
    ///
    /// With a custom endpoint (an emulator), [`migrate`](Self::migrate)
    /// skips the settings it does not implement; against AWS it applies
    /// all of them or fails.
    pub async fn connect(config: &DynamoConfig) -> Self {
        Self::new(config.client().await, config.table_name.clone()).with_unimplemented_settings(
            UnimplementedSettings::for_endpoint(config.endpoint_url.as_deref()),
        )
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
    /// The result names the settings left out because the endpoint does
    /// not implement them; warn about them.
    ///
    /// # Errors
    /// As for [`crate::create_table_if_missing`].
    pub async fn migrate(&self) -> Result<TableSetup, TableSetupError> {
        create_table_if_missing(&self.client, &self.table, self.unimplemented).await
    }

    /// A `Put` of an item that must not exist yet.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression(IS_NEW)
            .expression_attribute_names("#pk", keys::PK)
            .build()
            .map_err(errors::unexpected)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A `Put` of a key item that may replace only an expired key (and,
    /// with `expired_payment`, the one expired key written before first use
    /// was recorded that names it). The stored key comes back when the
    /// condition fails, which saves a read.
    fn put_key(
        &self,
        item: Item,
        expired_up_to: Timestamp,
        expired_payment: Option<PaymentId>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#first_used", keys::FIRST_USED_ON)
            .expression_attribute_values(":expired_up_to", item::micros(expired_up_to))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let put = match expired_payment {
            None => put.condition_expression(KEY_IS_FREE),
            Some(payment) => put
                .condition_expression(KEY_IS_FREE_OR_OLD)
                .expression_attribute_names("#payment", keys::PAYMENT_ID)
                .expression_attribute_values(":expired_payment", item::s(payment.to_string())),
        };
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
    ) -> Result<TransactWriteItem, StoreError> {
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
    ) -> Result<Option<Cancelled>, StoreError> {
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
    async fn read(&self, key: Item) -> Result<Option<Item>, StoreError> {
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
    ) -> Result<(), ChangeError> {
        let payment = &change.payment;
        let items = vec![
            self.put_current(payment_item, payment.organisation_id, expected)?,
            self.put_new(item::event_item(change).map_err(encoding)?)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(cancelled) if cancelled.failed_condition(0) => Err(self
                .explain_refused_change(expected, payment, cancelled.item(0).cloned())
                .await),
            Some(cancelled) if cancelled.failed_condition(1) => Err(history_clash(payment).into()),
            Some(cancelled) => Err(cancelled.into_error().into()),
        }
    }

    /// Why the condition on a payment failed, by the port's one rule, from
    /// the item as stored now.
    async fn explain_refused_change(
        &self,
        expected: Version,
        payment: &Payment,
        returned: Option<Item>,
    ) -> ChangeError {
        // DynamoDB returns the item with the cancellation when it exists;
        // the read covers a store that does not (the item is then absent
        // anyway, so this costs a read only on "not found").
        let stored = match returned {
            Some(item) => Some(item),
            None => match self.read(item::payment_key(payment.id)).await {
                Ok(item) => item,
                Err(error) => return error.into(),
            },
        };
        let found = match stored
            .as_ref()
            .map(|stored| StoredPayment::decode(stored).map_err(|reason| corrupt(stored, &reason)))
            .transpose()
        {
            Ok(found) => found.map(|stored| stored.state()),
            Err(error) => return error.into(),
        };
        refused_change(expected, payment.organisation_id, found).unwrap_or_else(|| {
            ChangeError::Store(errors::unexpected(Inconsistency(format!(
                "the change of payment {} was refused, yet it is live at version {expected}",
                payment.id
            ))))
        })
    }

    /// What a key item holds, and when the key was first used: as
    /// recorded, or for a key written before that was recorded, when its
    /// payment was created (from the creation event).
    /// Up to `wanted` of an organisation's live payments in `range` of
    /// one of its indexes: one query with one key condition on the sort key
    /// (both ends in one BETWEEN), sent again past 1 MB.
    async fn read_index(
        &self,
        organisation: OrganisationId,
        range: IndexRange,
        wanted: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(range.index)
            .scan_index_forward(range.forward)
            .expression_attribute_names("#org", keys::GSI1PK)
            .expression_attribute_values(":org", item::s(keys::organisation_gsi1pk(organisation)));
        let (condition, values) = match range.bounds {
            (None, None) => ("#org = :org", vec![]),
            (Some(low), None) => ("#org = :org AND #position >= :low", vec![(":low", low)]),
            (None, Some(high)) => ("#org = :org AND #position <= :high", vec![(":high", high)]),
            (Some(low), Some(high)) => (
                "#org = :org AND #position BETWEEN :low AND :high",
                vec![(":low", low), (":high", high)],
            ),
        };
        let mut query = query.key_condition_expression(condition);
        if !values.is_empty() {
            query = query.expression_attribute_names("#position", range.sort_key);
        }
        for (name, value) in values {
            query = query.expression_attribute_values(name, item::s(value));
        }
        query_up_to(query, wanted)
            .await?
            .iter()
            .map(|listed| listed_payment(listed, organisation))
            .collect()
    }

    async fn stored_key(&self, item: &Item) -> Result<(UsedKey, Timestamp), StoreError> {
        let stored = StoredIdempotency::decode(item).map_err(|reason| corrupt(item, &reason))?;
        if let Some(first_used_on) = stored.first_used_on {
            return Ok((stored.used, first_used_on));
        }
        let event_key = item::event_key(stored.used.payment_id, Version::INITIAL);
        let first = self.read(event_key).await?.ok_or_else(|| {
            StoreError::corrupt(format!(
                "item {}: names payment {}, which has no creation event",
                item::describe(item),
                stored.used.payment_id
            ))
        })?;
        let created = item::decode_event(&first).map_err(|reason| corrupt(&first, &reason))?;
        Ok((stored.used, created.occurred_on))
    }
}

#[async_trait]
impl PaymentRepository for DynamoRepository {
    async fn create(&self, created: &PaymentEvent) -> Result<(), CreateError> {
        let payment = &created.payment;
        let items = vec![
            self.put_new(item::live_payment_item(payment).map_err(encoding)?)?,
            self.put_new(item::event_item(created).map_err(encoding)?)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(cancelled) if cancelled.failed_condition(0) => Err(CreateError::AlreadyExists),
            Some(cancelled) if cancelled.failed_condition(1) => Err(history_clash(payment).into()),
            Some(cancelled) => Err(cancelled.into_error().into()),
        }
    }

    async fn create_idempotent(
        &self,
        created: &PaymentEvent,
        claim: &IdempotencyClaim,
    ) -> Result<(), IdempotentCreateError> {
        let payment = &created.payment;
        let organisation = payment.organisation_id;
        let first_used_on = created.occurred_on;
        let expired_up_to = claim.retention.expired_up_to(first_used_on);
        let key_item = item::idempotency_item(
            organisation,
            &claim.key,
            &claim.fingerprint,
            payment.id,
            first_used_on,
            claim.retention.expires_on(first_used_on),
        );
        let payment_item = item::live_payment_item(payment).map_err(encoding)?;
        let event_item = item::event_item(created).map_err(encoding)?;
        let mut expired_payment = None;
        for _ in 0..CLAIM_ATTEMPTS {
            let items = vec![
                self.put_key(key_item.clone(), expired_up_to, expired_payment)?,
                self.put_new(payment_item.clone())?,
                self.put_new(event_item.clone())?,
            ];
            let Some(cancelled) = self.transact(items).await? else {
                return Ok(());
            };
            // The key first: a client retrying a create that carries its
            // own payment id fails both conditions, and its key is in use.
            if cancelled.failed_condition(0) {
                let stored = match cancelled.item(0) {
                    Some(item) => item.clone(),
                    // Gone since: try again.
                    None => continue,
                };
                let (used, first_used_on) = self.stored_key(&stored).await?;
                if first_used_on > expired_up_to {
                    return Err(IdempotentCreateError::KeyInUse(used));
                }
                // An expired key written before first use was recorded:
                // replace exactly that one.
                expired_payment = Some(used.payment_id);
                continue;
            }
            return Err(if cancelled.failed_condition(1) {
                IdempotentCreateError::AlreadyExists
            } else if cancelled.failed_condition(2) {
                history_clash(payment).into()
            } else {
                cancelled.into_error().into()
            });
        }
        Err(errors::unexpected(Inconsistency(format!(
            "the idempotency key {:?} kept changing under the claim",
            claim.key
        )))
        .into())
    }

    async fn idempotency_key(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        expired_up_to: Timestamp,
    ) -> Result<Option<UsedKey>, StoreError> {
        let Some(stored) = self.read(item::idempotency_key(organisation, key)).await? else {
            return Ok(None);
        };
        let (used, first_used_on) = self.stored_key(&stored).await?;
        Ok((first_used_on > expired_up_to).then_some(used))
    }

    async fn purge_idempotency_keys(
        &self,
        _expired_up_to: Timestamp,
        _limit: usize,
    ) -> Result<usize, StoreError> {
        // The table's time to live (`expires_at`) deletes expired keys, at
        // no cost in capacity; reads judge expiry by first use in the
        // meantime.
        Ok(0)
    }

    async fn get(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
    ) -> Result<Option<Payment>, StoreError> {
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
    ) -> Result<Page, StoreError> {
        let Some(bounds) = keys::listing_bounds(&request) else {
            return Ok(Page::empty());
        };
        let range = IndexRange {
            index: keys::GSI1,
            sort_key: keys::GSI1SK,
            bounds,
            forward: request.order == ListOrder::OldestFirst,
        };
        // One more than the page, to know whether a next page exists.
        let payments = self
            .read_index(organisation, range, request.size.with_lookahead())
            .await?;
        Ok(Page::from_lookahead(payments, request.size))
    }

    async fn list_period(
        &self,
        organisation: OrganisationId,
        request: PeriodRequest,
    ) -> Result<PeriodPage, StoreError> {
        let Some(bounds) = keys::period_bounds(&request) else {
            return Ok(PeriodPage::from_lookahead(Vec::new(), &request));
        };
        let range = IndexRange {
            index: keys::GSI2,
            sort_key: keys::GSI2SK,
            bounds,
            forward: true,
        };
        let payments = self
            .read_index(organisation, range, request.limit() + 1)
            .await?;
        Ok(PeriodPage::from_lookahead(payments, &request))
    }

    async fn update(&self, expected: Version, updated: &PaymentEvent) -> Result<(), ChangeError> {
        let item = item::live_payment_item(&updated.payment).map_err(encoding)?;
        self.change(expected, updated, item).await
    }

    async fn delete(&self, expected: Version, deleted: &PaymentEvent) -> Result<(), ChangeError> {
        self.change(expected, deleted, item::tombstone_item(&deleted.payment))
            .await
    }

    async fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Result<Option<HistoryPage>, StoreError> {
        // Versions go up by one, so the page and its look-ahead are the
        // event sort keys from the one after the cursor to `wanted` later:
        // `BETWEEN` on the sort key, so DynamoDB reads only them.
        let wanted = request.size.with_lookahead();
        let first = match request.after {
            None => Some(0),
            Some(after) => after.number().checked_add(1),
        };
        let mut events = Vec::new();
        if let Some(first) = first {
            let last = first.saturating_add(u64::try_from(wanted - 1).unwrap_or(u64::MAX));
            let query = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :first AND :last")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":pk", item::s(keys::payment_pk(id)))
                .expression_attribute_values(":first", item::s(keys::event_sk(Version::new(first))))
                .expression_attribute_values(":last", item::s(keys::event_sk(Version::new(last))));
            for stored in query_up_to(query, wanted).await? {
                let event =
                    item::decode_event(&stored).map_err(|reason| corrupt(&stored, &reason))?;
                // The partition is the payment's: an event of another
                // organisation means the payment is not the caller's.
                if event.payment.organisation_id != organisation {
                    return Ok(None);
                }
                events.push(event);
            }
        }
        // An empty page is the end of a history, or no history at all for
        // this organisation: only then is the payment item read.
        if events.is_empty() {
            let Some(stored) = self.read(item::payment_key(id)).await? else {
                return Ok(None);
            };
            let state = StoredPayment::decode(&stored)
                .map_err(|reason| corrupt(&stored, &reason))?
                .state();
            if state.organisation_id != organisation {
                return Ok(None);
            }
        }
        Ok(Some(HistoryPage::from_lookahead(events, request.size)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // Any failure means "not ready": a missing table or a denied call
        // will not serve requests either.
        self.client
            .describe_table()
            .table_name(self.table.as_ref())
            .send()
            .await
            .map(|_| ())
            .map_err(|error| StoreError::Unavailable(Box::new(error)))
    }
}

/// Up to `wanted` items of `query`, in its order. A query stops at 1 MB, so
/// it is sent again from where it stopped until that many arrived or none
/// are left (payments and events are a few KB: one request).
async fn query_up_to(query: QueryFluentBuilder, wanted: usize) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::with_capacity(wanted);
    let mut start = None;
    loop {
        let output = query
            .clone()
            .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(errors::from_sdk)?;
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(last) if items.len() < wanted => start = Some(last),
            _ => return Ok(items),
        }
    }
}

/// A range of one of the organisation-partitioned indexes.
struct IndexRange {
    index: &'static str,
    sort_key: &'static str,
    /// The sort key's ends, inclusive (`None`: open).
    bounds: (Option<String>, Option<String>),
    /// Ascending.
    forward: bool,
}

/// A payment read from the listing or the period index.
fn listed_payment(listed: &Item, organisation: OrganisationId) -> Result<Payment, StoreError> {
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

fn corrupt(stored: &Item, reason: &str) -> StoreError {
    StoreError::corrupt(format!("item {}: {reason}", item::describe(stored)))
}

fn encoding(error: EncodeError) -> StoreError {
    errors::unexpected(error)
}

/// An event for this version is stored already although the payment's
/// condition held: the history and the payment disagree.
fn history_clash(payment: &Payment) -> StoreError {
    StoreError::corrupt(format!(
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
