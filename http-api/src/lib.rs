//! The payments REST API as one axum [`Router`]: both wire contracts, the
//! operations routes, API keys, idempotency, request ids, problem+json
//! errors and access logs. Transport-agnostic: `http-hyper` serves it over
//! TCP, `http-lambda` under AWS Lambda, and tests call it with `oneshot`.
//!
//! ```
//! use std::sync::Arc;
//! use adapter_memory::MemoryRepository;
//! use http_api::{router, ApiKeys, ApiState};
//! use payments_ports::PaymentService;
//!
//! let mut keys = ApiKeys::new();
//! keys.insert("a-long-secret-api-key", "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb".parse().unwrap()).unwrap();
//! let app: axum::Router = router(ApiState::new(
//!     PaymentService::with_system_clock(Arc::new(MemoryRepository::new())),
//!     keys,
//! ));
//! # let _ = app;
//! ```
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/payments` | create (client-chosen id; 409 on a taken id) |
//! | `GET /v1/payments` | list (`page[size]` 1–100, `page[after]`, `sort`, `filter[...]`: see [`FilterNames`]) |
//! | `GET /v1/payments/{id}` | fetch (`ETag` = version) |
//! | `PATCH /v1/payments/{id}` | partial update at a version (409 if stale) |
//! | `DELETE /v1/payments/{id}?version=N` | delete (204) |
//! | `GET /v1/payments/{id}/events` | history, also after delete (`page[size]`, `page[after]`) |
//! | `POST /payments` | record a payment (recorder contract) |
//! | `GET /payments`, `GET /payments/{id}` | read records back (the same paging and filters, camelCase where the record has the member) |
//! | `GET /health`, `/ready`, `/openapi.json` | operations (no API key) |
//!
//! The OpenAPI 3.1 document of all of it ([`openapi_json`], served at
//! `GET /openapi.json`) is generated from the same route table the Router
//! is built from, with schemas from the types that parse the bodies and
//! the domain's rules.
//!
//! Links and `Location` headers are root-relative (`/v1/payments/...`);
//! when the Router is reached below a prefix (an API Gateway stage, a
//! `.nest("/api", ...)` in your app), put a [`BasePath`] extension on each
//! request and every link starts with it.
//!
//! Every payment route needs `x-api-key`; the key's organisation scopes
//! every read and write (another organisation's payment is a 404). The
//! operations routes are open so load balancers and orchestrators can probe
//! them; they reveal nothing about payments.
//!
//! What the Router adds around every route, outermost first:
//!
//! | layer | what |
//! | --- | --- |
//! | `Cache-Control: no-store`, `X-Content-Type-Options: nosniff` | on every response |
//! | request id | `x-request-id` kept from the request when sane, made otherwise; on every response and in every problem |
//! | trace context | the caller's W3C `traceparent` continued (or a new trace), a `request` span of it, and `traceparent` on the response naming that span ([`trace_context`]) |
//! | access log | one `payments::access` line per request: id, method, route, status, latency |
//! | usage plans | only with [`ApiState::with_usage_plans`]: per-key throttle and daily quota, per-address throttle of keyless requests; 429 `/problems/too-many-requests` with `Retry-After`, and `RateLimit-Policy` / `RateLimit` on every limited response ([`UsagePlans`]) |
//! | body limit | bodies over [`BODY_LIMIT`] are a 413 |
//! | problem fallbacks | unknown route 404, wrong method 405, as problem+json |
//!
//! Without usage plans (the Lambda front end, where API Gateway's usage
//! plan does this) the usage plan layer is not there at all.

use std::sync::Arc;

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;
use payments_ports::PaymentService;

mod access_log;
mod base_path;
mod body;
mod currency_aliases;
mod edge;
mod errors;
mod filters;
mod form3;
mod idempotency;
pub mod json;
mod keys;
mod objects_only;
mod openapi;
mod operations;
mod pagination;
mod path_id;
mod payment_response;
mod problem;
mod recorder;
pub mod reports;
mod request_id;
pub mod trace_context;
mod usage_plan;

pub use access_log::{DURATION as REQUEST_DURATION_METRIC, REQUESTS as REQUESTS_METRIC};
pub use base_path::BasePath;
pub use currency_aliases::CurrencyAliases;
pub use filters::Names as FilterNames;
pub use form3::PaymentResource;
pub use idempotency::{request_fingerprint, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
pub use keys::{ApiKeys, ApiKeysError, Caller, API_KEY};
pub use openapi::json as openapi_json;
pub use problem::{FieldProblem, Problem, PROBLEM_JSON, PROBLEM_TYPES};
pub use request_id::{is_kept_request_id, REQUEST_ID};
pub use usage_plan::{
    Throttle, UsagePlan, UsagePlanError, UsagePlans, RATELIMIT, RATELIMIT_POLICY,
};

/// The largest request body the API reads (64 KiB): a full Form3 payment is
/// about 2 KiB. Larger bodies get 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler needs: the use cases and the API keys; and what the
/// Router limits, if anything. One `Arc`: the Router clones the state for
/// every request (with the handler that holds it), and one reference count
/// is cheaper to move than one per part.
#[derive(Clone)]
pub struct ApiState(Arc<StateParts>);

/// The parts of [`ApiState`], private to this crate (the type is public
/// only because `ApiState` dereferences to it).
#[derive(Clone)]
pub struct StateParts {
    service: PaymentService,
    keys: Arc<ApiKeys>,
    currency_aliases: Arc<CurrencyAliases>,
    usage_limits: Option<Arc<usage_plan::Limits>>,
}

impl std::ops::Deref for ApiState {
    type Target = StateParts;

    fn deref(&self) -> &StateParts {
        &self.0
    }
}

impl ApiState {
    /// State over a service and the known API keys, with no currency
    /// aliases.
    pub fn new(service: PaymentService, keys: ApiKeys) -> Self {
        Self(Arc::new(StateParts {
            service,
            keys: Arc::new(keys),
            currency_aliases: Arc::new(CurrencyAliases::new()),
            usage_limits: None,
        }))
    }

    /// The same state, accepting `aliases` for currencies on the recorder
    /// route (`POST /payments`).
    #[must_use]
    pub fn with_currency_aliases(mut self, aliases: CurrencyAliases) -> Self {
        Arc::make_mut(&mut self.0).currency_aliases = Arc::new(aliases);
        self
    }

    /// The same state, holding every API key to `plans`' default plan,
    /// or to the key's own where it has one (limit by limit: what the
    /// key's plan leaves unset is the default's), and throttling requests
    /// without a known key per client address with the default throttle.
    /// Counts start afresh with each call.
    ///
    /// When nothing ends up limited (no default limit, no key with a plan)
    /// the Router is exactly as without this call: no layer, no fields.
    #[must_use]
    pub fn with_usage_plans(mut self, plans: UsagePlans) -> Self {
        let limits = usage_plan::Limits::new(plans, &self.keys).map(Arc::new);
        Arc::make_mut(&mut self.0).usage_limits = limits;
        self
    }
}

/// Every route of the API, each handler with its operation's
/// documentation: the Router and the OpenAPI document are both built from
/// this, so a route cannot be served undocumented or documented unserved.
/// A path's methods are in the order its 405 `Allow` header lists them.
///
/// With `described` false (the Router that serves) each description is
/// left out: it would build every schema on each call only to throw them
/// away (a first [`router`] took 1.6 ms with them, 0.27 ms without, in a
/// release build here). The document is built once, when first served.
pub(crate) fn routes(described: bool) -> ApiRouter<ApiState> {
    use openapi::operations as doc;
    let docs = |describe: doc::Describe| {
        if described {
            describe
        } else {
            doc::undescribed
        }
    };
    ApiRouter::new()
        .api_route(
            "/v1/payments",
            get_with(
                payment_response::list::<form3::PaymentResource<'static>>,
                docs(doc::list_payments),
            )
            .post_with(form3::create, docs(doc::create_payment)),
        )
        .api_route(
            "/v1/payments/{id}",
            get_with(form3::fetch, docs(doc::fetch_payment))
                .patch_with(form3::update, docs(doc::update_payment))
                .delete_with(form3::delete, docs(doc::delete_payment)),
        )
        .api_route(
            "/v1/payments/{id}/events",
            get_with(form3::events, docs(doc::payment_history)),
        )
        .api_route(
            "/payments",
            get_with(
                payment_response::list::<recorder::Record<'static>>,
                docs(doc::list_records),
            )
            .post_with(recorder::record, docs(doc::record_payment)),
        )
        .api_route(
            "/payments/{id}",
            get_with(recorder::fetch, docs(doc::fetch_record)),
        )
        .api_route(
            reports::PATH,
            get_with(reports::payments, docs(doc::report_payments)),
        )
        .api_route("/health", get_with(operations::health, docs(doc::health)))
        .api_route("/ready", get_with(operations::ready, docs(doc::ready)))
        .api_route(
            "/openapi.json",
            get_with(openapi::serve, docs(doc::openapi)),
        )
}

/// The API as one Router.
pub fn router(state: ApiState) -> Router {
    let routes: Router<ApiState> = routes(false).into();
    let routes = routes
        .fallback(|| async { Problem::not_found("no such route") })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .route_layer(access_log::RecordRouteLayer)
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    // Inside the request id and the access log, so a refused request is
    // logged and answered with its id like any other; outside routing and
    // the fallbacks, so it reaches no handler and an unknown route is
    // counted too (its access line says `unmatched`, as routing never ran).
    let routes = match &state.usage_limits {
        Some(limits) => routes.layer(from_fn_with_state(limits.clone(), usage_plan::middleware)),
        None => routes,
    };
    routes.layer(edge::EdgeLayer::default()).with_state(state)
}
