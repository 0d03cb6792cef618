//! Provider verification: the server answers every interaction of the
//! client's pact (`pacts/payments-client-payments.json`) as the client
//! expects. The API runs as `payments serve` runs it — the Router on
//! http-hyper over TCP, on the memory store — and each provider state is
//! set up by a state executor of this test that calls the library's
//! service over the same store: no state-change route exists, in the
//! production Router or anywhere else.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use adapter_memory::MemoryRepository;
use async_trait::async_trait;
use http_api::{request_fingerprint, router, ApiKeys, ApiState};
use pact_models::provider_states::ProviderState;
use pact_verifier::callback_executors::ProviderStateExecutor;
use pact_verifier::{
    verify_provider_async, FilterInfo, NullRequestFilterExecutor, PactSource, ProviderInfo,
    ProviderTransport, VerificationOptions,
};
use payments_domain::{IdempotencyKey, OrganisationId, PaymentAttributesInput, PaymentId, Version};
use payments_ports::{CreatePayment, IdempotencyRequest, PaymentService};
use serde_json::Value;

/// The key the pact's requests carry, and its organisation.
const KEY: &str = "pact-key-organisation-a-000000001";
const ORGANISATION: &str = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb";

fn organisation() -> OrganisationId {
    OrganisationId::parse(ORGANISATION).unwrap()
}

/// The recorder body of the pact's creates, as the verifier sends it (its
/// JSON with members in order of name).
fn gym_body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "amount": "500",
        "currency": "USD",
        "paymentDescription": "Gym",
        "paymentTimestamp": "2024-08-01T12:34:56Z"
    }))
    .unwrap()
}

fn gym() -> PaymentAttributesInput {
    PaymentAttributesInput {
        amount: Some("500".into()),
        currency: Some("USD".into()),
        description: Some("Gym".into()),
        payment_timestamp: Some("2024-08-01T12:34:56Z".into()),
        ..Default::default()
    }
}

/// Sets up the pact's provider states through the service.
struct States {
    service: PaymentService,
}

impl std::fmt::Debug for States {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("States").finish_non_exhaustive()
    }
}

impl States {
    async fn create(
        &self,
        id: Option<PaymentId>,
        attributes: PaymentAttributesInput,
        idempotency: Option<IdempotencyRequest>,
    ) -> anyhow::Result<PaymentId> {
        let created = self
            .service
            .create_payment(CreatePayment {
                organisation_id: organisation(),
                id,
                attributes: attributes
                    .validate()
                    .map_err(|errors| anyhow::anyhow!("{errors:?}"))?,
                idempotency,
            })
            .await?;
        Ok(created.payment.id)
    }

    async fn set_up(&self, state: &str) -> anyhow::Result<()> {
        if state.is_empty() {
            // An interaction without a state: nothing to set up.
        } else if let Some(key) = state.strip_prefix("a payment was recorded with idempotency key ")
        {
            let idempotency = IdempotencyRequest {
                key: IdempotencyKey::parse(key).map_err(anyhow::Error::msg)?,
                fingerprint: request_fingerprint("/payments", &gym_body()),
            };
            self.create(None, gym(), Some(idempotency)).await?;
        } else if state == "organisation A has 3 payments" {
            for _ in 0..3 {
                self.create(None, gym(), None).await?;
            }
        } else if let Some(id) = state
            .strip_prefix("a payment with id ")
            .and_then(|rest| rest.strip_suffix(" at version 2 exists"))
        {
            let id = PaymentId::parse(id).map_err(anyhow::Error::msg)?;
            self.create(Some(id), gym(), None).await?;
            for version in 0..2 {
                let patch = PaymentAttributesInput {
                    reference: Some(format!("change {version}")),
                    ..Default::default()
                };
                self.service
                    .update_payment(organisation(), id, Version::new(version), patch)
                    .await?;
            }
        } else {
            anyhow::bail!("unknown provider state {state:?}");
        }
        Ok(())
    }
}

#[async_trait]
impl ProviderStateExecutor for States {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        provider_state: &ProviderState,
        setup: bool,
        _client: Option<&verifier_reqwest::Client>,
    ) -> anyhow::Result<HashMap<String, Value>> {
        if setup {
            self.set_up(&provider_state.name).await?;
        }
        Ok(HashMap::new())
    }

    fn teardown(&self) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_honours_the_clients_pact() {
    let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
    let mut keys = ApiKeys::new();
    keys.insert(KEY, organisation()).unwrap();
    let app = router(ApiState::new(service.clone(), keys));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = http_hyper::ServeConfig::default();
    tokio::spawn(async move {
        http_hyper::serve(app, listener, std::future::pending(), &config)
            .await
            .unwrap();
    });

    let pact =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pacts/payments-client-payments.json");
    let provider = ProviderInfo {
        name: "payments".into(),
        host: "127.0.0.1".into(),
        transports: vec![ProviderTransport {
            transport: "http".into(),
            port: Some(port),
            path: None,
            scheme: Some("http".into()),
        }],
        ..ProviderInfo::default()
    };
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        coloured_output: false,
        ..VerificationOptions::default()
    };
    let result = verify_provider_async(
        provider,
        vec![PactSource::File(pact.to_string_lossy().into_owned())],
        FilterInfo::None,
        vec![],
        &options,
        None,
        &Arc::new(States { service }),
        None,
    )
    .await
    .unwrap();

    let failed: Vec<&str> = result
        .errors
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        result.result && failed.is_empty(),
        "failed interactions: {failed:?}\n{}",
        result.output.join("\n")
    );
    assert_eq!(
        result.interaction_results.len(),
        7,
        "every interaction verified"
    );
}
