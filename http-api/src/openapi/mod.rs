//! The OpenAPI 3.1 document, generated from the code: each path and method
//! from the Router (aide's `ApiRouter`, built in [`crate::routes`] with
//! each handler's operation beside it), each schema from the type that
//! reads or writes the body (schemars' `JsonSchema`), and every rule a
//! schema states (digit limits, currencies and their minor units, free
//! text, codes, lengths, problem types, filters, page sizes) from the same
//! constant or predicate the server judges by.
//!
//! `GET /openapi.json` serves [`json`]; `http-api/openapi.json` is a copy
//! for readers and client generators, and a test fails when it differs
//! (`make openapi` writes it anew).

use std::sync::LazyLock;

use aide::generate::in_context;
use aide::openapi::{
    ApiKeyLocation, Components, Header, Info, OpenApi, ReferenceOr, SecurityRequirement,
    SecurityScheme,
};
use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, CONTENT_TYPE};
use indexmap::IndexMap;
use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::json;

use crate::operations::OPEN_ROUTES;

/// `impl JsonSchema for $type`: the component `$name`, its schema the
/// body, built with the generator (which registers the components it
/// refers to).
macro_rules! component {
    ($type:ty, $name:literal, |$generator:ident| $body:block) => {
        impl schemars::JsonSchema for $type {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn json_schema($generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $body
            }
        }
    };
}

mod attributes;
mod documents;
pub(crate) mod operations;
mod rules;

/// The document as served, generated once.
static JSON: LazyLock<String> = LazyLock::new(|| {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serialises");
    text.push('\n');
    text
});

/// The OpenAPI document of every route, as `GET /openapi.json` serves it.
pub fn json() -> &'static str {
    &JSON
}

/// The name of the API key scheme.
const API_KEY_SCHEME: &str = "apiKey";

/// Generates the document.
fn document() -> OpenApi {
    // A generator of OpenAPI 3.1's dialect (JSON Schema 2020-12) that puts
    // every named schema under components and changes none: the schemas
    // use keywords (dependentRequired, if/then) that draft-07's transforms
    // would rewrite.
    in_context(|context| {
        context.schema = SchemaGenerator::new(SchemaSettings::draft2020_12().with(|settings| {
            settings.definitions_path = "#/components/schemas/".into();
            settings.inline_subschemas = false;
            settings.meta_schema = None;
            settings.transforms = Vec::new();
        }));
    });
    let mut api = OpenApi {
        info: Info {
            title: "payments".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: Some("Record and manage payments. Two contracts over one model: the Form3-style /v1/payments resource and the /payments recorder. Errors are RFC 9457 application/problem+json. Every response carries x-request-id.".to_owned()),
            ..Info::default()
        },
        security: vec![SecurityRequirement::from([(API_KEY_SCHEME.to_owned(), Vec::new())])],
        ..OpenApi::default()
    };
    let _ = crate::routes(true).finish_api(&mut api);
    let components = api.components.get_or_insert_with(Components::default);
    components.security_schemes.insert(
        API_KEY_SCHEME.to_owned(),
        ReferenceOr::Item(SecurityScheme::ApiKey {
            location: ApiKeyLocation::Header,
            name: crate::API_KEY.to_owned(),
            description: Some(
                "Each key belongs to one organisation and sees only its payments".to_owned(),
            ),
            extensions: IndexMap::new(),
        }),
    );
    components.headers.extend(headers());
    every_operation(&mut api);
    api
}

/// The headers more than one response carries.
fn headers() -> [(String, ReferenceOr<Header>); 5] {
    let header = |description: &str, schema| operations::header(Some(description), schema);
    [
        (
            "RequestId".to_owned(),
            header(
                "The request's id: the client's own x-request-id when it is 1 to 128 letters, digits, -, _, . or :, else one the server made. Also in every problem and in the access log.",
                json!({ "type": "string" }),
            ),
        ),
        (
            "TraceParent".to_owned(),
            header(
                "W3C Trace Context: this request's span, in the caller's trace when the request sent a valid traceparent, else in a new one (00-<trace id>-<span id>-<flags>).",
                json!({ "type": "string", "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?!\\n)$" }),
            ),
        ),
        (
            "RetryAfter".to_owned(),
            header(
                "Whole seconds to wait before retrying, at least 1.",
                json!({ "type": "integer", "minimum": 1 }),
            ),
        ),
        (
            "RateLimitPolicy".to_owned(),
            header(
                "The usage plan's policies (draft-ietf-httpapi-ratelimit-headers): \"burst\" with q = the burst and w = the whole seconds an emptied burst takes to refill, and \"daily\" with q = the requests per UTC day and w = 86400. Example: \"burst\";q=10;w=1, \"daily\";q=1000;w=86400",
                json!({ "type": "string" }),
            ),
        ),
        (
            "RateLimit".to_owned(),
            header(
                "What is left of each policy: r = requests left; t = seconds within which no more than r may be used (on \"burst\" only when it is empty, then equal to Retry-After; on \"daily\" the seconds to 00:00 UTC). Example: \"burst\";r=9, \"daily\";r=997;t=3600",
                json!({ "type": "string" }),
            ),
        ),
    ]
}

/// A reference to a header component.
fn header_ref(name: &str) -> ReferenceOr<Header> {
    ReferenceOr::ref_(&format!("#/components/headers/{name}"))
}

/// What the layers around every route add, written into every operation:
/// the open routes need no key; any request may meet the usage plan (429);
/// every response carries `x-request-id` and `traceparent`; a 503 says
/// when to retry.
fn every_operation(api: &mut OpenApi) {
    let Some(paths) = api.paths.as_mut() else {
        return;
    };
    for (path, item) in &mut paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            if OPEN_ROUTES.contains(&path.as_str()) {
                operation.security = vec![SecurityRequirement::new()];
            }
            operation.parameters.push(operations::parameter(json!({
                "name": crate::trace_context::TRACEPARENT,
                "in": "header",
                "required": false,
                // Any text: one that is not a valid traceparent is ignored,
                // never refused.
                "schema": { "type": "string" },
                "description": "The caller's span (W3C Trace Context, 00-<trace id>-<parent id>-<flags>): the request's span joins its trace. One that is not valid is ignored and a new trace starts.",
            })));
            let responses = operation.responses.get_or_insert_with(Default::default);
            let mut too_many = operations::problem("Over the usage plan: the API key's throttle or daily quota, or, without a known key, the client address's throttle. Only where the server applies usage plans (payments serve with PAYMENTS_THROTTLE_RATE or PAYMENTS_QUOTA_PER_DAY); on Lambda, API Gateway's usage plan answers instead. Limited clients' responses of any status carry RateLimit-Policy and RateLimit.");
            too_many.headers.extend([
                ("Retry-After".to_owned(), header_ref("RetryAfter")),
                ("RateLimit-Policy".to_owned(), header_ref("RateLimitPolicy")),
                ("RateLimit".to_owned(), header_ref("RateLimit")),
            ]);
            responses
                .responses
                .entry(aide::openapi::StatusCode::Code(429))
                .or_insert(ReferenceOr::Item(too_many));
            for (status, response) in &mut responses.responses {
                let ReferenceOr::Item(response) = response else {
                    continue;
                };
                if *status == aide::openapi::StatusCode::Code(503) {
                    response
                        .headers
                        .insert("Retry-After".to_owned(), header_ref("RetryAfter"));
                }
                response
                    .headers
                    .insert(crate::REQUEST_ID.to_owned(), header_ref("RequestId"));
                response.headers.insert(
                    crate::trace_context::TRACEPARENT.to_owned(),
                    header_ref("TraceParent"),
                );
            }
        }
    }
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json(),
    )
        .into_response()
}

/// The extractors of this crate say nothing in the document themselves:
/// each operation's description in [`operations`] says what the route
/// reads.
impl aide::OperationInput for crate::keys::Caller {}
impl aide::OperationInput for crate::base_path::Links {}
impl aide::OperationInput for crate::path_id::PathId {}
impl aide::OperationInput for crate::idempotency::CreateRequest {}

/// Problems are documented per operation, with their statuses.
impl aide::OperationOutput for crate::problem::Problem {
    type Inner = Self;
}
