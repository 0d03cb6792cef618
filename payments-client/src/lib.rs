//! A typed client for a deployed payments API: `payments serve`, or the
//! Lambda front end behind API Gateway (whose stage is a path prefix of the
//! base URL).
//!
//! ```no_run
//! use payments_client::{Client, Config, Error, ListQuery, NewRecord};
//! use futures::TryStreamExt as _;
//!
//! # async fn run() -> Result<(), Error> {
//! // PAYMENTS_URL (e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod)
//! // and PAYMENTS_API_KEY.
//! let client = Client::new(Config::from_env()?)?;
//!
//! // A create carries an Idempotency-Key, reused by its own retries.
//! let recorded = client
//!     .record(&NewRecord {
//!         payment_timestamp: "2024-08-01T12:34:56Z".into(),
//!         payment_description: "Gym".into(),
//!         currency: "USD".into(),
//!         amount: "500".into(),
//!     })
//!     .await?;
//! println!("recorded {} at version {}", recorded.id, recorded.version);
//!
//! // Every payment of the organisation, page after page.
//! let gbp = ListQuery::default().filter("filter[currency]", "GBP");
//! let payments: Vec<_> = client.list_payments(&gbp).try_collect().await?;
//! for payment in &payments {
//!     match client.delete_payment(payment.id, payment.version).await {
//!         Ok(()) => {}
//!         // Someone changed it since: read it again and decide.
//!         Err(Error::VersionConflict(problem)) => eprintln!("{}", problem.detail),
//!         Err(other) => return Err(other),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Retries
//!
//! A 429 or 503, and a request that could not connect, are tried again
//! after the server's `Retry-After` when it sent one (if the deadline
//! leaves time to wait it out; otherwise the call ends there with
//! [`Error::DeadlineExceeded`]), else after a backoff
//! that doubles from [`RetryPolicy::first_delay`] up to
//! [`RetryPolicy::max_delay`], each delay jittered by up to a half so that
//! clients do not retry in step; at most [`RetryPolicy::attempts`]
//! attempts, and never past the call's [`RetryPolicy::deadline`]. A 4xx
//! other than 429 is never retried: the same request would get the same
//! answer.
//!
//! A 502 or 504 (API Gateway's answers when the function failed or ran
//! out of time) and a request that connected and then lost its answer (a
//! reset, an attempt's timeout) may have been acted on. Reads and creates
//! are tried again all the same: a read changes nothing, and a create's
//! idempotency key makes its repeat a replay. An update or a delete is
//! not: it names a version, so a repeat of one that was applied would
//! answer 409 for the caller's own change; the caller reads the payment
//! and decides.
//!
//! Every create carries an `Idempotency-Key`, generated once per call (or
//! given with [`Client::record_with_key`] and
//! [`Client::create_payment_with_key`]) and sent with each of its
//! attempts, so a retried create is replayed by the server, never made
//! twice; a caller who lost an answer sends the create again with the
//! same key to learn what happened.
//!
//! # Links
//!
//! `links.next` of a listing is followed as the server wrote it: a path
//! (root-relative, with any stage prefix the server put in it) resolved
//! against the base URL's origin, or an absolute URL.

mod error;
mod model;

use std::time::Duration;

use futures::Stream;
use payments_domain::{PaymentAttributesInput, PaymentId};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

pub use error::{Error, FieldError, Problem};
pub use model::{Event, NewRecord, Payment, Record, Report, TotalLine};

use model::{Document, ListPage};

/// The header the API key goes in.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The header of a create's idempotency key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// The header of the server's request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// What the client says it is.
pub const USER_AGENT: &str = concat!("payments-client/", env!("CARGO_PKG_VERSION"));

/// How calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (1: no retry).
    pub attempts: u32,
    /// The backoff's first delay, when the server names none.
    pub first_delay: Duration,
    /// The longest delay of the client's own backoff. A `Retry-After`
    /// is waited out as given, if the deadline leaves time for it.
    pub max_delay: Duration,
    /// The longest a call takes, retries and waits included.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 200 ms doubling to 5 s, 30 s in all.
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
        }
    }
}

/// Where the API is and how to reach it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The base URL, with any path prefix (an API Gateway stage):
    /// `https://api.example.com`, `https://abc.execute-api.eu-west-1.amazonaws.com/prod`.
    pub base_url: String,
    /// The API key, sent in `x-api-key`.
    pub api_key: String,
    /// The longest one attempt takes, connecting included.
    pub request_timeout: Duration,
    /// The longest connecting takes.
    pub connect_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

impl Config {
    /// The API at `base_url` with `api_key`, with the default timeouts
    /// (10 s per attempt, 3 s to connect) and retries.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            retry: RetryPolicy::default(),
        }
    }

    /// From `PAYMENTS_URL` and `PAYMENTS_API_KEY`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that is unset or empty.
    pub fn from_env() -> Result<Self, Error> {
        let variable = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.is_empty())
                .ok_or_else(|| Error::Config(format!("{name} is not set")))
        };
        Ok(Self::new(
            variable("PAYMENTS_URL")?,
            variable("PAYMENTS_API_KEY")?,
        ))
    }
}

/// Which page of a listing to start from, and its filters (the API's
/// query parameters: `page[size]`, `sort`, `filter[...]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    parameters: Vec<(String, String)>,
}

impl ListQuery {
    /// Payments per page (1 to 100).
    #[must_use]
    pub fn page_size(self, size: u16) -> Self {
        self.with("page[size]", size.to_string())
    }

    /// Newest first instead of oldest first.
    #[must_use]
    pub fn newest_first(self) -> Self {
        self.with("sort", "-created_on")
    }

    /// A filter by its name on the route (`filter[currency]` on
    /// `/v1/payments`, `filter[paymentTimestampFrom]` on `/payments`).
    #[must_use]
    pub fn filter(self, name: &str, value: impl Into<String>) -> Self {
        self.with(name, value)
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parameters.push((name.to_owned(), value.into()));
        self
    }

    fn encoded(&self) -> String {
        let mut query = String::new();
        for (name, value) in &self.parameters {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&encode(name));
            query.push('=');
            query.push_str(&encode(value));
        }
        query
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// The client. Cheap to clone; clones share connections.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The base URL without a trailing slash.
    base: String,
    /// Scheme, host and port of the base URL, for root-relative links.
    origin: String,
    retry: RetryPolicy,
    request_timeout: Duration,
}

impl Client {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is not an http(s) URL or the key
    /// cannot be a header value.
    pub fn new(config: Config) -> Result<Self, Error> {
        let Config {
            base_url,
            api_key,
            request_timeout,
            connect_timeout,
            retry,
        } = config;
        let base = base_url.trim_end_matches('/').to_owned();
        let origin = origin(&base).ok_or_else(|| {
            Error::Config(format!(
                "the base URL must be http:// or https:// with a host, got {base:?}"
            ))
        })?;
        let mut key = HeaderValue::from_str(&api_key)
            .map_err(|_| Error::Config("the API key is not a valid header value".into()))?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, key);
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(request_timeout)
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|error| Error::Config(format!("cannot build the HTTP client: {error}")))?;
        Ok(Self {
            http,
            base,
            origin,
            retry,
            request_timeout,
        })
    }

    /// Creates a payment from a Form3 document (`{"data": {...}}`), with a
    /// new idempotency key.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`] when the id is taken, [`Error::Invalid`]
    /// with the field errors, and the failures every call has.
    pub async fn create_payment(&self, document: &impl Serialize) -> Result<Payment, Error> {
        self.create_payment_with_key(document, &new_key()).await
    }

    /// [`create_payment`](Self::create_payment) with the caller's
    /// idempotency key (to retry a create across restarts).
    ///
    /// # Errors
    /// As for [`create_payment`](Self::create_payment).
    pub async fn create_payment_with_key(
        &self,
        document: &impl Serialize,
        idempotency_key: &str,
    ) -> Result<Payment, Error> {
        let body = json_body(document)?;
        let url = self.url("/v1/payments");
        let document: Document<Payment> = self
            .call(Operation::Create, || {
                self.http
                    .post(&url)
                    .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await?;
        Ok(document.data)
    }

    /// The payment `id`.
    ///
    /// # Errors
    /// [`Error::NotFound`], and the failures every call has.
    pub async fn fetch_payment(&self, id: PaymentId) -> Result<Payment, Error> {
        let url = self.url(&format!("/v1/payments/{id}"));
        let document: Document<Payment> =
            self.call(Operation::Read, || self.http.get(&url)).await?;
        Ok(document.data)
    }

    /// Every payment of the key's organisation that `query` asks for, as
    /// a stream that reads page after page, following `links.next`.
    pub fn list_payments(
        &self,
        query: &ListQuery,
    ) -> impl Stream<Item = Result<Payment, Error>> + '_ {
        self.pages(self.url_with("/v1/payments", query))
    }

    /// Changes the attributes `patch` sets, if the payment is still at
    /// `version`.
    ///
    /// # Errors
    /// [`Error::VersionConflict`] when it is not, [`Error::NotFound`],
    /// [`Error::Invalid`], and the failures every call has.
    pub async fn update_payment(
        &self,
        id: PaymentId,
        version: u64,
        patch: &PaymentAttributesInput,
    ) -> Result<Payment, Error> {
        let body = json_body(&serde_json::json!({
            "data": { "id": id, "version": version, "attributes": patch }
        }))?;
        let url = self.url(&format!("/v1/payments/{id}"));
        let document: Document<Payment> = self
            .call(Operation::Change, || {
                self.http
                    .patch(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await?;
        Ok(document.data)
    }

    /// Deletes the payment, if it is still at `version`.
    ///
    /// # Errors
    /// As for [`update_payment`](Self::update_payment).
    pub async fn delete_payment(&self, id: PaymentId, version: u64) -> Result<(), Error> {
        let url = self.url(&format!("/v1/payments/{id}?version={version}"));
        self.call_without_body(Operation::Change, || self.http.delete(&url))
            .await
    }

    /// Every change of the payment, oldest first, page after page; also
    /// after it was deleted.
    pub fn payment_history(&self, id: PaymentId) -> impl Stream<Item = Result<Event, Error>> + '_ {
        self.pages(self.url(&format!("/v1/payments/{id}/events")))
    }

    /// Records a payment (the recorder contract), with a new idempotency
    /// key.
    ///
    /// # Errors
    /// [`Error::Invalid`] with the field errors, and the failures every
    /// call has.
    pub async fn record(&self, record: &NewRecord) -> Result<Record, Error> {
        self.record_with_key(record, &new_key()).await
    }

    /// [`record`](Self::record) with the caller's idempotency key.
    ///
    /// # Errors
    /// As for [`record`](Self::record).
    pub async fn record_with_key(
        &self,
        record: &NewRecord,
        idempotency_key: &str,
    ) -> Result<Record, Error> {
        let body = json_body(record)?;
        let url = self.url("/payments");
        self.call(Operation::Create, || {
            self.http
                .post(&url)
                .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await
    }

    /// The recorded payment `id`, in the recorder's view.
    ///
    /// # Errors
    /// [`Error::NotFound`], and the failures every call has.
    pub async fn fetch_record(&self, id: PaymentId) -> Result<Record, Error> {
        let url = self.url(&format!("/payments/{id}"));
        self.call(Operation::Read, || self.http.get(&url)).await
    }

    /// Every payment in the recorder's view that `query` asks for, page
    /// after page.
    pub fn list_records(
        &self,
        query: &ListQuery,
    ) -> impl Stream<Item = Result<Record, Error>> + '_ {
        self.pages(self.url_with("/payments", query))
    }

    /// Per currency, the count and exact sum of the organisation's payments
    /// from `from` (inclusive) to `to` (exclusive), each an RFC 3339
    /// instant or a date; `query`'s filters narrow it.
    ///
    /// # Errors
    /// The failures every call has (a bad period is a 400 problem).
    pub async fn report(&self, from: &str, to: &str, filters: &ListQuery) -> Result<Report, Error> {
        let mut query = ListQuery::default().with("from", from).with("to", to);
        query.parameters.extend(filters.parameters.iter().cloned());
        let url = self.url_with("/v1/reports/payments", &query);
        let document: Document<Report> = self.call(Operation::Read, || self.http.get(&url)).await?;
        Ok(document.data)
    }

    /// Whether the server is up (`GET /health`).
    ///
    /// # Errors
    /// The failures every call has.
    pub async fn health(&self) -> Result<(), Error> {
        let url = self.url("/health");
        let _: serde_json::Value = self.call(Operation::Read, || self.http.get(&url)).await?;
        Ok(())
    }

    /// Whether the server and its store are ready (`GET /ready`).
    ///
    /// # Errors
    /// A 503 problem (after retries) when not; the failures every call has.
    pub async fn ready(&self) -> Result<(), Error> {
        let url = self.url("/ready");
        let _: serde_json::Value = self.call(Operation::Read, || self.http.get(&url)).await?;
        Ok(())
    }

    /// The API's OpenAPI document.
    ///
    /// # Errors
    /// The failures every call has.
    pub async fn openapi(&self) -> Result<serde_json::Value, Error> {
        let url = self.url("/openapi.json");
        self.call(Operation::Read, || self.http.get(&url)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn url_with(&self, path: &str, query: &ListQuery) -> String {
        let query = query.encoded();
        if query.is_empty() {
            self.url(path)
        } else {
            format!("{}{path}?{query}", self.base)
        }
    }

    /// A link the server gave: an absolute URL as it is, a path against
    /// the base URL's origin.
    fn follow(&self, link: &str) -> String {
        if link.starts_with("http://") || link.starts_with("https://") {
            link.to_owned()
        } else {
            format!("{}{link}", self.origin)
        }
    }

    /// The items of every page from `first`, following `links.next`.
    fn pages<T: DeserializeOwned + 'static>(
        &self,
        first: String,
    ) -> impl Stream<Item = Result<T, Error>> + '_ {
        let state = (Some(first), Vec::<T>::new().into_iter());
        futures::stream::try_unfold(state, move |(mut next, mut items)| async move {
            loop {
                if let Some(item) = items.next() {
                    return Ok(Some((item, (next, items))));
                }
                let Some(url) = next.take() else {
                    return Ok(None);
                };
                let page: ListPage<T> = self.call(Operation::Read, || self.http.get(&url)).await?;
                next = page.links.next.as_deref().map(|link| self.follow(link));
                items = page.data.into_iter();
            }
        })
    }

    /// Sends `request()` until it is answered or retries run out, and reads
    /// the answer as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        operation: Operation,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<T, Error> {
        let response = self.send(operation, request).await?;
        let status = response.status();
        let request_id = request_id(&response);
        let bytes = response.bytes().await.map_err(Error::Transport)?;
        serde_json::from_slice(&bytes).map_err(|error| Error::UnexpectedAnswer {
            status,
            request_id,
            reason: format!("the body does not read as expected: {error}"),
        })
    }

    async fn call_without_body(
        &self,
        operation: Operation,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<(), Error> {
        self.send(operation, request).await.map(drop)
    }

    /// The first successful answer, retrying as the [`RetryPolicy`] says.
    async fn send(
        &self,
        operation: Operation,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<Response, Error> {
        let started = Instant::now();
        let deadline = started + self.retry.deadline;
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let attempt_timeout = remaining
                .min(self.request_timeout)
                .max(Duration::from_millis(1));
            let (error, retry_after) = match request().timeout(attempt_timeout).send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => failure(response, operation).await,
                Err(error) => (Error::Transport(error), None),
            };
            if attempt >= self.retry.attempts || !retryable(&error, operation) {
                return Err(error);
            }
            // The server's wait is kept as it is (waiting less would only
            // be refused again); the deadline bounds it.
            let wait = retry_after.unwrap_or_else(|| jittered(delay).min(self.retry.max_delay));
            if Instant::now() + wait >= deadline {
                return Err(Error::DeadlineExceeded {
                    deadline: self.retry.deadline,
                    last: Box::new(error),
                });
            }
            tokio::time::sleep(wait).await;
            delay = (delay * 2).min(self.retry.max_delay);
            attempt += 1;
        }
    }
}

/// What a call does, which says what a 409 means and whether a lost
/// answer may be asked for again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    /// Carries an idempotency key: a repeat is replayed, never made twice.
    Create,
    Read,
    /// At a version: a repeat of one that was applied answers 409.
    Change,
}

impl Operation {
    /// Whether sending the request again, when the server may have acted
    /// on it, leaves things as one send would.
    fn repeats_safely(self) -> bool {
        matches!(self, Self::Create | Self::Read)
    }
}

/// The error of an answer that is not a success, and the wait its
/// `Retry-After` asks for.
async fn failure(response: Response, operation: Operation) -> (Error, Option<Duration>) {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|seconds| seconds.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let request_id = request_id(&response);
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) => return (Error::Transport(error), retry_after),
    };
    let Ok(mut problem) = serde_json::from_slice::<Problem>(&bytes) else {
        return (
            Error::UnexpectedAnswer {
                status,
                request_id,
                reason: "not a problem document".into(),
            },
            retry_after,
        );
    };
    if problem.request_id.is_none() {
        problem.request_id = request_id;
    }
    let problem = Box::new(problem);
    let error = match (status, operation) {
        (StatusCode::NOT_FOUND, _) => Error::NotFound(problem),
        (StatusCode::CONFLICT, Operation::Change) => Error::VersionConflict(problem),
        (StatusCode::CONFLICT, Operation::Create) => Error::AlreadyExists(problem),
        (StatusCode::UNPROCESSABLE_ENTITY, _) if problem.kind == "/problems/validation" => {
            Error::Invalid(problem)
        }
        _ => Error::Problem(problem),
    };
    (error, retry_after)
}

/// Whether the same request may succeed later, and sending it again does
/// no harm: a 429 or 503, or a request never connected, always; a 502 or
/// 504 (a gateway that got no good answer in time) or an answer lost
/// after the request went out (a timeout, a reset) only when `operation`
/// repeats safely.
fn retryable(error: &Error, operation: Operation) -> bool {
    let status = match error {
        Error::Problem(problem) => StatusCode::from_u16(problem.status).ok(),
        Error::UnexpectedAnswer { status, .. } => Some(*status),
        Error::Transport(error) => {
            return error.is_connect()
                || (operation.repeats_safely() && (error.is_timeout() || error.is_request()));
        }
        _ => None,
    };
    match status {
        Some(StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) => true,
        Some(StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT) => operation.repeats_safely(),
        _ => false,
    }
}

/// `delay` plus up to half of it, at random.
#[allow(clippy::disallowed_methods)] // the client's own randomness: the IdGenerator port is the server's
fn jittered(delay: Duration) -> Duration {
    let random = uuid::Uuid::new_v4().as_u128();
    let fraction = f64::from(u32::try_from(random & 0xFFFF).unwrap_or(0)) / 65_536.0;
    delay + delay.mul_f64(fraction / 2.0)
}

fn request_id(response: &Response) -> Option<String> {
    response
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// A new idempotency key: a random UUID.
#[allow(clippy::disallowed_methods)] // the client's own keys: the IdGenerator port is the server's
fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn json_body(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|error| Error::Config(format!("the body does not serialise: {error}")))
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split('/').next().filter(|host| !host.is_empty())?;
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_base_url_with_a_stage_is_scheme_host_and_port() {
        assert_eq!(
            origin("https://abc.execute-api.eu-west-1.amazonaws.com/prod").as_deref(),
            Some("https://abc.execute-api.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("ftp://host"), None);
        assert_eq!(origin("https://"), None);
    }

    #[test]
    fn query_parameters_are_percent_encoded() {
        let query = ListQuery::default()
            .page_size(5)
            .filter("filter[reference]", "Em's piano & more");
        assert_eq!(
            query.encoded(),
            "page%5Bsize%5D=5&filter%5Breference%5D=Em%27s%20piano%20%26%20more"
        );
    }

    #[test]
    fn jitter_adds_at_most_half_the_delay() {
        let delay = Duration::from_millis(200);
        for _ in 0..100 {
            let wait = jittered(delay);
            assert!(wait >= delay && wait <= delay + delay / 2, "{wait:?}");
        }
    }
}
