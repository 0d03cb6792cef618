//! The table's language: a [`Step`] is one request and everything a client
//! must see come back, compared exactly; a [`Group`] is steps that run in
//! order as organisations of their own.
//!
//! Values captured from a response (`.capture("recorded", "/id")`) are
//! written `{recorded}` in later paths, headers, bodies and expected
//! values of the same group; `{organisation}` and `{other_organisation}`
//! are the group's two organisations.

use std::collections::HashMap;
use std::future::Future;

use bytes::Bytes;
use http::{HeaderName, Method, Request, Response, StatusCode};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::{KEY_A, KEY_B, ORGANISATION_A, ORGANISATION_B};

/// An organisation the table acts as, with its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// The `x-api-key` that acts as it.
    pub key: String,
    /// Its id.
    pub id: String,
}

impl Organisation {
    /// Organisation A, the Form3 sample's.
    pub fn a() -> Self {
        Self {
            key: KEY_A.to_owned(),
            id: ORGANISATION_A.to_owned(),
        }
    }

    /// Organisation B.
    pub fn b() -> Self {
        Self {
            key: KEY_B.to_owned(),
            id: ORGANISATION_B.to_owned(),
        }
    }

    /// One of the two organisations of the group numbered `group`.
    fn of_group(group: usize, other: bool) -> Self {
        let (role, last) = if other { ("other", 2) } else { ("own", 1) };
        Self {
            key: format!("table-key-group-{group:02}-{role}"),
            id: format!("7ab1e000-0000-4000-8000-{group:010}{last:02}"),
        }
    }
}

/// Who a step acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The group's own organisation (the default).
    Own,
    /// The group's other organisation, which must not see the first's
    /// payments.
    Other,
    /// A key no organisation has.
    Unknown(&'static str),
    /// No key at all.
    Anonymous,
}

/// What a step expects of one header.
#[derive(Debug, Clone)]
pub enum HeaderCheck {
    /// Present with exactly this value (placeholders substituted; a
    /// `Location` below the front end's base path starts with it).
    Equals(String),
    /// Present, with any value but this one.
    Not(&'static str),
    /// Present at all (a value the server makes up, such as a request id).
    Present,
    /// Absent.
    Absent,
}

/// What a step expects at one JSON Pointer of the response body.
#[derive(Debug, Clone)]
pub enum BodyCheck {
    /// Exactly this JSON value (placeholders substituted in strings; a
    /// link below the front end's base path starts with it).
    Equals(Value),
    /// Exactly this JSON text, as the server wrote it: `"100.21"`, `0.07`
    /// (so a number's digits are compared, not its float value).
    Raw(&'static str),
    /// The same text as this response header.
    SameAsHeader(&'static str),
    /// Present, with any value (one the server makes up, such as a time).
    Present,
    /// Absent.
    Absent,
    /// An array of this length.
    Length(usize),
    /// A problem's `errors`: exactly these pointers, in this order, each
    /// detail containing its words, and no other entry.
    Errors(Vec<(&'static str, &'static str)>),
}

/// One request of a group and what must come back.
#[derive(Debug, Clone)]
#[must_use = "a step is sent only as part of its group"]
pub struct Step {
    /// What the step shows, used in failure messages.
    pub name: &'static str,
    method: Method,
    path: String,
    caller: Caller,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    content_type: Option<&'static str>,
    status: StatusCode,
    header_checks: Vec<(&'static str, HeaderCheck)>,
    body_checks: Vec<(&'static str, BodyCheck)>,
    captures: Vec<(&'static str, &'static str)>,
}

impl Step {
    /// A `method` request to `path`, as the group's own organisation,
    /// expecting `200` and a request id.
    pub fn new(name: &'static str, method: Method, path: impl Into<String>) -> Self {
        Self {
            name,
            method,
            path: path.into(),
            caller: Caller::Own,
            headers: Vec::new(),
            body: None,
            content_type: None,
            status: StatusCode::OK,
            header_checks: vec![("x-request-id", HeaderCheck::Present)],
            body_checks: Vec::new(),
            captures: Vec::new(),
        }
    }

    /// A `GET`.
    pub fn get(name: &'static str, path: impl Into<String>) -> Self {
        Self::new(name, Method::GET, path)
    }

    /// A `POST` of `body` as JSON.
    pub fn post(name: &'static str, path: impl Into<String>, body: &Value) -> Self {
        Self::new(name, Method::POST, path).json(body)
    }

    /// A `PATCH` of `body` as JSON.
    pub fn patch(name: &'static str, path: impl Into<String>, body: &Value) -> Self {
        Self::new(name, Method::PATCH, path).json(body)
    }

    /// A `DELETE`.
    pub fn delete(name: &'static str, path: impl Into<String>) -> Self {
        Self::new(name, Method::DELETE, path)
    }

    /// `body` as the JSON request body.
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self.content_type = Some("application/json");
        self
    }

    /// `body` as it is, with this content type (or none).
    pub fn raw_body(mut self, body: &str, content_type: Option<&'static str>) -> Self {
        self.body = Some(body.to_owned());
        self.content_type = content_type;
        self
    }

    /// Acts as `caller`.
    pub fn by(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    /// Sends this header too.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Expects this status.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Expects this of header `name`.
    pub fn expect_header(mut self, name: &'static str, check: HeaderCheck) -> Self {
        self.header_checks.push((name, check));
        self
    }

    /// Expects header `name` to be exactly `value`.
    pub fn header_equals(self, name: &'static str, value: impl Into<String>) -> Self {
        self.expect_header(name, HeaderCheck::Equals(value.into()))
    }

    /// Expects this at `pointer` in the body.
    pub fn expect(mut self, pointer: &'static str, check: BodyCheck) -> Self {
        self.body_checks.push((pointer, check));
        self
    }

    /// Expects exactly `value` at `pointer`.
    pub fn equals(self, pointer: &'static str, value: Value) -> Self {
        self.expect(pointer, BodyCheck::Equals(value))
    }

    /// Expects exactly the JSON text `text` at `pointer`.
    pub fn raw(self, pointer: &'static str, text: &'static str) -> Self {
        self.expect(pointer, BodyCheck::Raw(text))
    }

    /// Keeps the string at `pointer` as `{name}` for later steps; taken
    /// before the step's other checks, so they may use it.
    pub fn capture(mut self, name: &'static str, pointer: &'static str) -> Self {
        self.captures.push((name, pointer));
        self
    }

    /// A problem+json response of this status and stable type, whose
    /// request id is the response's.
    pub fn problem(self, status: StatusCode, kind: &'static str) -> Self {
        self.status(status)
            .header_equals("content-type", "application/problem+json")
            .equals("/type", json!(format!("/problems/{kind}")))
            .equals("/status", json!(status.as_u16()))
            .expect("/title", BodyCheck::Present)
            .expect("/detail", BodyCheck::Present)
            .expect("/request_id", BodyCheck::SameAsHeader("x-request-id"))
    }

    /// A 422 with exactly one error, at `pointer`, whose detail mentions
    /// `words`.
    pub fn invalid(self, pointer: &'static str, words: &'static str) -> Self {
        self.invalid_all(&[(pointer, words)])
    }

    /// A 422 whose errors are exactly `errors` (pointer, words of the
    /// detail), in order.
    pub fn invalid_all(self, errors: &[(&'static str, &'static str)]) -> Self {
        self.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")
            .expect("/errors", BodyCheck::Errors(errors.to_vec()))
    }
}

/// Steps that run in order as organisations of their own.
#[derive(Debug, Clone)]
#[must_use = "a group is sent only by its run"]
pub struct Group {
    /// What the group is about, used in failure messages.
    pub name: &'static str,
    own: Organisation,
    other: Organisation,
    steps: Vec<Step>,
}

impl Group {
    /// The group numbered `number` (unique in the table), acting as
    /// organisations no other group uses.
    pub fn new(name: &'static str, number: usize, steps: Vec<Step>) -> Self {
        Self {
            name,
            own: Organisation::of_group(number, false),
            other: Organisation::of_group(number, true),
            steps,
        }
    }

    /// The same steps as organisation A (the Form3 sample's own, so the
    /// sample is sent exactly as published) and B.
    pub fn as_sample_organisation(mut self) -> Self {
        self.own = Organisation::a();
        self.other = Organisation::b();
        self
    }

    /// The group's two organisations: its own, and the other.
    pub fn organisations(&self) -> [Organisation; 2] {
        [self.own.clone(), self.other.clone()]
    }

    /// How many requests the group sends.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether the group sends nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the steps through `send`, as [`super::run_under`] describes.
    ///
    /// # Panics
    /// When a response breaks the contract.
    pub async fn run<F, Fut>(&self, base: &str, send: &F)
    where
        F: Fn(Request<Bytes>) -> Fut,
        Fut: Future<Output = Response<Bytes>>,
    {
        let mut captured: HashMap<&'static str, String> = HashMap::from([
            ("organisation", self.own.id.clone()),
            ("other_organisation", self.other.id.clone()),
        ]);
        for step in &self.steps {
            let request = self.build(step, &captured);
            let response = send(request).await;
            let context = Context {
                name: format!("{} / {}", self.name, step.name),
                base,
            };
            context.check_status(step, &response);
            context.capture(step, &response, &mut captured);
            context.check(step, &response, &captured);
        }
    }

    fn build(&self, step: &Step, captured: &HashMap<&'static str, String>) -> Request<Bytes> {
        let mut request = Request::builder()
            .method(step.method.clone())
            .uri(substitute(&step.path, captured));
        let key = match step.caller {
            Caller::Own => Some(self.own.key.as_str()),
            Caller::Other => Some(self.other.key.as_str()),
            Caller::Unknown(key) => Some(key),
            Caller::Anonymous => None,
        };
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        if let Some(content_type) = step.content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &step.headers {
            request = request.header(*name, substitute(value, captured));
        }
        let body = step
            .body
            .as_deref()
            .map(|b| substitute(b, captured))
            .unwrap_or_default();
        request
            .body(Bytes::from(body))
            .expect("a well-formed request")
    }
}

fn substitute(text: &str, captured: &HashMap<&'static str, String>) -> String {
    captured
        .iter()
        .fold(text.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

fn substitute_json(value: &Value, captured: &HashMap<&'static str, String>) -> Value {
    match value {
        Value::String(text) => Value::String(substitute(text, captured)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute_json(item, captured))
                .collect(),
        ),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, member)| (name.clone(), substitute_json(member, captured)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The JSON text at `pointer` in `body`, exactly as written, or `None`
/// when nothing is there.
fn raw_at<'a>(body: &'a str, pointer: &str) -> Option<&'a str> {
    let mut here: &'a str = body;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        here = if let Ok(members) = serde_json::from_str::<HashMap<String, &RawValue>>(here) {
            members.get(&token)?.get()
        } else {
            let items = serde_json::from_str::<Vec<&RawValue>>(here).ok()?;
            items.get(token.parse::<usize>().ok()?)?.get()
        };
    }
    Some(here)
}

/// Where a step's checks are made: its name for failure messages, and the
/// base path links start with.
struct Context<'a> {
    name: String,
    base: &'a str,
}

impl Context<'_> {
    /// Links and `Location` are written for the client, so below a base
    /// path they start with it.
    fn link(&self, value: &str) -> String {
        if value.starts_with('/') {
            format!("{}{value}", self.base)
        } else {
            value.to_owned()
        }
    }

    fn check_status(&self, step: &Step, response: &Response<Bytes>) {
        assert_eq!(
            response.status(),
            step.status,
            "{}: status (body: {})",
            self.name,
            String::from_utf8_lossy(response.body())
        );
    }

    fn capture(
        &self,
        step: &Step,
        response: &Response<Bytes>,
        captured: &mut HashMap<&'static str, String>,
    ) {
        if step.captures.is_empty() {
            return;
        }
        let body: Value =
            serde_json::from_slice(response.body()).expect("a JSON body to capture from");
        for (name, pointer) in &step.captures {
            let value = body.pointer(pointer).and_then(Value::as_str);
            let value =
                value.unwrap_or_else(|| panic!("{}: nothing to capture at {pointer}", self.name));
            // A link the script follows is sent as the Router sees it.
            let value = match value.strip_prefix(self.base) {
                Some(path) if !self.base.is_empty() && path.starts_with('/') => path,
                _ => value,
            };
            captured.insert(name, value.to_owned());
        }
    }

    fn check(
        &self,
        step: &Step,
        response: &Response<Bytes>,
        captured: &HashMap<&'static str, String>,
    ) {
        let name = &self.name;
        let header = |header: &str| {
            response
                .headers()
                .get(HeaderName::from_bytes(header.as_bytes()).expect("a header name"))
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        for (at, expected) in &step.header_checks {
            match (expected, header(at)) {
                (HeaderCheck::Absent, None) | (HeaderCheck::Present, Some(_)) => {}
                (HeaderCheck::Equals(want), Some(got)) => {
                    let want = substitute(want, captured);
                    let want = if *at == "location" {
                        self.link(&want)
                    } else {
                        want
                    };
                    assert_eq!(got, want, "{name}: header {at}");
                }
                (HeaderCheck::Not(unwanted), Some(got)) => {
                    assert_ne!(&got, unwanted, "{name}: header {at}");
                }
                (check, got) => panic!("{name}: header {at} expected {check:?}, got {got:?}"),
            }
        }
        if step.body_checks.is_empty() {
            return;
        }
        let text = std::str::from_utf8(response.body())
            .unwrap_or_else(|_| panic!("{name}: the body is not UTF-8"));
        let body: Value = serde_json::from_str(text)
            .unwrap_or_else(|_| panic!("{name}: body is not JSON: {text}"));
        for (pointer, expected) in &step.body_checks {
            let got = body.pointer(pointer);
            match (expected, got) {
                (BodyCheck::Absent, None) | (BodyCheck::Present, Some(_)) => {}
                (BodyCheck::Equals(Value::String(link)), Some(got))
                    if pointer.starts_with("/links/") =>
                {
                    let want = self.link(&substitute(link, captured));
                    assert_eq!(got, &Value::from(want), "{name}: {pointer} in {text}");
                }
                (BodyCheck::Equals(want), Some(got)) => {
                    let want = substitute_json(want, captured);
                    assert_eq!(got, &want, "{name}: {pointer} in {text}");
                }
                (BodyCheck::Raw(want), Some(_)) => {
                    assert_eq!(raw_at(text, pointer), Some(*want), "{name}: {pointer}");
                }
                (BodyCheck::SameAsHeader(from), Some(got)) => {
                    let want = header(from).map(Value::from);
                    assert_eq!(Some(got), want.as_ref(), "{name}: {pointer} and {from}");
                }
                (BodyCheck::Length(want), Some(Value::Array(items))) => {
                    assert_eq!(items.len(), *want, "{name}: {pointer} length in {text}");
                }
                (BodyCheck::Errors(want), Some(Value::Array(items))) => {
                    let pointers: Vec<&Value> = items.iter().map(|item| &item["pointer"]).collect();
                    let wanted: Vec<Value> = want.iter().map(|(at, _)| json!(at)).collect();
                    assert_eq!(
                        pointers,
                        wanted.iter().collect::<Vec<_>>(),
                        "{name}: error pointers in {text}"
                    );
                    for (item, (at, words)) in items.iter().zip(want) {
                        let detail = item["detail"].as_str().unwrap_or_default();
                        assert!(
                            detail.contains(words),
                            "{name}: the error at {at} says {detail:?}, not {words:?}"
                        );
                    }
                }
                (check, got) => {
                    panic!("{name}: {pointer} expected {check:?}, got {got:?} in {text}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::raw_at;

    #[test]
    fn raw_text_is_found_by_pointer_exactly_as_written() {
        let body = r#"{"data": {"amount": 0.070, "list": [1, "two"], "a/b": true}}"#;
        assert_eq!(raw_at(body, "/data/amount"), Some("0.070"));
        assert_eq!(raw_at(body, "/data/list/1"), Some("\"two\""));
        assert_eq!(raw_at(body, "/data/a~1b"), Some("true"));
        assert_eq!(raw_at(body, "/data/missing"), None);
        assert_eq!(raw_at(body, "/data/list/2"), None);
    }
}
