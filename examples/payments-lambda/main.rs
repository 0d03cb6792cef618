//! `payments-lambda`: the AWS Lambda bootstrap (custom runtime,
//! `provided.al2023`, handler `bootstrap`). Everything slow is done once per
//! execution environment, before the first event: configuration, API keys,
//! the store and its SDK client or connection pool. Then it polls the Lambda
//! runtime API for events from API Gateway (REST or HTTP API) or an ALB and
//! answers each with the payments Router (see the `http-lambda` crate).
//!
//! | variable | what | default |
//! | --- | --- | --- |
//! | `PAYMENTS_STORE` | the store: `dynamodb`, `postgres` or `memory` | `dynamodb` |
//! | `PAYMENTS_API_KEYS_SECRET_ID` | Secrets Manager secret (name or ARN) holding `key:organisation-uuid,...`, read once at init | |
//! | `PAYMENTS_API_KEYS` | the list itself, when no secret is named | one of the two is required: without keys the function refuses to start |
//! | `PAYMENTS_DYNAMODB_TABLE` | the DynamoDB table | `payments` |
//! | `DATABASE_URL` | PostgreSQL, when `PAYMENTS_STORE=postgres` | |
//! | `PAYMENTS_IDEMPOTENCY_TTL` | how long an idempotency key stays in force after its first use (`86400`, `24h`, `7d`); the table's time to live deletes expired keys | `24h` |
//! | `PAYMENTS_CURRENCY_ALIASES` | legacy currency names the recorder route accepts, `Dollars=USD,Pounds=GBP` | none |
//! | `PAYMENTS_LOG` | log filter | `AWS_LAMBDA_LOG_LEVEL`, else `info` |
//! | `PAYMENTS_METRICS_NAMESPACE` | the CloudWatch namespace of the EMF metrics | `payments` |
//!
//! Logs are JSON lines on stdout, which Lambda sends to CloudWatch Logs;
//! so are the metrics, as Embedded Metric Format lines after each event
//! (`PAYMENTS_METRICS_NAMESPACE`: requests, latency and store calls, the names
//! `payments serve` gives them at `/metrics`), which the template's alarms
//! read.
//! Unlike `payments serve`, it never makes up an API key: a function with
//! no keys would refuse every request, so it fails its init instead and the
//! deployment shows the error.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::ValueEnum as _;
use http_api::{router, ApiKeys, ApiState};
use payments_examples::store::{self, StoreKind};
use payments_examples::{currency, idempotency, keys};
use payments_ports::PaymentService;

/// The store when `PAYMENTS_STORE` is unset: the function's table.
const DEFAULT_STORE: &str = "dynamodb";

// One event at a time per execution environment: worker threads would only
// add start-up time. Errors are logged as JSON lines, not printed, so
// CloudWatch shows one structured line for a failed init.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    http_lambda::init_json_logging();
    let namespace = set("PAYMENTS_METRICS_NAMESPACE")
        .unwrap_or_else(|| http_lambda::emf::DEFAULT_NAMESPACE.to_owned());
    if let Err(error) = http_lambda::init_emf_metrics(namespace.trim()) {
        tracing::warn!(%error, "no metrics: another recorder was installed first");
    }
    let state = match init().await {
        Ok(state) => state,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "refusing to start");
            return ExitCode::FAILURE;
        }
    };
    match http_lambda::run(router(state)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime API failed");
            ExitCode::FAILURE
        }
    }
}

/// Configuration, keys and the store, built once.
async fn init() -> anyhow::Result<ApiState> {
    let kind = store_kind()?;
    let keys = required_keys().await?;
    let repository = store::open(kind)
        .await
        .with_context(|| format!("cannot open the {kind} store"))?;
    tracing::info!(store = %kind, keys = keys.len(), "initialised");
    if keys.with_plans() > 0 {
        tracing::warn!(
            keys_with_plans = keys.with_plans(),
            "API keys carry usage plans of their own, which this front end does not apply: \
             API Gateway's usage plans limit callers of the Lambda function"
        );
    }
    let service = PaymentService::with_system_clock(repository)
        .with_key_retention(idempotency::retention_from_env()?);
    Ok(ApiState::new(service, keys).with_currency_aliases(currency::aliases_from_env()?))
}

/// The variable `name`, when set to something other than blanks (as
/// written: the callers trim it).
fn set(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// `PAYMENTS_STORE`, or [`DEFAULT_STORE`].
fn store_kind() -> anyhow::Result<StoreKind> {
    let name = set("PAYMENTS_STORE").unwrap_or_else(|| DEFAULT_STORE.to_owned());
    StoreKind::from_str(name.trim(), true).map_err(|_| {
        let known: Vec<String> = StoreKind::value_variants()
            .iter()
            .filter_map(clap::ValueEnum::to_possible_value)
            .map(|value| value.get_name().to_owned())
            .collect();
        anyhow::anyhow!(
            "PAYMENTS_STORE={name:?} is not a store this build has (it has: {})",
            known.join(", ")
        )
    })
}

/// The keys, from the Secrets Manager secret `PAYMENTS_API_KEYS_SECRET_ID`
/// (how the template deploys it: the keys never sit in the function's
/// configuration) or else from `PAYMENTS_API_KEYS`. Neither is an error
/// here, never a generated key.
async fn required_keys() -> anyhow::Result<ApiKeys> {
    if let Some(secret_id) = set("PAYMENTS_API_KEYS_SECRET_ID") {
        return keys::from_secrets_manager(secret_id.trim()).await;
    }
    anyhow::ensure!(
        set("PAYMENTS_API_KEYS").is_some(),
        "neither PAYMENTS_API_KEYS_SECRET_ID nor PAYMENTS_API_KEYS is set: a Lambda function never makes up an API key"
    );
    let keys = keys::from_env()?;
    anyhow::ensure!(!keys.is_empty(), "PAYMENTS_API_KEYS holds no key");
    Ok(keys)
}
