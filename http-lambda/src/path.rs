//! The path the Router routes on: the event's own path without the API
//! Gateway stage, decided here rather than by an environment variable.

use http::uri::PathAndQuery;
use lambda_http::request::RequestContext;
use lambda_http::RequestExt as _;

/// The path and query the Router must see for a request built from an
/// event, or `None` to keep the request's URI as `lambda_http` built it
/// (a request not made from an API Gateway or ALB event).
///
/// | event | path used |
/// | --- | --- |
/// | REST API (v1) | `path`: the resource path, which never holds the stage (`requestContext.path` does) |
/// | HTTP API (v2) | `rawPath` less a leading `/<stage>` for a named stage (`$default` has none) |
/// | ALB | `path` as it is |
///
/// `lambda_http` alone would route `/prod/v1/payments` for a REST API
/// unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set, and keeps a named
/// stage of an HTTP API either way; this answer depends on neither. The
/// query is kept as `lambda_http` encoded it from the event. Characters a
/// URI path may not hold are percent-encoded.
///
/// Behind a custom domain, map the API at the domain's root: a base path
/// mapping (`/payments-api`) stays in the event's path and would reach the
/// Router. Do not name an HTTP API stage after a route's first segment
/// (`v1`, `payments`, `health`): a path through a custom domain, which has
/// no stage in it, would lose that segment.
pub fn router_path(request: &lambda_http::Request) -> Option<PathAndQuery> {
    let raw = request.raw_http_path();
    let path = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(_) | RequestContext::Alb(_) => raw,
        RequestContext::ApiGatewayV2(context) => without_stage(raw, context.stage.as_deref()),
        _ => return None,
    };
    let mut path = encode_path(path);
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if let Some(query) = request.uri().query().filter(|query| !query.is_empty()) {
        path.push('?');
        path.push_str(query);
    }
    path.parse().ok()
}

/// The prefix the client put before the Router's path, for the links the
/// API writes (`/prod` when the client called `.../prod/v1/payments`):
///
/// | event | prefix |
/// | --- | --- |
/// | REST API (v1) | `requestContext.path` less the event's `path`: the stage, or a custom domain's base path mapping |
/// | HTTP API (v2) | `/<stage>` for a named stage that `rawPath` starts with |
/// | ALB | none |
pub fn base_path(request: &lambda_http::Request) -> Option<http_api::BasePath> {
    let raw = request.raw_http_path();
    let prefix = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => {
            let seen = context.path.as_deref()?;
            seen.strip_suffix(raw)
                .filter(|_| raw.starts_with('/'))?
                .to_owned()
        }
        RequestContext::ApiGatewayV2(context) => {
            let stage = context
                .stage
                .as_deref()
                .filter(|stage| *stage != "$default")?;
            let rest = without_stage(raw, Some(stage));
            if rest.len() == raw.len() {
                return None;
            }
            format!("/{stage}")
        }
        _ => return None,
    };
    http_api::BasePath::new(&prefix)
}

/// `rawPath` of an HTTP API starts with `/<stage>` for every stage but
/// `$default`.
fn without_stage<'a>(raw_path: &'a str, stage: Option<&str>) -> &'a str {
    let Some(stage) = stage.filter(|stage| !stage.is_empty() && *stage != "$default") else {
        return raw_path;
    };
    match raw_path
        .strip_prefix('/')
        .and_then(|rest| rest.strip_prefix(stage))
    {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => raw_path,
    }
}

/// Percent-encodes every byte RFC 3986 does not allow in a path, keeping
/// `%` so escapes already in the event stay as they are.
fn encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let allowed = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'/' | b'%'
                    | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if allowed {
            encoded.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_stage_is_taken_off_an_http_api_path() {
        let cases = [
            (
                "/prod/v1/payments",
                Some("prod"),
                "/v1/payments",
                "named stage",
            ),
            ("/prod", Some("prod"), "/", "the stage alone is the root"),
            (
                "/v1/payments",
                Some("$default"),
                "/v1/payments",
                "$default has no prefix",
            ),
            ("/v1/payments", None, "/v1/payments", "no stage"),
            (
                "/production/x",
                Some("prod"),
                "/production/x",
                "a longer segment is not the stage",
            ),
            (
                "/v1/payments",
                Some("v1"),
                "/payments",
                "a stage named like a route segment",
            ),
            (
                "/health",
                Some("prod"),
                "/health",
                "a custom domain without the stage",
            ),
        ];
        for (raw, stage, expected, reason) in cases {
            assert_eq!(without_stage(raw, stage), expected, "{reason}");
        }
    }

    #[test]
    fn bytes_a_path_may_not_hold_are_escaped() {
        assert_eq!(encode_path("/v1/payments/a b"), "/v1/payments/a%20b");
        assert_eq!(encode_path("/caf\u{e9}"), "/caf%C3%A9");
        assert_eq!(encode_path("/v1/payments/%20"), "/v1/payments/%20");
        assert_eq!(encode_path("/a?b#c"), "/a%3Fb%23c");
    }
}
