//! The payment repository port on DynamoDB (aws-sdk-dynamodb): the store the
//! Lambda front end runs on.
//!
//! ```no_run
//! use std::sync::Arc;
//! use adapter_dynamodb::{DynamoConfig, DynamoRepository};
//! use payments_ports::{PaymentRepository, PaymentService};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = DynamoConfig::from_env(); // PAYMENTS_DYNAMODB_TABLE, AWS_REGION, ...
//! let repository = DynamoRepository::connect(&config).await; // once per process
//! let setup = repository.migrate().await?; // `payments migrate`: create_table_if_missing
//! for setting in setup.skipped {
//!     eprintln!("the emulator does not implement {setting}; left out");
//! }
//! repository.ping().await?;
//! let service = PaymentService::with_system_clock(Arc::new(repository));
//! # let _ = service;
//! # Ok(())
//! # }
//! ```
//!
//! # Configuration
//!
//! [`DynamoConfig::from_env`] reads `PAYMENTS_DYNAMODB_TABLE` (default
//! `payments`), `AWS_REGION` (default `eu-west-1`) and
//! `PAYMENTS_DYNAMODB_ENDPOINT` (unset for AWS; a URL for a local
//! emulator). Credentials come from the standard AWS chain. Calls retry 3
//! times with backoff (the SDK's standard mode), each attempt limited to
//! [`ATTEMPT_TIMEOUT`] and the call to [`CALL_TIMEOUT`].
//! [`create_table_if_missing`] makes the table: on-demand billing, KMS
//! server-side encryption, point-in-time recovery, deletion protection,
//! the `GSI1` listing and `GSI2` period indexes (added, and filled, on a
//! table made before `GSI2`), and time to live on `expires_at`. Against a
//! custom
//! endpoint (an emulator) a setting the endpoint does not implement
//! (DynamoDB Local: point-in-time recovery) is skipped and reported;
//! against AWS every setting is applied or the setup fails.
//!
//! # Table design
//!
//! One table holds three kinds of item, payments (live, or the tombstones of
//! deleted ones), events and idempotency keys; every key is a string:
//!
//! | item | `PK` | `SK` | other attributes |
//! | --- | --- | --- | --- |
//! | payment | `PAYMENT#<id>` | `PAYMENT` | `organisation_id`, `version`, `created_on`, `modified_on`, `status` (`live`), `attributes`, `attributes_format`, `GSI1PK`, `GSI1SK`, `GSI2SK` |
//! | tombstone | `PAYMENT#<id>` | `PAYMENT` | `organisation_id`, `version`, `created_on`, `modified_on`, `status` (`deleted`) |
//! | event | `PAYMENT#<id>` | `EVENT#<version, 20 digits>` | `kind`, `occurred_on`, and the payment as after the change (as a payment item, without index keys and `status`) |
//! | idempotency key | `IDEMPOTENCY#<org>#<key>` | `IDEMPOTENCY` | `fingerprint`, `payment_id`, `first_used_on`, `expires_at` (seconds, the table's time to live) |
//!
//! - A payment and its history share a partition, so one consistent query
//!   reads a history, oldest first, even after the payment is deleted.
//! - Times are microseconds since the Unix epoch (`N`), the domain's
//!   precision. Versions are `N`.
//! - `attributes` is the domain's storage form
//!   ([`StoredAttributes`](payments_domain::StoredAttributes)) as JSON in
//!   one string, and `attributes_format` the format it was written in
//!   (absent on release 1's items: format 0, the same members). Every
//!   decimal keeps its written scale ("5.00", "2.00000"), and reading
//!   checks shape only, never today's rules, so an item written under
//!   rules since changed reads back exactly. A map of strings would be 13%
//!   smaller but bills the same units (see below); the table never filters
//!   or projects inside a payment.
//! - Deleting leaves a tombstone: the id stays taken for ever, and
//!   the history stays scoped to its organisation. The tombstone drops the
//!   attributes (the deletion event has them) and the index keys.
//! - An idempotency key names the payment it created; the payment as first
//!   created is that payment's creation event (`EVENT#000…0`), so the key
//!   item stays small and the replay needs no copy. A key is in force for
//!   the service's retention after `first_used_on`; a claim may replace
//!   an expired one (the condition compares `first_used_on`), so expiry
//!   never waits for DynamoDB's time to live, which deletes expired items
//!   within days. Release 1's key items have no `first_used_on`: they
//!   expire one retention after their payment's creation event.
//! - The global secondary index `GSI1` (`GSI1PK = ORG#<org>`,
//!   `GSI1SK = <created_on micros, 19 digits>#<id>`, projection ALL) lists an
//!   organisation's payments in `(created_on, id)` order. Only live payments
//!   carry its keys, so the index is sparse: deleted payments and other
//!   items never appear in it. A [`PageCursor`](payments_ports::PageCursor)
//!   `{created_on, id}` is exactly a `GSI1SK`.
//! - The global secondary index `GSI2` (`GSI1PK`, `GSI2SK = <reported_on
//!   micros + 2⁶³, 20 digits>#<id>`, projection ALL) holds the same live
//!   payments by when they count in a report (`Payment::reported_on`: the
//!   payment timestamp, else creation, which may be before 1970, hence the
//!   shift). Reports and exports read a period as one key range of it.
//!
//! # Operations
//!
//! Every operation is a key lookup, a query, or a transaction; nothing
//! scans but `migrate`'s fill of `GSI2`. Reads of single items and histories are strongly consistent.
//!
//! - **create**: `TransactWriteItems` of the payment (`attribute_not_exists(PK)`)
//!   and its event. A failed payment condition is `AlreadyExists`, also for
//!   a deleted payment's id.
//! - **idempotent create**: the same with the key item first
//!   (`attribute_not_exists(PK)`, `ReturnValuesOnConditionCheckFailure =
//!   ALL_OLD`). A failed key condition returns the stored key with the
//!   cancellation: another fingerprint is `IdempotencyKeyReused`, the same
//!   one reads the creation event (consistent `GetItem`) and is `Replayed`.
//!   The key is checked before the payment id, so a retry carrying its own
//!   payment id is a replay, not a conflict.
//! - **get**: consistent `GetItem`; a tombstone or another organisation's
//!   payment is `None`.
//! - **list**: `Query` on `GSI1`, `GSI1PK = :org` and, after a cursor,
//!   `GSI1SK > :after` (or `<` with `ScanIndexForward = false` for newest
//!   first), `Limit = size + 1` to know whether a next page exists. The
//!   cost is one page whatever the organisation holds.
//! - **update / delete**: `TransactWriteItems` of the new payment item (or
//!   tombstone) with `organisation_id = :org AND version = :expected AND
//!   status = live`, `ALL_OLD` on failure, and the event
//!   (`attribute_not_exists(PK)`). A failed condition is told apart from
//!   the returned item: none, deleted or another organisation's is
//!   `NotFound`, another version is `VersionConflict { expected, actual }`.
//! - **events**: consistent `Query` of one page, `PK = PAYMENT#<id> AND
//!   SK BETWEEN EVENT#<after + 1> AND EVENT#<after + size + 1>` (versions
//!   go up by one, so that range is the page and its look-ahead), so a
//!   page costs the same at version 9,900 as at 0; none, or another
//!   organisation's, is `NotFound`.
//! - **ping**: `DescribeTable`.
//!
//! Failures: a transaction cancelled for `TransactionConflict` (another
//! writer on the same item) is sent again up to 4 times with backoff, so
//! the caller gets the decided outcome; throttling, conflicts that last,
//! 5xx, timeouts and connection failures (after the SDK's own 3 attempts)
//! are `Unavailable`; items that do not read back are `Corrupt`; the rest
//! is `Unexpected`. SDK errors are kept only as boxed sources.
//!
//! Listing reads a global secondary index, which DynamoDB keeps eventually
//! consistent: a payment created or deleted a moment ago (typically well
//! under a second) may be missing from, or still in, a page. Reads of one
//! payment and of histories are always current.
//!
//! # Sizes and costs
//!
//! Measured on the Form3 sample payment (`cargo test -p adapter-dynamodb
//! item_sizes -- --nocapture`), by DynamoDB's rules (attribute name bytes
//! plus value bytes; numbers one byte per two significant digits, plus one):
//!
//! | item | bytes | write units | consistent read units |
//! | --- | ---: | ---: | ---: |
//! | payment (live) | 1,635 | 2 | 1 |
//! | creation event | 1,504 | 2 | 1 |
//! | update event | 1,489 | 2 | 1 |
//! | idempotency key (40-char key, 64-char fingerprint) | 263 | 1 | 1 |
//! | tombstone | 164 | 1 | 1 |
//!
//! The attributes JSON is 1,282 of the payment's bytes; the same attributes
//! as a DynamoDB map of strings would make the item 1,432 bytes instead of
//! 1,635: the same 2 write units and 1 read unit.
//!
//! Requests and units per operation for that payment (on-demand: write
//! request units are 1 per KB, doubled in transactions; read units 1 per
//! 4 KB for consistent reads; index writes are standard writes):
//!
//! | operation | requests | units |
//! | --- | --- | --- |
//! | create | 1 `TransactWriteItems` (payment, event) | 12 WRU: 2×2 + 2×2 transactional, 2 for each index entry |
//! | idempotent create | 1 `TransactWriteItems` (key, payment, event) | 14 WRU |
//! | replay (same key and request) | 1 cancelled `TransactWriteItems`, 1 `Query` (the creation event) | at most 14 WRU for the attempt, 1 RRU |
//! | replay of a body today's rules refuse | 1 `GetItem` (the key), 1 `Query` (the creation event) | 2 RRU |
//! | same key, other request | 1 cancelled `TransactWriteItems` | at most 14 WRU |
//! | get | 1 `GetItem`, consistent | 1 RRU |
//! | list, page of *n* | 1 `Query` on `GSI1`, `Limit` *n* + 1 | ½ RRU per 4 KB read: 4 RRU for 20, 19.5 RRU for 100 |
//! | period read (export), *n* payments | 1 `Query` on `GSI2` per 1,000 (`Limit` 1,001) | ½ RRU per 4 KB read |
//! | report over *n* payments | ⌈*n* / 1,000⌉ `Query`s on `GSI2`, summed in the service | ½ RRU per 4 KB read: about 200 RRU per 1,000 Form3 payments |
//! | update | 1 `TransactWriteItems` (payment, event) | 12 WRU (a replaced item bills the larger of old and new) |
//! | delete | 1 `TransactWriteItems` (tombstone, event) | 12 WRU: 4 + 4, 2 to remove each index entry |
//! | stale update or delete | 1 cancelled `TransactWriteItems` (the stored item comes back with it) | at most 12 WRU |
//! | update or delete of an unknown payment | 1 cancelled `TransactWriteItems`, 1 `GetItem` | at most 12 WRU, 1 RRU |
//! | events, page of *n* | 1 `Query`, consistent, *n* + 1 events | 1 RRU per 4 KB: 1 for up to 2 events, 2 for up to 5, 8 for 20 |
//! | ping | 1 `DescribeTable` | none (control plane) |
//!
//! A cancelled transaction is counted at the units of the writes it
//! attempted, as the upper bound of what DynamoDB bills for it.
//!
//! All of an organisation's payments share one index partition
//! (`ORG#<org>`), which DynamoDB serves at up to 1,000 writes per second:
//! ample for one organisation's payments, but the ceiling if one
//! organisation ever needs more.

mod config;
mod errors;
mod item;
mod keys;
mod repository;
#[cfg(test)]
mod size;
mod table;

pub use config::{DynamoConfig, ATTEMPT_TIMEOUT, CALL_TIMEOUT, DEFAULT_REGION, DEFAULT_TABLE_NAME};
pub use repository::DynamoRepository;
pub use table::{
    create_table_if_missing, TableSetting, TableSetup, TableSetupError, UnimplementedSettings,
    ACTIVE_WAIT,
};
