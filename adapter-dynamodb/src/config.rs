//! Where the table is: read from the environment, turned into an SDK client.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;

/// The table name used when `PAYMENTS_DYNAMODB_TABLE` is unset.
pub const DEFAULT_TABLE_NAME: &str = "payments";
/// The region used when `AWS_REGION` is unset.
pub const DEFAULT_REGION: &str = "eu-west-1";

/// How long one attempt of a data-plane call may take. DynamoDB answers in
/// milliseconds; an attempt still open after this is better retried (the
/// SDK does, with backoff) than waited for by a client behind API Gateway's
/// 29 s limit.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one call may take, retries included, before it fails as
/// `Unavailable`.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the payments table is. Credentials are not here: they come from the
/// standard AWS chain (environment, profile, web identity, the Lambda or
/// container role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoConfig {
    /// The table (`PAYMENTS_DYNAMODB_TABLE`, default `payments`).
    pub table_name: String,
    /// The AWS region (`AWS_REGION`, default `eu-west-1`).
    pub region: String,
    /// Another endpoint, such as a local emulator
    /// (`PAYMENTS_DYNAMODB_ENDPOINT`); `None` for AWS itself.
    pub endpoint_url: Option<String>,
}

impl DynamoConfig {
    /// Reads the configuration from the process environment. Empty
    /// variables count as unset.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its
    /// value), so callers and tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        Self {
            table_name: set("PAYMENTS_DYNAMODB_TABLE")
                .unwrap_or_else(|| DEFAULT_TABLE_NAME.to_owned()),
            region: set("AWS_REGION").unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            endpoint_url: set("PAYMENTS_DYNAMODB_ENDPOINT"),
        }
    }

    /// Builds an SDK client for this configuration: the credential chain,
    /// the region, the endpoint when set, standard retries (3 attempts with
    /// backoff) and the timeouts above. Build it once per process (for
    /// Lambda: before the handler loop) and share it; it is cheap to clone.
    pub async fn client(&self) -> Client {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(CALL_TIMEOUT)
                    .build(),
            );
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        Client::new(&loader.load().await)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(variables: &[(&str, &str)]) -> DynamoConfig {
        let variables: HashMap<String, String> = variables
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        DynamoConfig::from_lookup(|name| variables.get(name).cloned())
    }

    #[test]
    fn unset_variables_take_the_defaults() {
        assert_eq!(
            read(&[("PAYMENTS_DYNAMODB_ENDPOINT", "  ")]),
            DynamoConfig {
                table_name: "payments".into(),
                region: "eu-west-1".into(),
                endpoint_url: None,
            }
        );
    }

    #[test]
    fn set_variables_are_used() {
        assert_eq!(
            read(&[
                ("PAYMENTS_DYNAMODB_TABLE", "payments-prod"),
                ("AWS_REGION", "us-east-2"),
                ("PAYMENTS_DYNAMODB_ENDPOINT", "http://127.0.0.1:5000"),
            ]),
            DynamoConfig {
                table_name: "payments-prod".into(),
                region: "us-east-2".into(),
                endpoint_url: Some("http://127.0.0.1:5000".into()),
            }
        );
    }
}
