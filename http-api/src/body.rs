//! Reading request bodies: no body is a 400, a body that is not JSON by its
//! content type a 415, malformed JSON a 400, and JSON that does not fit the
//! contract a 422 with a JSON Pointer to the offending member.

use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::problem::{FieldProblem, Problem};

/// The body bytes, or the problem with getting them (413 past the limit).
pub fn bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::payload_too_large()
        } else {
            Problem::bad_request("the request body could not be read")
        }
    })
}

/// Whether the content type is JSON (`application/json`, or any
/// `application/*+json` such as `application/vnd.api+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialises a JSON body into `T`, with the problem a client needs when
/// it cannot.
///
/// # Errors
/// 400 for no body or malformed JSON, 415 for a non-JSON content type, 422
/// (with a pointer) when the JSON does not fit `T`.
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "the request has no body; send a JSON document",
        ));
    }
    if !is_json(headers) {
        return Err(Problem::unsupported_media_type());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let pointer = pointer(error.path());
        let inner = error.into_inner();
        match inner.classify() {
            Category::Data => Problem::validation(vec![FieldProblem {
                pointer,
                detail: message(&inner),
            }]),
            Category::Syntax | Category::Eof | Category::Io => malformed(&inner),
        }
    })?;
    deserializer.end().map_err(|error| malformed(&error))?;
    Ok(value)
}

fn malformed(error: &serde_json::Error) -> Problem {
    Problem::bad_request(format!("the body is not valid JSON: {error}"))
}

/// Turns a serde path into a JSON Pointer. The path of an unknown member
/// already ends with the member's name.
pub fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } => push_member(&mut pointer, key),
            Segment::Enum { variant } => push_member(&mut pointer, variant),
            Segment::Unknown => {}
        }
    }
    pointer
}

/// Appends one member name to a JSON Pointer, escaped per RFC 6901.
pub fn push_member(pointer: &mut String, name: &str) {
    pointer.push('/');
    pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
}

/// serde's message without its " at line L column C" tail, which points into
/// the body the client already has by pointer.
pub fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Party {
        name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Document {
        party: Option<Party>,
        parties: Option<Vec<Party>>,
    }

    fn pointer_of(json: &str) -> String {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let error = serde_path_to_error::deserialize::<_, Document>(&mut deserializer)
            .expect_err("refused");
        pointer(error.path())
    }

    #[test]
    fn an_unknown_member_is_pointed_at_once() {
        assert_eq!(pointer_of(r#"{"colour": "red"}"#), "/colour");
        assert_eq!(pointer_of(r#"{"party": {"shoe": 1}}"#), "/party/shoe");
        assert_eq!(
            pointer_of(r#"{"parties": [{}, {"shoe": 1}]}"#),
            "/parties/1/shoe"
        );
        assert_eq!(pointer_of(r#"{"party": {"party": 1}}"#), "/party/party");
    }

    #[test]
    fn an_unknown_member_of_a_parsed_value_is_pointed_at_once() {
        let value = serde_json::json!({ "party": { "a/b~c": 1 } });
        let error = serde_path_to_error::deserialize::<_, Document>(value).expect_err("refused");
        assert_eq!(pointer(error.path()), "/party/a~1b~0c");
    }
}
