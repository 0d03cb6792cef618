//! API keys from `PAYMENTS_API_KEYS`, or one made up for a new organisation.

use http_api::ApiKeys;
use payments_domain::OrganisationId;

/// `PAYMENTS_API_KEYS="key1:org-uuid1,key2:org-uuid2"`. When unset, one
/// random key for a new organisation is made and shown once on stderr (not
/// in the log) so a newcomer can call the API at once.
///
/// # Errors
/// When `PAYMENTS_API_KEYS` is set but malformed.
pub fn from_env() -> anyhow::Result<ApiKeys> {
    match std::env::var("PAYMENTS_API_KEYS") {
        Ok(list) if !list.trim().is_empty() => {
            let keys = ApiKeys::parse(&list)
                .map_err(|error| anyhow::anyhow!("PAYMENTS_API_KEYS: {error}"))?;
            tracing::info!(keys = keys.len(), "API keys loaded");
            Ok(keys)
        }
        _ => {
            let (key, organisation) = generate();
            let mut keys = ApiKeys::new();
            keys.insert(&key, organisation)?;
            eprintln!("No PAYMENTS_API_KEYS set: made one key for a new organisation.");
            eprintln!("  organisation: {organisation}");
            eprintln!("  x-api-key:    {key}");
            Ok(keys)
        }
    }
}

/// The same `key:organisation-uuid,...` list, read from the AWS Secrets
/// Manager secret `secret_id` (name or ARN) with the standard AWS
/// credential chain. For the Lambda function: read once at init, so the
/// keys never sit in the function's configuration.
///
/// # Errors
/// When the secret cannot be read, has no string value, or does not hold a
/// valid list. The messages never include the secret's value.
pub async fn from_secrets_manager(secret_id: &str) -> anyhow::Result<ApiKeys> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let secret = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot read the API keys secret {secret_id:?}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(error)
            )
        })?;
    let list = secret
        .secret_string()
        .ok_or_else(|| anyhow::anyhow!("the API keys secret {secret_id:?} has no string value"))?;
    let keys = ApiKeys::parse(list)
        .map_err(|error| anyhow::anyhow!("the API keys secret {secret_id:?}: {error}"))?;
    anyhow::ensure!(
        !keys.is_empty(),
        "the API keys secret {secret_id:?} holds no key"
    );
    Ok(keys)
}

#[allow(clippy::disallowed_methods)] // a development key and organisation, not domain ids
fn generate() -> (String, OrganisationId) {
    let key = format!(
        "pk_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    (key, OrganisationId::from_uuid(uuid::Uuid::new_v4()))
}
