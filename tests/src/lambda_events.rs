//! Feeds requests to the Lambda function the way Lambda does: an `http::Request`
//! becomes event JSON of one of three documented shapes (from
//! `tests/data/lambda-*.json`), that JSON is deserialised as `lambda_http`'s
//! `LambdaRequest`, handed with a Lambda context to the event adapter that
//! `lambda_http::run` uses, and the JSON the invocation returns is read back
//! into an `http::Response`. So both directions cross the real wire format:
//! base64 bodies, multi-value headers, the stage in the path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};

use crate::http_table;
use http_lambda::PaymentsFunction;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt as _;
use lambda_http::{Adapter, Context, LambdaEvent};
use payments_ports::PaymentRepository;
use serde_json::{json, Map, Value};

/// The stage the API Gateway fixtures were deployed to.
pub const STAGE: &str = "prod";

/// The documented event shapes of the three front doors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// API Gateway REST API, Lambda proxy integration (payload 1.0).
    RestV1,
    /// API Gateway HTTP API (payload 2.0).
    HttpV2,
    /// Application Load Balancer target group.
    Alb,
}

impl Shape {
    fn fixture(self) -> Value {
        let text = match self {
            Shape::RestV1 => include_str!("../data/lambda-apigw-rest.json"),
            Shape::HttpV2 => include_str!("../data/lambda-apigw-http.json"),
            Shape::Alb => include_str!("../data/lambda-alb.json"),
        };
        serde_json::from_str(text).expect("the fixture is JSON")
    }
}

/// How the body travels in the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// As a JSON string, `isBase64Encoded: false`.
    Text,
    /// Base64, `isBase64Encoded: true`.
    Base64,
}

/// The function over the Router on `repository`, with the HTTP table's keys.
pub fn function(repository: Arc<dyn PaymentRepository>) -> PaymentsFunction {
    PaymentsFunction::new(http_table::app(repository))
}

/// The function over the in-memory store.
pub fn memory_function() -> PaymentsFunction {
    function(Arc::new(adapter_memory::MemoryRepository::new()))
}

/// A Lambda context as the runtime makes it from its `next` response.
pub fn context(request_id: &str, trace_id: Option<&str>) -> Context {
    let mut context = Context::default();
    request_id.clone_into(&mut context.request_id);
    context.xray_trace_id = trace_id.map(str::to_owned);
    "arn:aws:lambda:eu-west-1:123456789012:function:payments"
        .clone_into(&mut context.invoked_function_arn);
    context
}

/// A fresh Lambda request id, shaped like Lambda's (a UUID).
pub fn next_lambda_request_id() -> String {
    static INVOCATIONS: AtomicU64 = AtomicU64::new(1);
    format!(
        "8f5ac5d1-6a0e-4b4f-9d11-{:012}",
        INVOCATIONS.fetch_add(1, Ordering::Relaxed)
    )
}

/// The event of `shape` for `request`: method, path, query, headers and
/// body replace the fixture's.
///
/// # Panics
/// When a text body or a header is not UTF-8 text.
pub fn event(shape: Shape, request: &Request<Bytes>, encoding: BodyEncoding) -> Value {
    let mut event = shape.fixture();
    let method = request.method().as_str();
    let path = request.uri().path();
    let raw_query = request.uri().query().unwrap_or_default();
    let (body, is_base64) = match (request.body().is_empty(), encoding) {
        (true, _) => (Value::Null, false),
        (false, BodyEncoding::Text) => (
            json!(std::str::from_utf8(request.body()).expect("a text body to send as text")),
            false,
        ),
        (false, BodyEncoding::Base64) => (json!(BASE64.encode(request.body())), true),
    };
    event["body"] = body;
    event["isBase64Encoded"] = json!(is_base64);
    let proxy = json!({ "proxy": path.trim_start_matches('/') });
    match shape {
        Shape::RestV1 => {
            event["path"] = json!(path);
            event["httpMethod"] = json!(method);
            event["pathParameters"] = proxy;
            event["requestContext"]["path"] = json!(format!("/{STAGE}{path}"));
            event["requestContext"]["httpMethod"] = json!(method);
            // API Gateway decodes the query into both maps.
            let pairs = decoded_query(raw_query);
            let (single, multi) = query_maps(&pairs);
            event["queryStringParameters"] = single;
            event["multiValueQueryStringParameters"] = multi;
            let (single, multi) = header_maps(request, str::to_owned);
            merge(&mut event["headers"], single);
            merge(&mut event["multiValueHeaders"], multi);
        }
        Shape::HttpV2 => {
            let raw_path = format!("/{STAGE}{path}");
            event["rawPath"] = json!(raw_path);
            event["requestContext"]["http"]["path"] = json!(raw_path);
            event["requestContext"]["http"]["method"] = json!(method);
            event["rawQueryString"] = json!(raw_query);
            event["pathParameters"] = proxy;
            // Payload 2.0 joins repeated parameters with commas.
            let mut joined: Map<String, Value> = Map::new();
            for (name, value) in decoded_query(raw_query) {
                let entry = joined.entry(name).or_insert_with(|| json!(""));
                let text = entry.as_str().unwrap_or_default();
                *entry = json!(if text.is_empty() {
                    value
                } else {
                    format!("{text},{value}")
                });
            }
            event["queryStringParameters"] = if joined.is_empty() {
                Value::Null
            } else {
                Value::Object(joined)
            };
            let (single, _) = header_maps(request, str::to_ascii_lowercase);
            merge(&mut event["headers"], single);
            event["headers"]["content-length"] = json!(request.body().len().to_string());
        }
        Shape::Alb => {
            event["path"] = json!(path);
            event["httpMethod"] = json!(method);
            // An ALB passes the query as the client sent it, still encoded.
            let mut parameters = Map::new();
            for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                parameters.insert(name.to_owned(), json!(value));
            }
            event["queryStringParameters"] = Value::Object(parameters);
            let (single, _) = header_maps(request, str::to_ascii_lowercase);
            merge(&mut event["headers"], single);
            if event["body"].is_null() {
                event["body"] = json!("");
            }
        }
    }
    event
}

fn decoded_query(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn query_maps(pairs: &[(String, String)]) -> (Value, Value) {
    if pairs.is_empty() {
        return (Value::Null, Value::Null);
    }
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        single.insert(name.clone(), json!(value));
        let list = multi.entry(name.clone()).or_insert_with(|| json!([]));
        list.as_array_mut().expect("a list").push(json!(value));
    }
    (Value::Object(single), Value::Object(multi))
}

fn header_maps(request: &Request<Bytes>, name_case: impl Fn(&str) -> String) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in request.headers() {
        let name = name_case(name.as_str());
        let value = value.to_str().expect("text headers");
        single.insert(name.clone(), json!(value));
        let list = multi.entry(name).or_insert_with(|| json!([]));
        list.as_array_mut().expect("a list").push(json!(value));
    }
    (Value::Object(single), Value::Object(multi))
}

fn merge(target: &mut Value, extra: Value) {
    if target.is_null() {
        *target = json!({});
    }
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}

/// Invokes the function with `event` as Lambda would, and reads the JSON
/// it returns back as an HTTP response.
pub async fn invoke(
    function: &PaymentsFunction,
    event: Value,
    context: Context,
) -> Response<Bytes> {
    response_from_json(&invoke_raw(function, event, context).await)
}

/// Invokes the function with `event` as Lambda would, and returns the JSON
/// the invocation answers with.
///
/// # Panics
/// When `event` is no `LambdaRequest`, or the function fails to answer.
pub async fn invoke_raw(function: &PaymentsFunction, event: Value, context: Context) -> Value {
    let payload: LambdaRequest =
        serde_json::from_value(event).expect("the event deserialises as a LambdaRequest");
    let answer = Adapter::from(function.clone())
        .oneshot(LambdaEvent::new(payload, context))
        .await
        .expect("the function answers every event");
    serde_json::to_value(answer).expect("the answer serialises")
}

/// Sends `request` as a `shape` event with a fresh Lambda request id.
pub async fn send(
    function: &PaymentsFunction,
    shape: Shape,
    encoding: BodyEncoding,
    request: Request<Bytes>,
) -> Response<Bytes> {
    let event = event(shape, &request, encoding);
    invoke(function, event, context(&next_lambda_request_id(), None)).await
}

/// The returned JSON as the client sees it: API Gateway and ALB take
/// `multiValueHeaders` and `headers`, and decode a base64 body.
///
/// # Panics
/// When the answer is not a well-formed proxy response.
pub fn response_from_json(answer: &Value) -> Response<Bytes> {
    let status = answer["statusCode"].as_u64().expect("a statusCode");
    let mut response = Response::builder()
        .status(StatusCode::from_u16(u16::try_from(status).expect("a u16")).expect("a status"));
    let headers = response
        .headers_mut()
        .expect("a response under construction");
    if let Some(multi) = answer["multiValueHeaders"].as_object() {
        for (name, values) in multi {
            for value in values.as_array().expect("a list of values") {
                headers.append(
                    HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                    HeaderValue::from_str(value.as_str().expect("a text value")).expect("a value"),
                );
            }
        }
    }
    if let Some(single) = answer["headers"].as_object() {
        for (name, value) in single {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            if !headers.contains_key(&name) {
                headers.insert(
                    name,
                    HeaderValue::from_str(value.as_str().expect("a text value")).expect("a value"),
                );
            }
        }
    }
    let body = match (&answer["body"], answer["isBase64Encoded"].as_bool()) {
        (Value::String(text), Some(true)) => {
            Bytes::from(BASE64.decode(text).expect("a base64 body"))
        }
        (Value::String(text), _) => Bytes::from(text.clone()),
        _ => Bytes::new(),
    };
    response.body(body).expect("a response")
}
