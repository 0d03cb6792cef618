//! Reading request bodies: no body is a 400, a body that is not JSON by its
//! content type a 415, malformed JSON a 400 (whatever comes before the
//! syntax error), an object that names a member twice a 422 at the second
//! one, and JSON that does not fit the contract a 422 with a JSON Pointer to
//! the offending member.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde::de::{
    Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::error::Category;

use crate::objects_only::ObjectsOnly;
use crate::problem::{FieldProblem, Problem};

/// The body bytes, or the problem with getting them: 413 past the limit,
/// 408 when the transport gave up waiting for them (its read failed with a
/// `TimedOut` I/O error), 400 otherwise.
pub fn bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::payload_too_large()
        } else if timed_out(&rejection) {
            Problem::request_timeout()
        } else {
            Problem::bad_request("the request body could not be read")
        }
    })
}

/// Whether a body read failed because the client was too slow: an
/// [`std::io::ErrorKind::TimedOut`] anywhere in the error's chain, which is
/// how a transport that times bodies out (http-hyper) reports it.
fn timed_out(rejection: &BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = cause {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cause = error.source();
    }
    false
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
/// (with a pointer) when the JSON does not fit `T`, an array where an
/// object belongs included ([`ObjectsOnly`]).
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Problem> {
    parse(headers, body, Nulls::Allowed)
}

/// [`json`] for a body in which `null` means nothing the API could do
/// (the Form3 documents: a create has no use for it and an update cannot
/// remove a member), so each one is refused, rather than read as if the
/// member were left out, which would surprise the client.
///
/// # Errors
/// As [`json`]; and 422 with the pointer of every `null` in the document.
pub fn json_without_nulls<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, Problem> {
    parse(headers, body, Nulls::Refused)
}

/// Whether a body may hold `null`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nulls {
    Allowed,
    Refused,
}

fn parse<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    nulls: Nulls,
) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "the request has no body; send a JSON document",
        ));
    }
    if !is_json(headers) {
        return Err(Problem::unsupported_media_type());
    }
    check_document(body, nulls)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value =
        serde_path_to_error::deserialize(ObjectsOnly(&mut deserializer)).map_err(|error| {
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

/// Reads the whole document once for what no target type can see: that it
/// is JSON at all, so a syntax error is a 400 even after members the type
/// would refuse; that no object names a member twice (serde keeps the
/// last of them in a map, and a struct refuses them with a message of its
/// own), a 422 at the first repeat; and that it is an object, a 422 at the
/// root (serde reads a struct from an array too, by position, so
/// `["2024-08-01T12:34:56Z", "Gym", "USD", 500]` would be recorded as if
/// its members had been named); and, where `nulls` refuses them, where
/// each `null` is.
fn check_document(body: &[u8], nulls: Nulls) -> Result<(), Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut repeated = None;
    let mut found_nulls = Vec::new();
    Walk {
        at: Place::Root,
        repeated: &mut repeated,
        nulls: &mut found_nulls,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end())
    .map_err(|error| malformed(&error))?;
    if let Some(pointer) = repeated {
        return Err(Problem::validation(vec![FieldProblem::new(
            pointer,
            "appears more than once in its object; send each member once",
        )]));
    }
    if !body.trim_ascii_start().starts_with(b"{") {
        return Err(Problem::validation(vec![FieldProblem::new(
            "",
            "must be a JSON object",
        )]));
    }
    if nulls == Nulls::Refused && !found_nulls.is_empty() {
        return Err(Problem::validation(
            found_nulls
                .into_iter()
                .map(|at| {
                    FieldProblem::new(at, "must not be null: send a value or leave the member out")
                })
                .collect(),
        ));
    }
    Ok(())
}

/// Where a value is in the document: the way back to the root, written
/// out as a JSON Pointer only when something there is reported. Member
/// names are borrowed from the body where it holds them unescaped, so a
/// walk through a well-formed document allocates nothing per member.
enum Place<'a> {
    Root,
    Member(&'a Place<'a>, &'a str),
    Item(&'a Place<'a>, usize),
}

impl Place<'_> {
    fn pointer(&self) -> String {
        let mut pointer = String::new();
        self.push_to(&mut pointer);
        pointer
    }

    fn push_to(&self, pointer: &mut String) {
        match self {
            Place::Root => {}
            Place::Member(parent, name) => {
                parent.push_to(pointer);
                push_member(pointer, name);
            }
            Place::Item(parent, index) => {
                parent.push_to(pointer);
                push_index(pointer, *index);
            }
        }
    }
}

/// One value of the document at `at`; remembers the first member named
/// twice in an object, and where every `null` is.
struct Walk<'a> {
    at: Place<'a>,
    repeated: &'a mut Option<String>,
    nulls: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.nulls.push(self.at.pointer());
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0_usize;
        loop {
            let item = Walk {
                at: Place::Item(&self.at, index),
                repeated: &mut *self.repeated,
                nulls: &mut *self.nulls,
            };
            if items.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        let mut seen = Names::default();
        while let Some(MemberName(name)) = members.next_key()? {
            let at = Place::Member(&self.at, &name);
            // Cloning a borrowed name copies a reference.
            if !seen.first_time(name.clone()) && self.repeated.is_none() {
                *self.repeated = Some(at.pointer());
            }
            members.next_value_seed(Walk {
                at,
                repeated: &mut *self.repeated,
                nulls: &mut *self.nulls,
            })?;
        }
        Ok(())
    }
}

/// A member's name: borrowed from the body unless it had to be unescaped.
struct MemberName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;

        impl<'de> Visitor<'de> for Name {
            type Value = MemberName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<MemberName<'de>, E> {
                Ok(MemberName(Cow::Borrowed(name)))
            }

            fn visit_str<E>(self, name: &str) -> Result<MemberName<'de>, E> {
                Ok(MemberName(Cow::Owned(name.to_owned())))
            }
        }

        deserializer.deserialize_str(Name)
    }
}

/// The names one object has had so far: a list while the object is
/// small, as every object of a payment is, and a set past that, so an
/// object of thousands of members is not checked in quadratic time.
#[derive(Default)]
struct Names<'de> {
    few: Vec<Cow<'de, str>>,
    many: HashSet<Cow<'de, str>>,
}

impl<'de> Names<'de> {
    /// Up to this many names are kept in the list.
    const FEW: usize = 32;

    /// Whether `name` is new to the object; it is known from now on.
    fn first_time(&mut self, name: Cow<'de, str>) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&name) {
                return false;
            }
            if self.few.len() < Self::FEW {
                self.few.push(name);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(name)
    }
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
            Segment::Seq { index } => push_index(&mut pointer, *index),
            Segment::Map { key } => push_member(&mut pointer, key),
            Segment::Enum { variant } => push_member(&mut pointer, variant),
            Segment::Unknown => {}
        }
    }
    pointer
}

use payments_domain::push_pointer_index as push_index;
pub use payments_domain::push_pointer_member as push_member;

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

    /// The status and the error pointers of the problem with `body`.
    fn problem_of(body: &str) -> Option<(u16, Vec<String>)> {
        problem_with(body, Nulls::Allowed)
    }

    fn problem_with(body: &str, nulls: Nulls) -> Option<(u16, Vec<String>)> {
        check_document(body.as_bytes(), nulls).err().map(|problem| {
            let pointers = problem.errors().iter().map(|e| e.pointer.clone()).collect();
            (problem.status().as_u16(), pointers)
        })
    }

    #[test]
    fn a_member_named_twice_is_422_at_the_repeat() {
        assert_eq!(
            problem_of(
                r#"{"data": {"attributes": {"reference": "first", "reference": "second"}}}"#
            ),
            Some((422, vec!["/data/attributes/reference".to_owned()]))
        );
        assert_eq!(
            problem_of(r#"[{"a": 1}, {"b": 1, "b": 2}]"#),
            Some((422, vec!["/1/b".to_owned()]))
        );
        assert_eq!(problem_of(r#"{"a": {"b": 1}, "b": {"a": 1}}"#), None);
    }

    #[test]
    fn a_repeat_is_found_however_its_name_is_spelt_and_however_large_the_object() {
        // The same name, once escaped: a repeat all the same.
        assert_eq!(
            problem_of(r#"{"data": {"ab": 1, "a\u0062": 2}}"#),
            Some((422, vec!["/data/ab".to_owned()]))
        );
        assert_eq!(
            problem_of(r#"{"a/b~c": 1, "a/b~c": 2}"#),
            Some((422, vec!["/a~1b~0c".to_owned()]))
        );
        // Past the names kept in a list, and the first repeat is the one
        // reported.
        for size in [Names::FEW - 1, Names::FEW, Names::FEW + 1, 500] {
            let members: Vec<String> = (0..size).map(|n| format!(r#""m{n}": {n}"#)).collect();
            let body = format!(r#"{{"x": [{{{}, "m0": 0, "m1": 1}}]}}"#, members.join(", "));
            assert_eq!(
                problem_of(&body),
                Some((422, vec!["/x/0/m0".to_owned()])),
                "{size} members"
            );
            let body = format!("{{{}}}", members.join(", "));
            assert_eq!(problem_of(&body), None, "{size} distinct members");
        }
    }

    #[test]
    fn where_nulls_are_refused_each_is_422_at_its_pointer() {
        let body = r#"{"data": {"organisation_id": null, "attributes": {"fx": {"exchange_rate": null}, "sender_charges": [null]}}}"#;
        assert_eq!(
            problem_with(body, Nulls::Refused),
            Some((
                422,
                vec![
                    "/data/organisation_id".to_owned(),
                    "/data/attributes/fx/exchange_rate".to_owned(),
                    "/data/attributes/sender_charges/0".to_owned(),
                ]
            ))
        );
        assert_eq!(problem_with(body, Nulls::Allowed), None);
    }

    #[test]
    fn a_syntax_error_is_400_whatever_comes_before_it() {
        assert_eq!(problem_of(r#"{"zzz": 1, "#), Some((400, vec![])));
        assert_eq!(problem_of(&"[".repeat(200)), Some((400, vec![])));
        assert_eq!(problem_of(r#"{"a": 1, "a": 2"#), Some((400, vec![])));
    }

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
