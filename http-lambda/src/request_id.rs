//! The Lambda request id as the request id the Router logs and quotes.

use http::HeaderValue;
use lambda_http::RequestExt as _;

/// Sets `x-request-id` to the Lambda request id unless the client sent one
/// the Router keeps ([`http_api::is_kept_request_id`]): a client id the
/// Router would replace with a random one is replaced here with the Lambda
/// id instead, which CloudWatch's own lines for the invocation carry.
pub(crate) fn adopt_lambda_request_id(mut request: lambda_http::Request) -> lambda_http::Request {
    let client_id_kept = request
        .headers()
        .get(http_api::REQUEST_ID)
        .is_some_and(http_api::is_kept_request_id);
    if client_id_kept {
        return request;
    }
    let lambda_id = request
        .lambda_context_ref()
        .map(|context| context.request_id.clone())
        .filter(|id| !id.is_empty());
    if let Some(value) = lambda_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        request.headers_mut().insert(http_api::REQUEST_ID, value);
    }
    request
}
