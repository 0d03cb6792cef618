//! Creating the table (the `payments migrate --store dynamodb` step).

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, SseSpecification, SseType, TableDescription, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use payments_ports::DriverError;

use crate::item::{self, StoredPayment};
use crate::keys;

/// How long [`create_table_if_missing`] waits for a new table to become
/// ACTIVE. DynamoDB usually takes seconds; minutes mean something is wrong.
pub const ACTIVE_WAIT: Duration = Duration::from_secs(300);

/// Why the table could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum TableSetupError {
    /// DynamoDB refused or failed a request (permissions, limits, network).
    #[error("DynamoDB {operation} on table {table:?} failed")]
    Request {
        /// The API call that failed.
        operation: &'static str,
        /// The table.
        table: String,
        /// The SDK's error.
        #[source]
        source: DriverError,
    },
    /// The endpoint does not implement an operation the setup needs (an
    /// emulator answering `UnknownOperationException`).
    #[error("the DynamoDB endpoint does not implement {operation} (needed on table {table:?})")]
    Unimplemented {
        /// The API call the endpoint does not know.
        operation: &'static str,
        /// The table.
        table: String,
        /// The SDK's error.
        #[source]
        source: DriverError,
    },
    /// The table did not become ACTIVE (with its index) in time.
    #[error("table {table:?} was not ACTIVE after {waited:?}")]
    NotActive {
        /// The table.
        table: String,
        /// How long it was waited for.
        waited: Duration,
    },
    /// A table of that name exists but is not laid out as this adapter
    /// needs; it is left untouched.
    #[error("table {table:?} exists but does not have the payments design: {reason}")]
    Incompatible {
        /// The table.
        table: String,
        /// What differs.
        reason: String,
    },
}

/// Whether a setting the endpoint does not implement may be left out.
///
/// Emulators (DynamoDB Local, moto) implement the data plane and some of
/// the control plane: DynamoDB Local answers `UpdateContinuousBackups`
/// with `UnknownOperationException`. Against AWS every setting matters (a
/// table without point-in-time recovery is a table without backups), so
/// leaving one out is allowed only for a custom endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnimplementedSettings {
    /// Every setting is applied, or the setup fails (AWS).
    Fail,
    /// A setting whose operation the endpoint does not know is skipped and
    /// reported in [`TableSetup::skipped`] (a custom endpoint, such as an
    /// emulator).
    Skip,
}

impl UnimplementedSettings {
    /// [`Skip`](Self::Skip) when a custom endpoint is configured,
    /// [`Fail`](Self::Fail) for AWS itself.
    pub fn for_endpoint(endpoint_url: Option<&str>) -> Self {
        if endpoint_url.is_some() {
            Self::Skip
        } else {
            Self::Fail
        }
    }
}

/// A table setting applied after the table exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableSetting {
    /// Continuous backups with point-in-time recovery.
    PointInTimeRecovery,
    /// Time to live on `expires_at`, which deletes expired idempotency keys.
    TimeToLive,
}

impl std::fmt::Display for TableSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PointInTimeRecovery => "point-in-time recovery",
            Self::TimeToLive => "time to live",
        })
    }
}

/// What [`create_table_if_missing`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSetup {
    /// The settings the endpoint does not implement, left out (only ever
    /// non-empty with [`UnimplementedSettings::Skip`]).
    pub skipped: Vec<TableSetting>,
    /// Whether this setup added the period index (`GSI2`) to an existing
    /// table.
    pub added_period_index: bool,
    /// How many live payments this setup put into the period index: those
    /// written before it existed, or since by a release that did not know
    /// it.
    pub filled: usize,
}

/// The error code of an operation the endpoint does not implement.
const UNKNOWN_OPERATION: &str = "UnknownOperationException";

/// Creates the payments table unless it exists, waits until it and its
/// index are ACTIVE, then makes sure point-in-time recovery is on and
/// time to live deletes expired idempotency keys. Safe to run again and
/// concurrently.
///
/// A new table has on-demand billing (no capacity to plan, nothing to
/// throttle but the per-partition limits), server-side encryption with the
/// AWS managed KMS key, deletion protection, the `GSI1` listing index and
/// the `GSI2` period index, both projecting all attributes (so a page is
/// one query, with no fetch per payment). An existing table is checked for
/// the key schema and the listing index and otherwise left as it is (its
/// billing and encryption are the owner's choice); the period index is
/// added when it is missing, then every live payment not yet in it is put
/// in it (a scan of the table, on every run: see
/// [`TableSetup::filled`]); point-in-time recovery and time to live are
/// switched on.
///
/// An operation the endpoint answers with `UnknownOperationException` is
/// skipped when `unimplemented` is [`UnimplementedSettings::Skip`], and
/// named in the result so the caller can warn; with
/// [`UnimplementedSettings::Fail`] it fails the setup.
///
/// # Errors
/// [`TableSetupError::Incompatible`] when a table of that name has another
/// key schema, lacks the index, or has time to live on another attribute;
/// [`TableSetupError::NotActive`] after [`ACTIVE_WAIT`];
/// [`TableSetupError::Request`] when a call fails.
pub async fn create_table_if_missing(
    client: &Client,
    table_name: &str,
    unimplemented: UnimplementedSettings,
) -> Result<TableSetup, TableSetupError> {
    if describe(client, table_name).await?.is_none() {
        create(client, table_name).await?;
    }
    let mut table = wait_until_active(client, table_name).await?;
    let mut setup = TableSetup::default();
    let has_period_index =
        check_design(&table).map_err(|reason| incompatible(table_name, reason))?;
    if !has_period_index {
        add_period_index(client, &table, table_name).await?;
        table = wait_until_active(client, table_name).await?;
        check_design(&table).map_err(|reason| incompatible(table_name, reason))?;
        setup.added_period_index = true;
    }
    setup.filled = fill_period_index(client, table_name).await?;
    let settings = [
        (
            TableSetting::PointInTimeRecovery,
            enable_point_in_time_recovery(client, table_name).await,
        ),
        (
            TableSetting::TimeToLive,
            enable_time_to_live(client, table_name).await,
        ),
    ];
    for (setting, applied) in settings {
        match applied {
            Ok(()) => {}
            Err(TableSetupError::Unimplemented { .. })
                if unimplemented == UnimplementedSettings::Skip =>
            {
                setup.skipped.push(setting);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(setup)
}

fn incompatible(table: &str, reason: String) -> TableSetupError {
    TableSetupError::Incompatible {
        table: table.to_owned(),
        reason,
    }
}

async fn describe(
    client: &Client,
    table_name: &str,
) -> Result<Option<TableDescription>, TableSetupError> {
    match client.describe_table().table_name(table_name).send().await {
        Ok(output) => Ok(output.table),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(DescribeTableError::is_resource_not_found_exception) =>
        {
            Ok(None)
        }
        Err(error) => Err(request_failed("DescribeTable", table_name, error)),
    }
}

async fn create(client: &Client, table_name: &str) -> Result<(), TableSetupError> {
    let created = create_request(client, table_name)?.send().await;
    match created {
        Ok(_) => Ok(()),
        // Another migration created it meanwhile: as good as done.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(CreateTableError::is_resource_in_use_exception) =>
        {
            Ok(())
        }
        Err(error) => Err(request_failed("CreateTable", table_name, error)),
    }
}

/// The `CreateTable` request of the payments design (apart so a test can
/// read the settings an emulator does not report, such as encryption).
fn create_request(
    client: &Client,
    table_name: &str,
) -> Result<CreateTableFluentBuilder, TableSetupError> {
    let build = |error| request_failed("CreateTable", table_name, error);
    let string_attribute = |name: &str| key_attribute(name).map_err(build);
    let key = |name: &str, kind| key_element(name, kind).map_err(build);
    let listing_index = organisation_index(keys::GSI1, keys::GSI1SK).map_err(build)?;
    let period_index = organisation_index(keys::GSI2, keys::GSI2SK).map_err(build)?;
    Ok(client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(keys::PK)?)
        .attribute_definitions(string_attribute(keys::SK)?)
        .attribute_definitions(string_attribute(keys::GSI1PK)?)
        .attribute_definitions(string_attribute(keys::GSI1SK)?)
        .attribute_definitions(string_attribute(keys::GSI2SK)?)
        .key_schema(key(keys::PK, KeyType::Hash)?)
        .key_schema(key(keys::SK, KeyType::Range)?)
        .global_secondary_indexes(listing_index)
        .global_secondary_indexes(period_index)
        .sse_specification(
            SseSpecification::builder()
                .enabled(true)
                .sse_type(SseType::Kms)
                .build(),
        )
        .deletion_protection_enabled(true))
}

/// Polls DescribeTable with a growing delay. The SDK's waiter starts at 20 s
/// between polls, far slower than a new on-demand table (or an emulator).
async fn wait_until_active(
    client: &Client,
    table_name: &str,
) -> Result<TableDescription, TableSetupError> {
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        if let Some(table) = describe(client, table_name).await? {
            let indexes_active = table
                .global_secondary_indexes()
                .iter()
                .all(|index| index.index_status() == Some(&IndexStatus::Active));
            if table.table_status() == Some(&TableStatus::Active) && indexes_active {
                return Ok(table);
            }
        }
        if started.elapsed() >= ACTIVE_WAIT {
            return Err(TableSetupError::NotActive {
                table: table_name.to_owned(),
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Checks the key schema and the listing index, and the period index when
/// there is one; says whether there is.
fn check_design(table: &TableDescription) -> Result<bool, String> {
    let has_keys = |schema: &[KeySchemaElement], hash: &str, range: &str| {
        let named = |kind: KeyType| {
            schema
                .iter()
                .find(|key| key.key_type() == &kind)
                .map(KeySchemaElement::attribute_name)
        };
        named(KeyType::Hash) == Some(hash) && named(KeyType::Range) == Some(range)
    };
    if !has_keys(table.key_schema(), keys::PK, keys::SK) {
        return Err(format!(
            "the key must be {} (hash) and {} (range)",
            keys::PK,
            keys::SK
        ));
    }
    let index = table
        .global_secondary_indexes()
        .iter()
        .find(|index| index.index_name() == Some(keys::GSI1))
        .ok_or_else(|| format!("the global secondary index {} is missing", keys::GSI1))?;
    if !has_keys(index.key_schema(), keys::GSI1PK, keys::GSI1SK) {
        return Err(format!(
            "index {} must be keyed by {} (hash) and {} (range)",
            keys::GSI1,
            keys::GSI1PK,
            keys::GSI1SK
        ));
    }
    let projects_all = |index: &aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription| {
        index
            .projection()
            .and_then(Projection::projection_type)
            .is_some_and(|projection| projection == &ProjectionType::All)
    };
    if !projects_all(index) {
        return Err(format!("index {} must project ALL attributes", keys::GSI1));
    }
    let Some(period) = table
        .global_secondary_indexes()
        .iter()
        .find(|index| index.index_name() == Some(keys::GSI2))
    else {
        return Ok(false);
    };
    if !has_keys(period.key_schema(), keys::GSI1PK, keys::GSI2SK) || !projects_all(period) {
        return Err(format!(
            "index {} must be keyed by {} (hash) and {} (range) and project ALL attributes",
            keys::GSI2,
            keys::GSI1PK,
            keys::GSI2SK
        ));
    }
    Ok(true)
}

/// A string attribute of a key.
fn key_attribute(name: &str) -> Result<AttributeDefinition, BuildError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
}

/// One element of a key schema.
fn key_element(name: &str, kind: KeyType) -> Result<KeySchemaElement, BuildError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
}

/// An index of an organisation's live payments (partition `GSI1PK`)
/// ordered by `sort_key`, every attribute projected: the listing index
/// (`GSI1`, by creation) or the period index (`GSI2`, by `reported_on`).
fn organisation_index(
    index_name: &str,
    sort_key: &str,
) -> Result<GlobalSecondaryIndex, BuildError> {
    GlobalSecondaryIndex::builder()
        .index_name(index_name)
        .key_schema(key_element(keys::GSI1PK, KeyType::Hash)?)
        .key_schema(key_element(sort_key, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
}

/// Adds the period index to a table made before it existed. A table with
/// provisioned capacity gives the new index the listing index's capacity;
/// an on-demand one needs none.
async fn add_period_index(
    client: &Client,
    table: &TableDescription,
    table_name: &str,
) -> Result<(), TableSetupError> {
    let failed = |error| request_failed("UpdateTable", table_name, error);
    let index = organisation_index(keys::GSI2, keys::GSI2SK).map_err(failed)?;
    let listing_capacity = table
        .global_secondary_indexes()
        .iter()
        .find(|index| index.index_name() == Some(keys::GSI1))
        .and_then(|index| index.provisioned_throughput())
        .and_then(|capacity| {
            capacity
                .read_capacity_units()
                .zip(capacity.write_capacity_units())
        })
        .filter(|(read, write)| *read > 0 && *write > 0);
    let mut create = CreateGlobalSecondaryIndexAction::builder()
        .index_name(keys::GSI2)
        .set_key_schema(Some(index.key_schema().to_vec()))
        .set_projection(index.projection().cloned());
    if let Some((read, write)) = listing_capacity {
        create = create.provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map_err(failed)?,
        );
    }
    let attribute = |name: &str| key_attribute(name).map_err(failed);
    let update = client
        .update_table()
        .table_name(table_name)
        .attribute_definitions(attribute(keys::GSI1PK)?)
        .attribute_definitions(attribute(keys::GSI2SK)?)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(create.build().map_err(failed)?)
                .build(),
        )
        .send()
        .await;
    match update {
        Ok(_) => Ok(()),
        // Another migration is adding it (or just did): wait for it.
        Err(error) if error.code() == Some("ResourceInUseException") => Ok(()),
        Err(error) => Err(request_failed("UpdateTable", table_name, error)),
    }
}

/// Puts into the period index every live payment not in it: a scan of the
/// table for payment items with a listing key and no period key, each
/// given its period key with a write conditional on its version (a payment
/// changed meanwhile was written whole by its writer; if that writer did
/// not know the index, the next run fills it). Says how many it filled.
async fn fill_period_index(client: &Client, table_name: &str) -> Result<usize, TableSetupError> {
    let mut filled = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table_name)
            .filter_expression("attribute_exists(#org) AND attribute_not_exists(#period)")
            .expression_attribute_names("#org", keys::GSI1PK)
            .expression_attribute_names("#period", keys::GSI2SK)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|error| request_failed("Scan", table_name, error))?;
        for item in page.items() {
            let Ok(StoredPayment::Live(payment)) = StoredPayment::decode(item) else {
                // Not a live payment this release reads: reads report it.
                continue;
            };
            let written = client
                .update_item()
                .table_name(table_name)
                .set_key(Some(item::payment_key(payment.id)))
                .update_expression("SET #period = :period")
                .condition_expression("#version = :version AND attribute_exists(#org)")
                .expression_attribute_names("#period", keys::GSI2SK)
                .expression_attribute_names("#version", keys::VERSION)
                .expression_attribute_names("#org", keys::GSI1PK)
                .expression_attribute_values(
                    ":period",
                    item::s(keys::period_gsi2sk(payment.reported_on(), payment.id)),
                )
                .expression_attribute_values(":version", item::n(payment.version))
                .send()
                .await;
            match written {
                Ok(_) => filled += 1,
                Err(error) if error.code() == Some("ConditionalCheckFailedException") => {}
                Err(error) => return Err(request_failed("UpdateItem", table_name, error)),
            }
        }
        match page.last_evaluated_key {
            Some(last) => start = Some(last),
            None => return Ok(filled),
        }
    }
}

/// Turns point-in-time recovery on (idempotent). A table created moments
/// ago may answer `ContinuousBackupsUnavailableException` while its backups
/// are set up, so that is retried for a while.
async fn enable_point_in_time_recovery(
    client: &Client,
    table_name: &str,
) -> Result<(), TableSetupError> {
    let specification = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(|error| request_failed("UpdateContinuousBackups", table_name, error))?;
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        let result = client
            .update_continuous_backups()
            .table_name(table_name)
            .point_in_time_recovery_specification(specification.clone())
            .send()
            .await;
        match result {
            Ok(_) => return Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.code() == Some("ContinuousBackupsUnavailableException"))
                    && started.elapsed() < ACTIVE_WAIT =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(error) => return Err(setting_failed("UpdateContinuousBackups", table_name, error)),
        }
    }
}

/// Turns time to live on for `expires_at` unless it is on already (DynamoDB
/// refuses to enable it twice). Time to live on another attribute is a
/// table of another design: it is reported and left alone.
async fn enable_time_to_live(client: &Client, table_name: &str) -> Result<(), TableSetupError> {
    let described = client
        .describe_time_to_live()
        .table_name(table_name)
        .send()
        .await
        .map_err(|error| setting_failed("DescribeTimeToLive", table_name, error))?;
    let current = described.time_to_live_description();
    let status = current.and_then(|ttl| ttl.time_to_live_status());
    let attribute = current.and_then(|ttl| ttl.attribute_name());
    match status {
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            if attribute == Some(keys::EXPIRES_AT) =>
        {
            return Ok(());
        }
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling) => {
            return Err(incompatible(
                table_name,
                format!(
                    "time to live is on attribute {:?}; the payments design needs it on {:?}",
                    attribute.unwrap_or_default(),
                    keys::EXPIRES_AT
                ),
            ));
        }
        _ => {}
    }
    let specification = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(keys::EXPIRES_AT)
        .build()
        .map_err(|error| request_failed("UpdateTimeToLive", table_name, error))?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(|error| setting_failed("UpdateTimeToLive", table_name, error))?;
    Ok(())
}

/// A failed call of a table setting: [`TableSetupError::Unimplemented`]
/// when the endpoint does not know the operation, else a failed request.
fn setting_failed<E>(
    operation: &'static str,
    table: &str,
    error: SdkError<E, HttpResponse>,
) -> TableSetupError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if error.code() == Some(UNKNOWN_OPERATION) {
        TableSetupError::Unimplemented {
            operation,
            table: table.to_owned(),
            source: Box::new(error),
        }
    } else {
        request_failed(operation, table, error)
    }
}

fn request_failed(
    operation: &'static str,
    table: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> TableSetupError {
    TableSetupError::Request {
        operation,
        table: table.to_owned(),
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Region};

    use super::*;

    /// DynamoDB Local accepts the encryption setting but does not report
    /// it, so the request itself is checked here.
    #[test]
    fn a_new_table_is_asked_for_kms_encryption_deletion_protection_and_on_demand_billing() {
        let client = Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-1"))
                .build(),
        );

        let request = create_request(&client, "payments").unwrap();

        assert_eq!(
            request.get_sse_specification(),
            &Some(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .build()
            )
        );
        assert_eq!(request.get_deletion_protection_enabled(), &Some(true));
        assert_eq!(
            request.get_billing_mode(),
            &Some(BillingMode::PayPerRequest)
        );
    }
}
